import type { IncomingMessage } from 'node:http';

/** The Functions host's own limit on HTTP request bodies; apps enforce stricter limits themselves. */
export const maxRequestBodyBytes = 100 * 1024 * 1024;

export class RequestBodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`The request body is larger than the host's limit of ${limit} bytes`);
    this.name = 'RequestBodyTooLargeError';
  }
}

export function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  if (header === undefined) return undefined;
  const length = Number(header);
  return Number.isFinite(length) ? length : undefined;
}

/** Reads the whole body, failing as soon as it passes `limit` bytes. */
export function readRequestBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.pause();
        reject(new RequestBodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}
