/** The latency and stall knobs, as pure functions: seeded draws, exact properties. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../../core/runtime/random.js';
import { drawLatency, parseLatency, parseStall, stallWait } from '../../mock-upstreams/knobs.js';
import { ConfigError } from '../../core/runtime/errors.js';

const draws = (spec: string, n = 100_000): number[] => {
  const random = seededRandom(42);
  const s = parseLatency(spec);
  return Array.from({ length: n }, () => drawLatency(s, random)).sort((a, b) => a - b);
};
const q = (sorted: number[], p: number): number => sorted[Math.floor(p * (sorted.length - 1))]!;

test('fixed is fixed', () => {
  const d = draws('fixed:5', 100);
  assert.equal(d[0], 5);
  assert.equal(d.at(-1), 5);
});

test('uniform:2-8 spreads evenly between its bounds', () => {
  const d = draws('uniform:2-8');
  assert.ok(d[0]! >= 2 && d.at(-1)! <= 8);
  for (const [p, expected] of [
    [0.1, 2.6],
    [0.5, 5],
    [0.9, 7.4],
  ] as const)
    assert.ok(Math.abs(q(d, p) - expected) < 0.05, `p${p * 100} ${q(d, p)}`);
});

test('lognormal:5:0.5 has median 5 and log-standard-deviation 0.5', () => {
  const d = draws('lognormal:5:0.5');
  assert.ok(Math.abs(q(d, 0.5) - 5) < 0.05, `median ${q(d, 0.5)}`);
  const logs = d.map(Math.log);
  const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
  const sd = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / logs.length);
  assert.ok(Math.abs(sd - 0.5) < 0.01, `sd ${sd}`);
  assert.ok(Math.abs(q(d, 0.9) / q(d, 0.5) - Math.exp(0.5 * 1.2816)) < 0.03, 'p90/p50');
});

test('a stall holds calls in the last PAUSE ms of each period until it ends', () => {
  const stall = parseStall('200/1000');
  assert.equal(stallWait(stall, 100), 0);
  assert.equal(stallWait(stall, 799), 0);
  assert.equal(stallWait(stall, 800), 200);
  assert.equal(stallWait(stall, 950), 50);
  assert.equal(stallWait(stall, 1_100), 0);
  assert.equal(stallWait(undefined, 900), 0);
});

test('bad specs are refused with the grammar in the message', () => {
  for (const bad of ['5', 'fixed:', 'uniform:8-2', 'lognormal:0:1', 'gamma:1:2', 'fixed:-1']) {
    assert.throws(
      () => parseLatency(bad),
      (e: unknown) => e instanceof ConfigError && /fixed:MS, uniform:MIN-MAX or lognormal:MEDIAN:SIGMA/.test(e.message),
      bad,
    );
  }
  for (const bad of ['200', '200/100', 'a/b', '0/0']) assert.throws(() => parseStall(bad), ConfigError, bad);
});
