export type Cell = string | number;

/** A plain-text table: a header row, a rule, then the rows; numbers right-aligned, text left-aligned. */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<readonly Cell[]>): string {
  const text = rows.map((row) => row.map((cell) => (typeof cell === 'number' ? formatNumber(cell) : cell)));
  const widths = headers.map((header, i) => Math.max(header.length, ...text.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[], numeric: (i: number) => boolean) =>
    cells.map((cell, i) => (numeric(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  const isNumeric = (i: number) => rows.some((row) => typeof row[i] === 'number');
  return [line(headers, isNumeric), widths.map((w) => '-'.repeat(w)).join('  '), ...text.map((row) => line(row, isNumeric))].join('\n');
}

/** Whole numbers with thousands separators; others with three significant digits (at least two decimals below 1). */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3);
}

export function formatMegabytes(bytes: number | undefined): string {
  return bytes === undefined ? 'n/a' : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
