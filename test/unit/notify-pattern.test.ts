/**
 * The mock's notification patterns: a broadcast notifies every stream in one tick, a spread gives each stream its own
 * phase of the period; both keep every stream's sequence gap-free from 1.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sharedMicros } from '../../core/runtime/clock.js';
import { SequencedNotifier, type NotifyPattern } from '../../mock-upstreams/notify.js';

/** 200 streams at 10/s for `ms`: each stream's (seq, sentAtUs) in arrival order. */
async function collect(pattern: NotifyPattern, ms: number): Promise<Array<Array<{ seq: number; at: number }>>> {
  const notifier = new SequencedNotifier(10, pattern);
  const streams = Array.from({ length: 200 }, () => [] as Array<{ seq: number; at: number }>);
  const stops = streams.map((got) =>
    notifier.add((message) => {
      const { seq, sentAtUs } = (JSON.parse(message) as { params: { data: { seq: number; sentAtUs: number } } }).params
        .data;
      got.push({ seq, at: sentAtUs });
    }),
  );
  await new Promise((r) => setTimeout(r, ms));
  for (const stop of stops) stop();
  assert.equal(notifier.streams, 0, 'every stream stopped');
  return streams;
}

test('broadcast: every stream gets its nth notification in the same tick', async () => {
  const streams = await collect('broadcast', 250);
  const firsts = new Set(streams.map((s) => s[0]?.at));
  assert.equal(firsts.size, 1, 'one send time for every first notification');
  for (const s of streams) s.forEach((e, i) => assert.equal(e.seq, i + 1));
});

test('send times are read on the monotonic clock every process shares (sharedMicros), not the wall clock', async () => {
  const before = sharedMicros();
  const streams = await collect('spread', 250);
  const after = sharedMicros();
  const times = streams.flatMap((s) => s.map((e) => e.at));
  assert.ok(times.length >= 200, `${times.length} notifications`);
  for (const at of times) assert.ok(at >= before && at <= after, `sent at ${at} µs, not within [${before}, ${after}]`);
});

test('spread: the streams take turns through the period, each still gap-free', async () => {
  const streams = await collect('spread', 250);
  // 200 streams over 100 slots of 1 ms: two to a slot, so about 100 send times for the first notifications.
  const firsts = new Set(streams.map((s) => s[0]?.at));
  assert.ok(firsts.size >= 20, `${firsts.size} distinct send times among the first notifications`);
  assert.ok(!firsts.has(undefined), 'every stream was notified within the period');
  for (const s of streams) s.forEach((e, i) => assert.equal(e.seq, i + 1));
});

test('a rate above 1,000/s leaves a spread nothing to spread: one slot, as a broadcast', async () => {
  const notifier = new SequencedNotifier(2_000, 'spread');
  const times: number[][] = [[], []];
  const stops = times.map((t) =>
    notifier.add((m) => t.push((JSON.parse(m) as { params: { data: { sentAtUs: number } } }).params.data.sentAtUs)),
  );
  await new Promise((r) => setTimeout(r, 30));
  for (const stop of stops) stop();
  assert.ok(times[0]!.length > 0);
  assert.deepEqual(times[0]!.slice(0, 5), times[1]!.slice(0, 5));
});
