import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decide, diffAgainstBaseline } from '../../harness/baseline/diff.js';
import { parseThreshold } from '../../scenarios/thresholds.js';
import { ENVIRONMENT, results, scenario } from '../helpers/fixtures.js';

const t = (s: string) => parseThreshold(s);

test('absolute thresholds pass or fail on the value now, baseline or not', () => {
  assert.equal(decide(4.9, null, [t('x < 5')]), 'pass');
  assert.equal(decide(5, null, [t('x < 5')]), 'fail');
  assert.equal(decide(5, 1, [t('x < 5')]), 'fail');
});

test('relative thresholds compare the change against the baseline', () => {
  assert.equal(decide(109, 100, [t('x < +10%')]), 'pass');
  assert.equal(decide(111, 100, [t('x < +10%')]), 'fail');
  assert.equal(decide(80, 100, [t('x > -25%')]), 'pass');
  assert.equal(decide(70, 100, [t('x > -25%')]), 'fail');
  assert.equal(decide(5, null, [t('x < +10%')]), 'no-baseline');
});

test('growth from a zero baseline fails a "< +N%" threshold; staying at zero passes', () => {
  assert.equal(decide(3, 0, [t('errors < +10%')]), 'fail');
  assert.equal(decide(0, 0, [t('errors < +10%')]), 'pass');
});

test('one failing threshold fails the metric; a metric without thresholds is info', () => {
  assert.equal(decide(50, 100, [t('x < +10%'), t('x > 60')]), 'fail');
  assert.equal(decide(50, 100, []), 'info');
});

test('a run diffed against itself flags nothing', () => {
  const s = scenario(
    { 'proxied.latency.p50_us': 5_450, 'proxied.errors': 0 },
    { thresholds: ['proxied.latency.p50_us < +5%', 'proxied.errors < 1'] },
  );
  const run = results([s]);
  const diff = diffAgainstBaseline(run, run, 'b.json');
  assert.equal(diff.failed, 0);
  assert.equal(diff.machineMismatch, false);
  assert.deepEqual(diff.rows.map((r) => r.verdict).sort(), ['pass', 'pass']);
  assert.ok(diff.rows.every((r) => r.deltaPct === 0));
});

test('a regression beyond a relative threshold is flagged with its delta', () => {
  const base = results([
    scenario({ 'proxied.latency.p50_us': 5_000 }, { thresholds: ['proxied.latency.p50_us < +5%'] }),
  ]);
  const now = results([
    scenario({ 'proxied.latency.p50_us': 5_600 }, { thresholds: ['proxied.latency.p50_us < +5%'] }),
  ]);
  const diff = diffAgainstBaseline(now, base, 'b.json');
  assert.equal(diff.failed, 1);
  const row = diff.rows.find((r) => r.metric === 'proxied.latency.p50_us')!;
  assert.equal(row.verdict, 'fail');
  assert.equal(row.baseline, 5_000);
  assert.equal(row.now, 5_600);
  assert.ok(Math.abs(row.deltaPct! - 12) < 1e-9);
});

test('a threshold on a metric the scenario did not produce fails instead of passing silently', () => {
  const now = results([
    scenario({ 'proxied.latency.p50_us': 5_000 }, { thresholds: ['proxied.latency.p50_usx < 6000'] }),
  ]);
  const diff = diffAgainstBaseline(now, null, 'b.json');
  assert.equal(diff.failed, 1);
  assert.equal(
    diff.rows.find((r) => r.metric === 'proxied.latency.p50_usx')?.note,
    'the scenario produced no such metric',
  );
});

test('goals that fail are "miss", shown but not counted as failures', () => {
  const now = results([scenario({ 'proxied.overhead_pct.p95': 11 }, { goals: ['proxied.overhead_pct.p95 < 5'] })]);
  const diff = diffAgainstBaseline(now, null, 'b.json');
  assert.equal(diff.failed, 0);
  assert.equal(diff.missed, 1);
  assert.equal(diff.rows[0]!.verdict, 'miss');
  assert.deepEqual(diff.rows[0]!.goals, ['proxied.overhead_pct.p95 < 5']);
});

test('a metric whose only goal holds shows pass, and still gates nothing', () => {
  const now = results([scenario({ 'proxied.overhead_pct.p95': 3 }, { goals: ['proxied.overhead_pct.p95 < 5'] })]);
  const diff = diffAgainstBaseline(now, null, 'b.json');
  assert.equal(diff.rows[0]!.verdict, 'pass');
  assert.equal(diff.failed, 0);
  assert.equal(diff.missed, 0);
});

test('a baseline from another profile gives no relative verdicts, and says why', () => {
  const base = results([scenario({ m_us: 100 }, { profile: 'nightly' })]);
  const now = results([scenario({ m_us: 200 }, { thresholds: ['m_us < +10%'] })]);
  const row = diffAgainstBaseline(now, base, 'b.json').rows[0]!;
  assert.equal(row.verdict, 'no-baseline');
  assert.equal(row.baseline, null);
  assert.match(row.note ?? '', /profile nightly/);
});

test('a failed scenario is a failed row', () => {
  const now = results([
    {
      name: 'x',
      description: '',
      kind: 'comparison',
      profile: 'quick',
      settings: {},
      thresholds: [],
      goals: [],
      startedAt: '',
      durationMs: 0,
      state: 'failed',
      error: 'proxy failed to start',
    },
  ]);
  const diff = diffAgainstBaseline(now, null, 'b.json');
  assert.equal(diff.failed, 1);
  assert.equal(diff.rows[0]!.note, 'proxy failed to start');
});

test('a baseline from another machine is marked', () => {
  const base = results([scenario({ m_us: 1 })], { ...ENVIRONMENT, machineFingerprint: 'bbbbbbbbbbbbbbbb' });
  const now = results([scenario({ m_us: 1 })]);
  assert.equal(diffAgainstBaseline(now, base, 'b.json').machineMismatch, true);
});
