/**
 * The timer thread behind harness/clock.ts. It sleeps in Atomics.wait (a futex with a microsecond timeout, no
 * millisecond rounding) until just before the earliest deadline the main thread has published, spins the last few
 * tens of microseconds (the kernel's default timer slack is 50 µs), then posts a tick. The main thread rewrites the
 * deadline and bumps the sequence word to wake it early.
 *
 * Shared memory layout: Int32[0] = sequence (bumped on every change), Int32[1] = 1 when the spin adapts, BigInt64
 * at byte 8 = deadline ns (0 = none).
 */
import { parentPort, workerData } from 'node:worker_threads';

/**
 * How long before the target to stop sleeping and spin: how late Atomics.wait returns (the kernel's timer slack and
 * the wake-up), its 90th percentile estimated in steps, plus a margin, between 10 and 80 µs. A fixed 80 µs was spun on every deadline.
 */
const SPIN_MAX_NS = 80_000n;
const SPIN_MIN_NS = 10_000n;
const SPIN_MARGIN_NS = 10_000n;
const shared = workerData as SharedArrayBuffer;
const sequence = new Int32Array(shared, 0, 1);
const deadline = new BigInt64Array(shared, 8, 1);
const adaptive = new Int32Array(shared, 4, 1);
let spin = SPIN_MAX_NS;
let overshoot = SPIN_MAX_NS - SPIN_MARGIN_NS;

for (;;) {
  const seq = Atomics.load(sequence, 0);
  const target = Atomics.load(deadline, 0);
  if (target === 0n) {
    Atomics.wait(sequence, 0, seq);
    continue;
  }
  const remaining = target - process.hrtime.bigint();
  if (remaining > spin) {
    const wakeAt = target - spin;
    if (
      Atomics.wait(sequence, 0, seq, Number(remaining - spin) / 1e6) === 'timed-out' &&
      Atomics.load(adaptive, 0) === 1
    ) {
      const late = process.hrtime.bigint() - wakeAt;
      if (late >= 0n) {
        overshoot += late > overshoot ? 9_000n : overshoot >= 1_000n ? -1_000n : 0n; // its 90th percentile, as clock.ts
        const next = overshoot + SPIN_MARGIN_NS;
        spin = next < SPIN_MIN_NS ? SPIN_MIN_NS : next > SPIN_MAX_NS ? SPIN_MAX_NS : next;
      }
    }
    continue;
  }
  while (process.hrtime.bigint() < target) {
    // the last few tens of µs
  }
  Atomics.compareExchange(deadline, 0, target, 0n);
  parentPort!.postMessage(0);
}
