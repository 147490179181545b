/**
 * The mock's behaviour knobs as data, and their grammar on the command line:
 *
 *   --latency fixed:MS | uniform:MIN-MAX | lognormal:MEDIAN:SIGMA    how long tools/call takes (ms)
 *   --stall PAUSE/EVERY                                              hold every call for PAUSE ms each EVERY ms
 *   --error-rate P --error-kind rpc|http500|drop                     fail a fraction P of tools/call
 *
 * Random draws come from a seeded generator (--seed), so a run's shape can be repeated.
 */
import { ConfigError } from '../core/runtime/errors.js';

export type LatencySpec =
  | { readonly kind: 'fixed'; readonly ms: number }
  | { readonly kind: 'uniform'; readonly min: number; readonly max: number }
  | { readonly kind: 'lognormal'; readonly median: number; readonly sigma: number };

export interface StallSpec {
  readonly pauseMs: number;
  readonly everyMs: number;
}

export type ErrorKind = 'rpc' | 'http500' | 'drop';

export function parseLatency(text: string): LatencySpec {
  const [kind, rest = ''] = text.split(/:(.*)/s);
  const num = (s: string | undefined): number =>
    s !== undefined && s.trim() !== '' && Number.isFinite(Number(s)) && Number(s) >= 0 ? Number(s) : NaN;
  if (kind === 'fixed' && !Number.isNaN(num(rest))) return { kind, ms: num(rest) };
  if (kind === 'uniform') {
    const [a, b] = rest.split('-');
    const min = num(a);
    const max = num(b);
    if (!Number.isNaN(min) && !Number.isNaN(max) && max >= min) return { kind, min, max };
  }
  if (kind === 'lognormal') {
    const [a, b] = rest.split(':');
    const median = num(a);
    const sigma = num(b);
    if (median > 0 && !Number.isNaN(sigma)) return { kind, median, sigma };
  }
  throw new ConfigError(
    `--latency must be fixed:MS, uniform:MIN-MAX or lognormal:MEDIAN:SIGMA (milliseconds), got "${text}"`,
  );
}

export function parseStall(text: string): StallSpec {
  const match = /^(\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?)$/.exec(text);
  const pauseMs = Number(match?.[1]);
  const everyMs = Number(match?.[2]);
  if (!match || !(everyMs > 0) || pauseMs >= everyMs)
    throw new ConfigError(`--stall must be PAUSE/EVERY in ms with PAUSE < EVERY, e.g. 200/2000, got "${text}"`);
  return { pauseMs, everyMs };
}

/** One latency draw in ms. Log-normal uses Box–Muller for its normal deviate. */
export function drawLatency(spec: LatencySpec, random: () => number): number {
  switch (spec.kind) {
    case 'fixed':
      return spec.ms;
    case 'uniform':
      return spec.min + random() * (spec.max - spec.min);
    case 'lognormal': {
      const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      return spec.median * Math.exp(spec.sigma * z);
    }
  }
}

/** Extra wait for a call arriving `sinceStartMs` after the mock started: the rest of the stall window, if in one. */
export function stallWait(stall: StallSpec | undefined, sinceStartMs: number): number {
  if (stall === undefined) return 0;
  const phase = sinceStartMs % stall.everyMs;
  const windowStart = stall.everyMs - stall.pauseMs; // stalls come at the end of each period, after a quiet start
  return phase >= windowStart ? stall.everyMs - phase : 0;
}
