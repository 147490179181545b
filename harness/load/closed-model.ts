/**
 * Closed model: a fixed number of virtual clients, each sending its next request as soon as the last is answered.
 * It finds saturation throughput. Latency here is timed from the actual send (there is no intended schedule), so it
 * is a service time, not a user-facing latency under a given arrival rate: the open model answers that.
 */
import { monotonicNs, type Clock } from '../../core/runtime/clock.js';
import { createLatencyHistogram, recordMicros } from '../../core/measure/histogram.js';
import { ErrorTally, ownCpuMicros, type CallSource, type LoadOutcome } from './outcome.js';

export interface ClosedModelOptions {
  readonly concurrency: number;
  readonly durationMs: number;
  readonly source: CallSource;
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
}

export async function runClosedModel(options: ClosedModelOptions): Promise<LoadOutcome> {
  const clock = options.clock ?? monotonicNs;
  const histogram = createLatencyHistogram();
  const errors = new ErrorTally();
  let sent = 0;
  let completed = 0;
  let ok = 0;

  const cpuBefore = ownCpuMicros();
  const start = clock();
  const end = start + BigInt(Math.round(options.durationMs * 1e6));

  const client = async (): Promise<void> => {
    while (!options.signal?.aborted) {
      const t0 = clock();
      if (t0 >= end) return;
      sent++;
      const outcome = await options.source.call();
      completed++;
      if (outcome.ok) {
        ok++;
        recordMicros(histogram, Number(clock() - t0) / 1000);
      } else {
        errors.add(outcome);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, client));
  const durationMs = Number(clock() - start) / 1e6;

  return {
    model: 'closed',
    asked: { concurrency: options.concurrency, durationMs: options.durationMs },
    achieved: {
      durationMs,
      sent,
      completed,
      ok,
      rate: durationMs > 0 ? (completed * 1000) / durationMs : 0,
      lateSends: 0,
      dropped: 0,
      maxSendLagUs: 0,
    },
    errors: errors.counts,
    errorSamples: errors.samples,
    histogram,
    generatorCpuUs: ownCpuMicros() - cpuBefore,
  };
}
