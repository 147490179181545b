/**
 * With adaptive timers (a mock process's: the lead and the timer thread's spin follow the wake-ups measured), a sleep
 * still never ends before its deadline, however the lead has moved — the mock's latency knob is a floor. Sleeps of
 * several lengths, some at once, so the lead adapts while deadlines are pending. No timing bound is asserted: only the
 * order of the deadline and the wake.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adaptiveTimers, monotonicNs, sleepUntil } from '../../core/runtime/clock.js';

/** Deadlines this close resolve at once (clock.ts's IMMEDIATE_NS): not a trip through the thread. */
const IMMEDIATE_NS = 2_000n;

test('adaptive timers: no sleep ends before its deadline, one at a time or many at once', async () => {
  adaptiveTimers();
  const early: string[] = [];
  const sleep = async (ns: bigint): Promise<void> => {
    const deadline = monotonicNs() + ns;
    await sleepUntil(deadline);
    const woke = monotonicNs();
    if (woke + IMMEDIATE_NS < deadline) early.push(`${ns} ns sleep woke ${deadline - woke} ns early`);
  };
  for (let i = 0; i < 150; i++) await sleep(BigInt(300_000 + (i % 7) * 100_000));
  await Promise.all(Array.from({ length: 40 }, (_, i) => sleep(BigInt(200_000 + i * 37_000))));
  // Switched on while sleeps are pending (a mock started in a process that already slept): the same holds.
  adaptiveTimers();
  for (let i = 0; i < 50; i++) await sleep(500_000n);
  assert.deepEqual(early, []);
});
