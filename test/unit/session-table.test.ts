/** The proxy's session table: owners, reserved slots, the limit, expiry. Pure, with an injected clock. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SessionTable, type EndReason } from '../../proxy/sessions.js';

function table(max: number, idleMs = 0) {
  let now = 0;
  const ended: Array<[string, EndReason]> = [];
  const t = new SessionTable<string>(
    max,
    idleMs,
    (e, reason) => void ended.push([e.id, reason]),
    () => now,
  );
  return { t, ended, advance: (ms: number) => void (now += ms) };
}

test("a session is found by its owner only; another owner's lookup is the same miss as an unknown id", () => {
  const { t } = table(10);
  assert.ok(t.add('s1', 'upstream-a', 'token:alpha'));
  assert.equal(t.touch('s1', 'token:alpha')?.binding, 'upstream-a');
  assert.equal(t.touch('s1', 'token:beta'), undefined);
  assert.equal(t.touch('s1', undefined), undefined);
  assert.equal(t.touch('nope', 'token:alpha'), undefined);
  assert.ok(t.add('s2', 'upstream-b', undefined));
  assert.equal(t.touch('s2', undefined)?.binding, 'upstream-b', 'without auth there is no owner to check');
});

test('reserved slots count toward the limit and are given back by add or unreserve', () => {
  const { t } = table(2);
  assert.ok(t.reserve());
  assert.ok(t.reserve());
  assert.equal(t.reserve(), false, 'two held: full');
  assert.ok(t.add('s1', 'u', 'p', true), 'a reservation is turned into its session');
  assert.equal(t.reserved, 1);
  t.unreserve();
  assert.equal(t.reserved, 0);
  assert.ok(t.reserve());
  assert.equal(t.add('s2', 'u', 'p'), false, 'an unreserved add finds the table full');
  assert.ok(t.add('s2', 'u', 'p', true));
  assert.equal(t.size, 2);
});

test('an id already in the table is not added again; has() sees it whoever owns it', () => {
  const { t } = table(10);
  assert.ok(t.add('s1', 'first', 'token:alpha'));
  assert.equal(t.add('s1', 'second', 'token:beta'), false);
  assert.ok(t.has('s1'));
  assert.equal(t.touch('s1', 'token:alpha')?.binding, 'first');
});

test('idle sessions end with reason idle; close ends the rest with reason shutdown', () => {
  const { t, ended, advance } = table(10, 1_000);
  t.add('old', 'u', undefined);
  advance(600);
  t.add('young', 'u', undefined);
  advance(600);
  t.sweep();
  assert.deepEqual(ended, [['old', 'idle']]);
  t.close();
  assert.deepEqual(ended, [
    ['old', 'idle'],
    ['young', 'shutdown'],
  ]);
});

test('a session with a request in flight is not idle, however long it takes; idleness counts from its end', () => {
  const { t, ended, advance } = table(10, 1_000);
  t.add('slow', 'u', undefined);
  t.add('quiet', 'u', undefined);
  const release = t.hold('slow');
  const second = t.hold('slow');
  advance(5_000);
  t.sweep();
  assert.deepEqual(ended, [['quiet', 'idle']], 'a 5 s call keeps its session');
  release();
  release(); // once only: the second request is still in flight
  advance(5_000);
  t.sweep();
  assert.deepEqual(ended, [['quiet', 'idle']]);
  second();
  advance(900);
  t.sweep();
  assert.deepEqual(ended, [['quiet', 'idle']], 'the end of the last request counts as activity');
  advance(200);
  t.sweep();
  assert.deepEqual(ended, [
    ['quiet', 'idle'],
    ['slow', 'idle'],
  ]);
  assert.doesNotThrow(() => t.hold('gone')(), 'holding a session that is not there does nothing');
});

test('busy() and idle() hold an entry as hold() does, paired once each (the reverse forwarder, without a closure)', () => {
  const { t, ended, advance } = table(10, 1_000);
  t.add('slow', 'u', undefined);
  const entry = t.touch('slow', undefined)!;
  t.busy(entry);
  advance(5_000);
  t.sweep();
  assert.deepEqual(ended, [], 'busy: not idle however long it takes');
  t.idle(entry);
  advance(900);
  t.sweep();
  assert.deepEqual(ended, [], 'its end counts as activity');
  advance(200);
  t.sweep();
  assert.deepEqual(ended, [['slow', 'idle']]);
});
