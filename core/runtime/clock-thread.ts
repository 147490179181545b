/**
 * The timer thread behind harness/clock.ts. It sleeps in Atomics.wait (a futex with a microsecond timeout, no
 * millisecond rounding) until just before the earliest deadline the main thread has published, spins the last few
 * tens of microseconds (the kernel's default timer slack is 50 µs), then posts a tick. The main thread rewrites the
 * deadline and bumps the sequence word to wake it early.
 *
 * Shared memory layout: Int32[0] = sequence (bumped on every change), BigInt64 at byte 8 = deadline ns (0 = none).
 */
import { parentPort, workerData } from 'node:worker_threads';

const SPIN_NS = 80_000n;
const shared = workerData as SharedArrayBuffer;
const sequence = new Int32Array(shared, 0, 1);
const deadline = new BigInt64Array(shared, 8, 1);

for (;;) {
  const seq = Atomics.load(sequence, 0);
  const target = Atomics.load(deadline, 0);
  if (target === 0n) {
    Atomics.wait(sequence, 0, seq);
    continue;
  }
  const remaining = target - process.hrtime.bigint();
  if (remaining > SPIN_NS) {
    Atomics.wait(sequence, 0, seq, Number(remaining - SPIN_NS) / 1e6);
    continue;
  }
  while (process.hrtime.bigint() < target) {
    // the last ≤ 80 µs
  }
  Atomics.compareExchange(deadline, 0, target, 0n);
  parentPort!.postMessage(0);
}
