/** Number formatting shared by the terminal tables and the HTML report. */
import type { Unit } from '../results/schema.js';

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const dec = (digits: number): Intl.NumberFormat =>
  new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export function formatValue(value: number | null, unit: Unit): string {
  if (value === null) return '—';
  switch (unit) {
    case 'us':
      return `${int.format(value)} µs`;
    case 'ms':
      return `${int.format(value)} ms`;
    case 's':
      return `${dec(1).format(value)} s`;
    case 'ns':
      return value >= 100_000 ? `${dec(1).format(value / 1000)} µs` : `${int.format(value)} ns`;
    case 'rps':
      return `${int.format(value)}/s`;
    case 'pct':
      return `${dec(2).format(value)}%`;
    case 'ratio':
      return `${dec(3).format(value)}×`;
    case 'count':
      return int.format(value);
    case 'bytes':
      if (Math.abs(value) < 1024) return `${int.format(value)} B`;
      return Math.abs(value) < 2 ** 20 ? `${dec(1).format(value / 1024)} KiB` : `${dec(1).format(value / 2 ** 20)} MiB`;
  }
}

/** Like formatValue, with the decimals a small figure in ms or µs needs (0.06 ms, not 0 ms) and no padding on %. */
export function formatFigure(value: number, unit: Unit): string {
  if ((unit === 'ms' || unit === 'us') && Math.abs(value) < 10 && value !== Math.round(value))
    return `${value.toFixed(2)} ${unit === 'ms' ? 'ms' : 'µs'}`;
  if (unit === 'pct') return `${Number.isInteger(value) ? value : value.toFixed(2)}%`;
  return formatValue(value, unit);
}

export function formatDelta(pct: number | null): string {
  if (pct === null) return '—';
  return `${pct > 0 ? '+' : ''}${dec(1).format(pct)}%`;
}

export function formatMs(ms: number): string {
  return ms < 10_000 ? `${dec(1).format(ms / 1000)}s` : `${int.format(ms / 1000)}s`;
}

/** Left-aligns the first column, right-aligns the rest. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n') + '\n';
}
