/**
 * The threshold grammar, written down once:
 *
 *   threshold := METRIC " " OP " " LIMIT
 *   OP        := "<" | "<=" | ">" | ">="
 *   LIMIT     := NUMBER                  absolute: compared with the metric's value now, in the metric's unit
 *              | ("+" | "-") NUMBER "%"  relative: the change against the baseline, in percent
 *
 *   proxied.overhead_pct.p95 < 5         the proxy adds less than 5% at p95 (absolute: the metric is a percentage)
 *   proxied.latency.p99_us < +10%        p99 grew by less than 10% against the baseline
 *   proxied.throughput_rps > -15%        throughput fell by less than 15% against the baseline
 *
 * METRIC names a key of a scenario's metrics map (letters, digits, `.`, `_`, `-`).
 */
import { McpPerfError } from '../core/runtime/errors.js';

export type ThresholdOp = '<' | '<=' | '>' | '>=';

export interface Threshold {
  readonly source: string;
  readonly metric: string;
  readonly op: ThresholdOp;
  readonly kind: 'absolute' | 'relative';
  /** The number, or for relative thresholds the percentage change. */
  readonly limit: number;
}

const GRAMMAR = /^([A-Za-z0-9_.-]+)\s+(<=|>=|<|>)\s+(?:([+-]\d+(?:\.\d+)?)%|(-?\d+(?:\.\d+)?))$/;

export function parseThreshold(source: string): Threshold {
  const match = GRAMMAR.exec(source.trim());
  if (!match) {
    throw new McpPerfError(
      'MCP_PERF_THRESHOLD_SYNTAX',
      `threshold "${source}" does not parse; expected "METRIC OP LIMIT", e.g. "proxied.latency.p99_us < +10%" or "proxied.overhead_pct.p95 < 5"`,
    );
  }
  const [, metric, op, relative, absolute] = match;
  return relative !== undefined
    ? { source, metric: metric!, op: op as ThresholdOp, kind: 'relative', limit: Number(relative) }
    : { source, metric: metric!, op: op as ThresholdOp, kind: 'absolute', limit: Number(absolute) };
}

export function compare(value: number, op: ThresholdOp, limit: number): boolean {
  switch (op) {
    case '<':
      return value < limit;
    case '<=':
      return value <= limit;
    case '>':
      return value > limit;
    case '>=':
      return value >= limit;
  }
}

/** Percentage change from `base` to `now`; undefined when the base is zero (no meaningful ratio). */
export function percentChange(base: number, now: number): number | undefined {
  return base === 0 ? (now === 0 ? 0 : undefined) : ((now - base) / Math.abs(base)) * 100;
}

/** The thresholds (or goals) of `sources` whose metric `keep` accepts: a gate set aside with what it measures. */
export function gatesWhere(sources: readonly string[], keep: (metric: string) => boolean): string[] {
  return sources.filter((source) => keep(parseThreshold(source).metric));
}
