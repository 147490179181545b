/** The proxy's clock (proxy/clock.ts): one reading per turn, the live clock outside turns, a throw ends the turn. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { now, turn } from '../../proxy/clock.js';

/** Spins until Date.now() has moved past `t` (a millisecond at most, bounded). */
function waitPast(t: number): void {
  const limit = Date.now() + 1_000;
  while (Date.now() <= t && Date.now() < limit);
  assert.ok(Date.now() > t, 'the clock did not move within a second');
}

test('within a turn every reading is the first; the next turn reads the clock again', () => {
  const [first, later, inner] = turn(() => {
    const a = now();
    waitPast(a);
    const b = now();
    const c = turn(() => now(), undefined); // a turn within a turn is part of it
    return [a, b, c];
  }, undefined);
  assert.equal(later, first);
  assert.equal(inner, first);
  const next = turn(() => now(), undefined);
  assert.ok(next > first, `the next turn read ${next}, not after ${first}`);
});

test('outside a turn now() is the live clock', () => {
  const a = now();
  waitPast(a);
  assert.ok(now() > a);
});

test('what the turn returns or throws passes through, and a throw ends the turn', () => {
  assert.equal(
    turn((x: number) => x * 2, 21),
    42,
  );
  let inside = 0;
  assert.throws(
    () =>
      turn(() => {
        inside = now();
        throw new Error('boom');
      }, undefined),
    /boom/,
  );
  waitPast(inside);
  assert.ok(now() > inside, 'after a throw the clock is live again');
});
