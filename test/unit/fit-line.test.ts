/** The least-squares fit behind bytes per session and leak detection. Pure math: exact cases and seeded noise. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitLine, slopeSurelyAbove, tQuantile975 } from '../../harness/measure/fit.js';
import { seededRandom } from '../../core/runtime/random.js';

test('points on a line give that line back exactly, with r² = 1 and no slope error', () => {
  const fit = fitLine([0, 250, 500, 1_000, 2_000].map((x) => [x, 60e6 + 9_000 * x] as const));
  assert.ok(Math.abs(fit.slope - 9_000) < 1e-6);
  assert.ok(Math.abs(fit.intercept - 60e6) < 1e-3);
  assert.equal(fit.r2, 1);
  assert.ok(fit.slopeStdErr < 1e-6);
});

test("under seeded noise the slope's 95% interval holds the true slope about 95% of the time", () => {
  const random = seededRandom(7);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  let covered = 0;
  const trials = 2_000;
  for (let t = 0; t < trials; t++) {
    const points = Array.from({ length: 8 }, (_, i) => [i, 100 + 3 * i + 5 * gauss()] as const);
    const fit = fitLine(points);
    const half = tQuantile975(fit.n - 2) * fit.slopeStdErr;
    if (Math.abs(fit.slope - 3) <= half) covered++;
  }
  const rate = covered / trials;
  assert.ok(rate > 0.93 && rate < 0.97, `coverage ${rate}`);
});

test('a flat series has slope 0; the t quantile matches the table and tends to 1.96', () => {
  const fit = fitLine([
    [0, 5],
    [1, 5],
    [2, 5],
  ]);
  assert.equal(fit.slope, 0);
  assert.equal(tQuantile975(1), 12.706);
  assert.equal(tQuantile975(10), 2.228);
  assert.ok(Math.abs(tQuantile975(1_000) - 1.962) < 0.001);
  assert.ok(Math.abs(tQuantile975(30) - 2.042) < 0.002);
});

test('fewer than two points, or one x value, is an error rather than a number', () => {
  assert.throws(() => fitLine([[1, 1]]), /at least 2 points/);
  assert.throws(
    () =>
      fitLine([
        [1, 1],
        [1, 2],
      ]),
    /two distinct x/,
  );
});

test('the leak rule: a steady climb of 2% per step is sure to be above 1%; a flat series with the same scatter is not', () => {
  const random = seededRandom(17);
  const start = 6e6;
  const noisy = (slope: number) =>
    fitLine(Array.from({ length: 5 }, (_, i) => [i, start + slope * i + (random() - 0.5) * 40e3] as const));
  const floor = start * 0.01;
  for (let k = 0; k < 20; k++) {
    assert.equal(slopeSurelyAbove(noisy(start * 0.02), floor), true, 'a 2% climb');
    assert.equal(slopeSurelyAbove(noisy(0), floor), false, 'flat');
  }
  // Two points leave no degrees of freedom: never sure.
  assert.equal(
    slopeSurelyAbove(
      fitLine([
        [0, 0],
        [1, 1e9],
      ]),
      floor,
    ),
    false,
  );
});
