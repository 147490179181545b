import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compare, parseThreshold, percentChange } from '../../scenarios/thresholds.js';
import { McpPerfError } from '../../core/runtime/errors.js';

test('absolute thresholds parse to metric, operator and limit', () => {
  assert.deepEqual(parseThreshold('proxied.overhead_pct.p95 < 5'), {
    source: 'proxied.overhead_pct.p95 < 5',
    metric: 'proxied.overhead_pct.p95',
    op: '<',
    kind: 'absolute',
    limit: 5,
  });
  assert.equal(parseThreshold('a.b >= -2.5').limit, -2.5);
  assert.equal(parseThreshold('proxied.latency.p99.9_us <= 100').metric, 'proxied.latency.p99.9_us');
});

test('signed percentages are relative to the baseline', () => {
  const up = parseThreshold('proxied.latency.p99_us < +10%');
  assert.equal(up.kind, 'relative');
  assert.equal(up.limit, 10);
  const down = parseThreshold('proxied.throughput_rps > -15%');
  assert.equal(down.kind, 'relative');
  assert.equal(down.limit, -15);
});

test('malformed thresholds are rejected with the expected form in the message', () => {
  for (const bad of ['p99 < 10%', 'p99 <', '< 5', 'p99 = 5', 'p99 < five', 'p99<5 extra', '']) {
    assert.throws(
      () => parseThreshold(bad),
      (err: unknown) =>
        err instanceof McpPerfError &&
        err.code === 'MCP_PERF_THRESHOLD_SYNTAX' &&
        err.message.includes('METRIC OP LIMIT'),
      bad,
    );
  }
});

test('compare and percentChange', () => {
  assert.equal(compare(4, '<', 5), true);
  assert.equal(compare(5, '<', 5), false);
  assert.equal(compare(5, '<=', 5), true);
  assert.equal(compare(6, '>', 5), true);
  assert.equal(compare(5, '>=', 5), true);
  assert.equal(percentChange(100, 110), 10);
  assert.equal(percentChange(200, 150), -25);
  assert.equal(percentChange(0, 0), 0);
  assert.equal(percentChange(0, 3), undefined);
});
