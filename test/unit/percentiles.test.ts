import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLatencyHistogram, percentileSpectrum, recordMicros, summarise } from '../../core/measure/histogram.js';

test('percentiles of 1..100000 µs are exact to the histogram resolution (0.1%)', () => {
  const h = createLatencyHistogram();
  for (let v = 1; v <= 100_000; v++) recordMicros(h, v);
  const s = summarise(h);
  const near = (actual: number, expected: number): void =>
    assert.ok(Math.abs(actual - expected) <= expected * 0.001 + 1, `${actual} ≉ ${expected}`);
  near(s.p50_us, 50_000);
  near(s.p90_us, 90_000);
  near(s.p99_us, 99_000);
  near(s['p99.9_us'], 99_900);
  near(s.max_us, 100_000);
  assert.equal(s.min_us, 1);
  assert.equal(s.count, 100_000);
});

test('an empty histogram summarises to zeros, not NaN or a throw', () => {
  const s = summarise(createLatencyHistogram());
  for (const [key, value] of Object.entries(s)) assert.equal(value, 0, key);
});

test('the percentile spectrum rises monotonically and ends at the max', () => {
  const h = createLatencyHistogram();
  for (let v = 1; v <= 10_000; v++) recordMicros(h, v);
  const points = percentileSpectrum(h);
  assert.ok(points.length > 10);
  for (let i = 1; i < points.length; i++) {
    assert.ok(points[i]!.percentile >= points[i - 1]!.percentile, 'percentiles rise');
    assert.ok(points[i]!.value_us >= points[i - 1]!.value_us, 'values rise');
  }
  assert.equal(points.at(-1)!.percentile, 100);
  assert.ok(
    Math.abs(points.at(-1)!.value_us - h.maxValue) <= h.maxValue * 0.001,
    'the last point is the max, to the resolution',
  );
  assert.deepEqual(percentileSpectrum(createLatencyHistogram()), []);
});
