/**
 * Executors, named as k6 names them, chosen by name in scenario data: how load is put on a target for a while.
 *   constant-arrival-rate  open model: `rate` requests/s whatever the answers do, latency from the intended send
 *                          time; sends beyond `maxInFlight` outstanding are dropped and counted (load/open-model.ts)
 *   constant-vus           closed model: `vus` virtual users, each sending as soon as its last call is answered;
 *                          service time from the actual send (load/closed-model.ts)
 */
import type { ExecutorName } from '../../scenarios/define.js';
import { runClosedModel } from './closed-model.js';
import { runOpenModel } from './open-model.js';
import type { CallSource, LoadOutcome } from './outcome.js';

export interface ExecutorLoad {
  readonly source: CallSource;
  readonly durationMs: number;
  readonly signal?: AbortSignal;
  /** constant-arrival-rate: requests/s. */
  readonly rate?: number;
  /** constant-arrival-rate: the cap on outstanding requests. */
  readonly maxInFlight?: number;
  /** constant-vus: virtual users. */
  readonly vus?: number;
  /** constant-arrival-rate: every completion, with its intended send time (ns) and latency (µs, null if failed). */
  readonly onComplete?: (intendedNs: bigint, latencyUs: number | null) => void;
}

type Executor = (load: ExecutorLoad) => Promise<LoadOutcome>;

const need = (executor: ExecutorName, field: keyof ExecutorLoad, value: number | undefined): number => {
  if (value === undefined || !(value > 0)) throw new Error(`executor ${executor} needs ${field} > 0`);
  return value;
};

export const EXECUTORS: Readonly<Record<ExecutorName, Executor>> = Object.freeze({
  'constant-arrival-rate': (load) =>
    runOpenModel({
      rate: need('constant-arrival-rate', 'rate', load.rate),
      maxInFlight: need('constant-arrival-rate', 'maxInFlight', load.maxInFlight),
      durationMs: load.durationMs,
      source: load.source,
      signal: load.signal,
      onComplete: load.onComplete,
    }),
  'constant-vus': (load) =>
    runClosedModel({
      concurrency: need('constant-vus', 'vus', load.vus),
      durationMs: load.durationMs,
      source: load.source,
      signal: load.signal,
    }),
});

/** Runs the named executor. */
export function drive(executor: ExecutorName, load: ExecutorLoad): Promise<LoadOutcome> {
  return EXECUTORS[executor](load);
}
