import { isValidRunId } from './ids';

/*
 * The file store keeps each run in a folder named after its run id. Run ids are case-sensitive and
 * may hold ':', but many file systems ignore case (macOS, Windows) and Windows refuses ':', trailing
 * dots and device names such as 'con'. So an id that is safe everywhere (lower case, digits, '-', '_',
 * inner '.') names its folder as is — generated UUIDs stay readable — and any other id is written as
 * '+' followed by its base32 (lower case, no padding). '+' is not a run id character, so the two
 * forms never meet, and base32 of 128 characters still fits a 255-byte file name.
 */
const ENCODED_PREFIX = '+';
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const PORTABLE = /^[a-z0-9_-](?:[a-z0-9_.-]*[a-z0-9_-])?$/;
const WINDOWS_DEVICE = /^(?:con|prn|aux|nul|com[0-9]|lpt[0-9])(?:\.|$)/;

/** The folder name of a run id the caller has already validated. */
export function runFolderName(runId: string): string {
  if (PORTABLE.test(runId) && !WINDOWS_DEVICE.test(runId)) return runId;
  return ENCODED_PREFIX + base32(Buffer.from(runId, 'utf8'));
}

/** The run id a folder name stands for, or `undefined` when no run id is written that way. */
export function runIdOfFolder(name: string): string | undefined {
  const runId = name.startsWith(ENCODED_PREFIX) ? unbase32(name.slice(ENCODED_PREFIX.length)) : name;
  return runId !== undefined && isValidRunId(runId) && runFolderName(runId) === name ? runId : undefined;
}

function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32[(buffer >> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

function unbase32(text: string): string | undefined {
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of text) {
    const value = BASE32.indexOf(char);
    if (value < 0) return undefined;
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 255);
    }
    buffer &= (1 << bits) - 1;
  }
  return Buffer.from(bytes).toString('utf8');
}
