import type { MessageEncoding } from '../host-config';

export class MessageDecodingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MessageDecodingError';
  }
}

/** The text the function sees, from a message as stored in the queue. */
export function decodeMessageText(stored: string, encoding: MessageEncoding): string {
  if (encoding === 'none') return stored;
  const compact = stored.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
    throw new MessageDecodingError(
      'The message is not valid base64, but host.json extensions.queues.messageEncoding is "base64" ' +
        '(send base64 text, or set messageEncoding to "none")',
    );
  }
  return Buffer.from(compact, 'base64').toString('utf8');
}

/** The text to store in the queue for a message whose content is `content`. */
export function encodeMessageText(content: string | Buffer, encoding: MessageEncoding): string {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return encoding === 'base64' ? bytes.toString('base64') : bytes.toString('utf8');
}
