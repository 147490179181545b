/**
 * The statistics behind `mcp-perf compare`, against published values (R's wilcox.test, Holm's paper) and, on
 * seeded synthetic samples, the error rates they promise: A/A false alarms at most alpha, a real shift found.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hodgesLehmann, holm, mannWhitney, median, normalCdf, normalQuantile } from '../../harness/compare/stats.js';
import { seededRandom } from '../../core/runtime/random.js';

test('Mann–Whitney exact p-values match R: wilcox.test(x, y)', () => {
  // wilcox.test(1:5, 6:10): W = 0, p-value = 0.007937
  assert.ok(Math.abs(mannWhitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]).p - 0.007937) < 1e-6);
  // wilcox.test(c(1.1,2.2,3.3,4.4), c(2.5,3.5,4.5,5.5,6.5)): W = 3, p-value = 0.1111
  const r = mannWhitney([1.1, 2.2, 3.3, 4.4], [2.5, 3.5, 4.5, 5.5, 6.5]);
  assert.equal(r.u, 3);
  assert.ok(Math.abs(r.p - 0.1111) < 1e-4);
  assert.equal(r.method, 'exact');
  // Fully separated samples of 10: p = 2 / choose(20, 10) = 1.0825e-5
  assert.ok(
    Math.abs(mannWhitney([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [11, 12, 13, 14, 15, 16, 17, 18, 19, 20]).p - 2 / 184_756) <
      1e-12,
  );
  // Symmetric: swapping the samples changes U to n1·n2 − U, not p.
  const a = [3, 7, 1, 9, 4];
  const b = [8, 2, 10, 6];
  assert.equal(mannWhitney(a, b).p, mannWhitney(b, a).p);
  assert.equal(mannWhitney(a, b).u + mannWhitney(b, a).u, 20);
});

test('ties use the tie-corrected normal approximation; all-equal samples give p = 1', () => {
  const r = mannWhitney([1, 2, 2, 3], [2, 3, 4, 5]);
  assert.equal(r.method, 'normal');
  assert.equal(r.u, 2.5);
  assert.ok(r.p > 0.1 && r.p < 0.2, String(r.p));
  assert.equal(mannWhitney([0, 0, 0], [0, 0, 0]).p, 1);
});

test('Hodges–Lehmann: the median pairwise difference, with the Moses interval R reports', () => {
  // wilcox.test(11:20, 1:10, conf.int = TRUE): difference in location 10, 95% CI 7 to 13
  const s = hodgesLehmann([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
  assert.deepEqual(s, { estimate: 10, low: 7, high: 13 });
  // Too few samples for a 95% interval: none is claimed.
  assert.deepEqual(hodgesLehmann([1, 2], [3, 4]), { estimate: 2, low: null, high: null });
});

test('Holm–Bonferroni adjusts in step-down order and never makes a p-value smaller', () => {
  assert.deepEqual(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02]);
  assert.deepEqual(holm([0.5]), [0.5]);
  assert.deepEqual(holm([0.9, 0.8]), [1, 1]); // 2 × 0.8 caps at 1, and the larger p cannot come out smaller
});

test('median, normal CDF and quantile', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Math.abs(normalCdf(1.959964) - 0.975) < 1e-6);
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959964) < 1e-6);
  assert.ok(Math.abs(normalQuantile(0.001) + 3.090232) < 1e-6);
});

const gauss = (random: () => number): number =>
  Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

test('A/A on seeded noise: the test rejects at about alpha, never much more', () => {
  const random = seededRandom(11);
  let rejected = 0;
  const reps = 2_000;
  for (let i = 0; i < reps; i++) {
    const x = Array.from({ length: 10 }, () => 100 * (1 + 0.03 * gauss(random)));
    const y = Array.from({ length: 10 }, () => 100 * (1 + 0.03 * gauss(random)));
    if (mannWhitney(x, y).p < 0.05) rejected++;
  }
  const rate = rejected / reps;
  assert.ok(rate > 0.03 && rate < 0.065, `false-alarm rate ${rate}`);
});

test('a 10% shift under 3% noise is found nearly always with 10 samples a side; its interval covers the truth', () => {
  const random = seededRandom(12);
  let found = 0;
  let covered = 0;
  const reps = 500;
  for (let i = 0; i < reps; i++) {
    const x = Array.from({ length: 10 }, () => 100 * (1 + 0.03 * gauss(random)));
    const y = Array.from({ length: 10 }, () => 110 * (1 + 0.03 * gauss(random)));
    if (mannWhitney(y, x).p < 0.05) found++;
    const s = hodgesLehmann(x, y);
    if (s.low !== null && s.high !== null && s.low <= 10 && 10 <= s.high) covered++;
  }
  assert.ok(found / reps > 0.99, `power ${found / reps}`);
  assert.ok(covered / reps > 0.9, `coverage ${covered / reps}`);
});
