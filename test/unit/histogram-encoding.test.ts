import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createLatencyHistogram,
  decodeHistogram,
  encodeHistogram,
  mergeHistograms,
  recordMicros,
  summarise,
} from '../../core/measure/histogram.js';
import { seeded } from '../helpers/random.js';

test('encode → decode keeps every count and percentile, for many random distributions', () => {
  for (let seed = 1; seed <= 25; seed++) {
    const rand = seeded(seed);
    const h = createLatencyHistogram();
    const n = 1 + Math.floor(rand() * 5_000);
    for (let i = 0; i < n; i++) recordMicros(h, Math.exp(rand() * 16)); // 1 µs .. ~9 s, log-spread
    const back = decodeHistogram(encodeHistogram(h));
    assert.equal(back.totalCount, h.totalCount, `seed ${seed}: count`);
    // Decoding keeps buckets, not the exact max: it comes back as its bucket's value, within the 0.1% resolution.
    assert.ok(
      Math.abs(back.maxValue - h.maxValue) <= h.maxValue * 0.001,
      `seed ${seed}: max ${back.maxValue} vs ${h.maxValue}`,
    );
    for (const p of [0, 50, 90, 99, 99.9, 100]) {
      assert.equal(back.getValueAtPercentile(p), h.getValueAtPercentile(p), `seed ${seed}: p${p}`);
    }
  }
});

test('the encoding is compressed base64 text', () => {
  const h = createLatencyHistogram();
  for (let i = 1; i <= 10_000; i++) recordMicros(h, i);
  const encoded = encodeHistogram(h);
  assert.match(encoded, /^[A-Za-z0-9+/]+=*$/);
  assert.ok(encoded.length < 20_000, `10k distinct values should compress, got ${encoded.length} chars`);
});

test('merging per-trial histograms equals recording everything into one', () => {
  const rand = seeded(7);
  const all = createLatencyHistogram();
  const parts = [createLatencyHistogram(), createLatencyHistogram(), createLatencyHistogram()];
  for (let i = 0; i < 6_000; i++) {
    const v = 100 + rand() * 50_000;
    recordMicros(all, v);
    recordMicros(parts[i % 3]!, v);
  }
  const merged = mergeHistograms(parts);
  assert.deepEqual(summarise(merged), summarise(all));
  assert.equal(parts[0]!.totalCount, 2_000, 'merging must not change its inputs');
});

test('sub-microsecond and negative latencies are clamped to 1 µs, not dropped', () => {
  const h = createLatencyHistogram();
  recordMicros(h, 0.2);
  recordMicros(h, -5);
  assert.equal(h.totalCount, 2);
  assert.equal(h.maxValue, 1);
});
