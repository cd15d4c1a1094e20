/**
 * Parses a .NET TimeSpan as host.json writes durations: `[d.]hh:mm[:ss[.fffffff]]`, e.g.
 * `00:00:02`, `00:00:00.500`, `1.00:00:00`. Returns milliseconds, or throws naming `field`.
 */
export function parseTimeSpan(value: unknown, field: string): number {
  if (typeof value !== 'string') {
    throw new Error(`${field} must be a duration string like "00:00:30", got ${JSON.stringify(value)}`);
  }
  const match = /^\s*(-)?(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?\s*$/.exec(value);
  if (!match) {
    throw new Error(`${field} must be a duration like "hh:mm:ss" (e.g. "00:00:30"), got "${value}"`);
  }
  const [, negative, days, hours, minutes, seconds, fraction] = match;
  const h = Number(hours);
  const m = Number(minutes);
  const s = Number(seconds ?? '0');
  if (h > 23 || m > 59 || s > 59) {
    throw new Error(`${field}: "${value}" has hours, minutes or seconds out of range`);
  }
  const fractionMs = fraction ? Number(`0.${fraction}`) * 1000 : 0;
  const total = ((Number(days ?? '0') * 24 + h) * 60 + m) * 60_000 + s * 1000 + fractionMs;
  return negative ? -total : total;
}
