/**
 * Open model (wrk2's): requests leave at a constant rate whether or not earlier ones have been answered, and each
 * latency is timed from the request's *intended* send time. A server that stalls therefore shows its stall in every
 * request that should have gone out during it — coordinated omission cannot hide it. Sends that leave late, or not
 * at all because too many are outstanding, are counted and reported rather than silently absorbed.
 */
import { monotonicNs, sleepUntil, type Clock } from '../../core/runtime/clock.js';
import { createLatencyHistogram, recordMicros } from '../../core/measure/histogram.js';
import { ErrorTally, LATE_SEND_THRESHOLD_US, ownCpuMicros, type CallSource, type LoadOutcome } from './outcome.js';

export interface OpenModelOptions {
  /** Requests per second to send. */
  readonly rate: number;
  readonly durationMs: number;
  /** Sends beyond this many outstanding requests are dropped and counted. */
  readonly maxInFlight: number;
  readonly source: CallSource;
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
  /** Told of every completed request: its intended send time (the clock's ns) and latency in µs, null if it failed. */
  readonly onComplete?: (intendedNs: bigint, latencyUs: number | null) => void;
}

export async function runOpenModel(options: OpenModelOptions): Promise<LoadOutcome> {
  const clock = options.clock ?? monotonicNs;
  const histogram = createLatencyHistogram();
  const errors = new ErrorTally();
  const intervalNs = 1e9 / options.rate;
  const totalSends = Math.floor((options.rate * options.durationMs) / 1000);

  let sent = 0;
  let completed = 0;
  let ok = 0;
  let lateSends = 0;
  let dropped = 0;
  let maxSendLagNs = 0n;
  let inFlight = 0;
  const pending = new Set<Promise<void>>();

  const cpuBefore = ownCpuMicros();
  const start = clock() + 1_000_000n; // first send 1 ms from now, so set-up cost does not make it late

  for (let i = 0; i < totalSends && !options.signal?.aborted;) {
    await sleepUntil(start + BigInt(Math.round(i * intervalNs)));
    // Send everything that is due: after a stall in our own loop, several are.
    const now = clock();
    for (
      let intended = start + BigInt(Math.round(i * intervalNs));
      intended <= now && i < totalSends;
      intended = start + BigInt(Math.round(i * intervalNs))
    ) {
      i++;
      const lag = now - intended;
      if (lag > maxSendLagNs) maxSendLagNs = lag;
      if (lag > BigInt(LATE_SEND_THRESHOLD_US * 1000)) lateSends++;
      if (inFlight >= options.maxInFlight) {
        dropped++;
        continue;
      }
      sent++;
      inFlight++;
      const p = options.source.call().then((outcome) => {
        inFlight--;
        completed++;
        if (outcome.ok) {
          ok++;
          const us = Number(clock() - intended) / 1000;
          recordMicros(histogram, us);
          options.onComplete?.(intended, us);
        } else {
          errors.add(outcome);
          options.onComplete?.(intended, null);
        }
        pending.delete(p);
      });
      pending.add(p);
    }
  }
  await Promise.all(pending); // every call resolves: a timeout bounds this wait
  const durationMs = Number(clock() - start) / 1e6;

  return {
    model: 'open',
    asked: { rate: options.rate, durationMs: options.durationMs },
    achieved: {
      durationMs,
      sent,
      completed,
      ok,
      rate: durationMs > 0 ? (completed * 1000) / durationMs : 0,
      lateSends,
      dropped,
      maxSendLagUs: Number(maxSendLagNs / 1000n),
    },
    errors: errors.counts,
    errorSamples: errors.samples,
    histogram,
    generatorCpuUs: ownCpuMicros() - cpuBefore,
  };
}
