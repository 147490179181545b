/**
 * The proxy's clocks (proxy/clock.ts): one reading per turn, the live clock outside turns, a throw ends the turn;
 * deadlines on the monotonic clock, which a step of the system clock does not move, and the Date header on the wall
 * clock, which follows a step within a second.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { httpDate, now, turn } from '../../proxy/clock.js';
import { SessionTable } from '../../proxy/sessions.js';

/** Spins until the monotonic clock has moved past `t` (a moment at most, bounded). */
function waitPast(t: number): void {
  const limit = performance.now() + 1_000;
  while (performance.now() <= t && performance.now() < limit);
  assert.ok(performance.now() > t, 'the clock did not move within a second');
}

/** Runs `fn` with the system clock (Date.now) stepped by `stepMs`, as an NTP step would set it. */
function withClockStepped<R>(stepMs: number, fn: () => R): R {
  const real = Date.now;
  Date.now = () => real() + stepMs;
  try {
    return fn();
  } finally {
    Date.now = real;
  }
}

const HOUR_MS = 3_600_000;

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

test('a step of the system clock moves no deadline: now() is monotonic, and an idle session is not ended by it', () => {
  const before = now();
  for (const step of [HOUR_MS, -HOUR_MS]) {
    const during = withClockStepped(step, () => turn(() => now(), undefined));
    assert.ok(during >= before && during - before < 1_000, `a ${step} ms step moved now() by ${during - before} ms`);
  }
  const ended: string[] = [];
  const sessions = new SessionTable<string>(10, 60_000, (e) => void ended.push(e.id));
  try {
    assert.ok(sessions.add('s1', 'upstream', undefined));
    withClockStepped(HOUR_MS, () => sessions.sweep());
    assert.deepEqual(ended, [], 'a session idle for milliseconds was ended by a clock step of an hour');
  } finally {
    sessions.close();
  }
});

test('the Date header is the wall clock, and shows a step of it within a second', () => {
  const text = httpDate();
  assert.match(text, /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  assert.ok(Math.abs(Date.parse(text) - Date.now()) <= 1_000, `${text} is not the wall clock's second`);
  const stepped = withClockStepped(HOUR_MS, () => {
    const limit = performance.now() + 1_500;
    let seen = httpDate();
    while (Date.parse(seen) < Date.now() - 1_000 && performance.now() < limit) seen = httpDate();
    return seen;
  });
  const shown = Date.parse(stepped) - Date.parse(text);
  assert.ok(shown >= HOUR_MS && shown <= HOUR_MS + 2_000, `after a step of an hour the Date header moved ${shown} ms`);
});
