/**
 * Verdicts that hold on any machine: a baseline applies only to its own testbed (fingerprint and speed), and a
 * threshold crossed within the run's noise or on a busy machine is "inconclusive", never a failure.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { diffAgainstBaseline, judge, trialValues } from '../../harness/baseline/diff.js';
import { findTestbed, readBaselineStore, withTestbed, writeBaselineStore } from '../../harness/baseline/store.js';
import { runSpeed } from '../../harness/measure/speed.js';
import type { CompletedScenario, TrialRecord } from '../../harness/results/schema.js';
import { parseThreshold } from '../../scenarios/thresholds.js';
import { ENVIRONMENT, results, scenario } from '../helpers/fixtures.js';

const t = (s: string) => parseThreshold(s);
const quiet = { trials: undefined, busy: undefined };

test('a relative threshold fails only when every trial crossed it; otherwise it is inconclusive', () => {
  const gate = [t('x < +5%')];
  assert.equal(judge(112, 100, gate, { ...quiet, trials: [110, 112, 115] }).verdict, 'fail');
  const some = judge(112, 100, gate, { ...quiet, trials: [101, 112, 130] });
  assert.equal(some.verdict, 'inconclusive');
  assert.match(some.note!, /2 of 3 trials beyond the limit: within this run's noise; `mcp-perf compare` decides/);
  assert.equal(judge(104, 100, gate, { ...quiet, trials: [90, 104, 120] }).verdict, 'pass', 'the merged figure holds');
  // Throughput falling: "> -25%".
  assert.equal(judge(60, 100, [t('x > -25%')], { ...quiet, trials: [55, 60, 70] }).verdict, 'fail');
  assert.equal(judge(60, 100, [t('x > -25%')], { ...quiet, trials: [55, 60, 80] }).verdict, 'inconclusive');
});

test('a figure measured once is inconclusive between its limit and twice it, and fails beyond', () => {
  assert.equal(judge(108, 100, [t('x < +5%')], quiet).verdict, 'inconclusive');
  assert.equal(judge(111, 100, [t('x < +5%')], quiet).verdict, 'fail');
  assert.equal(judge(60, 100, [t('x > -25%')], quiet).verdict, 'inconclusive');
  assert.equal(judge(40, 100, [t('x > -25%')], quiet).verdict, 'fail');
});

test('a busy machine makes a crossed timing threshold inconclusive, absolute or relative', () => {
  const busy = { trials: [200, 210, 220], busy: 'other processes used 80% of a core while this ran' };
  const r = judge(210, 100, [t('x < +5%')], busy);
  assert.equal(r.verdict, 'inconclusive');
  assert.match(r.note!, /other processes used 80% of a core/);
  assert.equal(judge(7, null, [t('x < 5')], busy).verdict, 'inconclusive');
  assert.equal(judge(3, null, [t('x < 5')], busy).verdict, 'pass');
});

function trial(phase: 'latency' | 'throughput', n: number, target: string, p50: number, rate = 1000): TrialRecord {
  return {
    phase,
    trial: n,
    target,
    asked: { durationMs: 1000, rate: 1000 },
    achieved: { durationMs: 1000, sent: 1, completed: 1, ok: 1, rate, lateSends: 0, dropped: 0, maxSendLagUs: 0 },
    p50_us: p50,
    p99_us: p50 * 2,
    errors: 0,
    generatorCpuPct: 10,
    targetCpuUs: null,
  };
}

function comparison(p50: number[], metrics: Record<string, number>, thresholds: string[]): CompletedScenario {
  const s = scenario(metrics, { thresholds });
  return {
    ...s,
    settings: { ...s.settings, targets: ['direct', 'proxied'] },
    trials: p50.flatMap((v, i) => [trial('latency', i + 1, 'direct', 5000), trial('latency', i + 1, 'proxied', v)]),
  };
}

test('trial values come from the trials: latency and throughput per target, added latency round by round', () => {
  const s = comparison([5200, 5300, 5400], {}, []);
  assert.deepEqual(trialValues(s, 'proxied.latency.p50_us'), [5200, 5300, 5400]);
  assert.deepEqual(trialValues(s, 'proxied.added.p50_us'), [200, 300, 400]);
  assert.deepEqual(trialValues(s, 'proxied.overhead_pct.p50'), [4, 6, 8]);
  assert.equal(trialValues(s, 'proxied.latency.p90_us'), undefined, 'trials do not record p90');
  assert.equal(trialValues(s, 'direct.added.p50_us'), undefined, 'the reference adds nothing to itself');
});

test('diff: an injected step in every trial fails; a noisy trial makes it inconclusive and the run passes', () => {
  const gate = ['proxied.latency.p50_us < +5%'];
  const base = results([comparison([5000, 5000, 5000], { 'proxied.latency.p50_us': 5000 }, gate)]);
  const stepped = results([comparison([6000, 6100, 6050], { 'proxied.latency.p50_us': 6050 }, gate)]);
  const regressed = diffAgainstBaseline(stepped, base, 'b.json');
  assert.equal(regressed.failed, 1);
  assert.equal(regressed.rows[0]!.note, 'every trial (3 of 3) beyond the limit');
  const noisy = results([comparison([5000, 5100, 6500], { 'proxied.latency.p50_us': 5400 }, gate)]);
  const unsure = diffAgainstBaseline(noisy, base, 'b.json');
  assert.equal(unsure.failed, 0);
  assert.equal(unsure.inconclusive, 1);
  assert.equal(unsure.rows[0]!.verdict, 'inconclusive');
});

test('diff: errors are never excused by a busy machine', () => {
  const s = {
    ...scenario(
      { 'proxied.errors': 3, 'proxied.latency.p50_us': 9000 },
      {
        thresholds: ['proxied.errors < 1', 'proxied.latency.p50_us < 6000'],
      },
    ),
    machineLoad: { foreignCpuPct: 95, stealPct: 0 },
  };
  const diff = diffAgainstBaseline(results([s]), null, 'b.json');
  const verdict = (m: string) => diff.rows.find((r) => r.metric === m)!.verdict;
  assert.equal(verdict('proxied.errors'), 'fail');
  assert.equal(verdict('proxied.latency.p50_us'), 'inconclusive');
});

const speed = { cpuOpsPerMs: 100, loopbackRttUs: 40 };

test('a baseline applies only to its testbed: same fingerprint and speed within tolerance', () => {
  const here = { ...ENVIRONMENT, speed };
  const store = withTestbed(undefined, results([scenario({ m_us: 1 })], here));
  assert.ok(findTestbed(store, { ...here, speed: { cpuOpsPerMs: 112, loopbackRttUs: 52 } }).baseline !== null);
  const half = findTestbed(store, { ...here, speed: { cpuOpsPerMs: 50, loopbackRttUs: 40 } });
  assert.equal(half.baseline, null, 'a VM of the same model at half the speed is another testbed');
  assert.match(half.why, /same model, another speed \(CPU speed 50 vs 100 ops\/ms \(-50%\)\)/);
  const other = findTestbed(store, { ...here, machineFingerprint: 'bbbbbbbbbbbbbbbb' });
  assert.match(other.why, /another machine/);
  const unmeasured = findTestbed(withTestbed(undefined, results([scenario({ m_us: 1 })])), here);
  assert.match(unmeasured.why, /recorded without speed figures/);
});

test('recording a baseline replaces this testbed and keeps the others', () => {
  const a = { ...ENVIRONMENT, speed };
  const b = { ...ENVIRONMENT, speed: { cpuOpsPerMs: 200, loopbackRttUs: 20 } };
  const old = {
    ...withTestbed(undefined, results([scenario({ m_us: 0 })], a)),
    testbeds: [results([scenario({ m_us: 0 })])],
  };
  let store = withTestbed(old, results([scenario({ m_us: 1 })], a));
  assert.equal(store.testbeds.length, 1, 'an entry without speed figures (it can match no machine) is dropped');
  store = withTestbed(store, results([scenario({ m_us: 2 })], b));
  store = withTestbed(
    store,
    results([scenario({ m_us: 3 })], { ...a, speed: { cpuOpsPerMs: 105, loopbackRttUs: 41 } }),
  );
  assert.equal(store.testbeds.length, 2);
  const mine = findTestbed(store, a).baseline!;
  assert.equal((mine.scenarios[0] as CompletedScenario).metrics.m_us!.value, 3);
});

test('the store reads back what it wrote, reads a plain results file as one testbed, and refuses garbage', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mcp-perf-store-'));
  try {
    const path = join(dir, 'measurements.json');
    assert.equal(await readBaselineStore(path), undefined, 'a missing file is no store, not an error');
    const store = withTestbed(undefined, results([scenario({ m_us: 1 })], { ...ENVIRONMENT, speed }));
    await writeBaselineStore(path, store);
    assert.deepEqual(await readBaselineStore(path), store);
    await writeFile(path, JSON.stringify(results([scenario({ m_us: 1 })])));
    assert.equal((await readBaselineStore(path))!.testbeds.length, 1);
    await writeFile(path, '{"schema":"mcp-perf-baselines","schemaVersion":1,"testbeds":[{"nope":1}]}');
    await assert.rejects(readBaselineStore(path), /testbeds\[0\] is not an mcp-perf results file/);
    await writeFile(path, '{"truncated');
    await assert.rejects(readBaselineStore(path), /is not valid JSON/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('MCP_PERF_SPEED pins the speed figures, and a malformed pin is refused with the form it wants', async () => {
  assert.deepEqual(await runSpeed({ MCP_PERF_SPEED: '377,15' }), { cpuOpsPerMs: 377, loopbackRttUs: 15 });
  assert.deepEqual(await runSpeed({ MCP_PERF_SPEED: ' 180.5 , 54 ' }), { cpuOpsPerMs: 180.5, loopbackRttUs: 54 });
  for (const bad of ['fast', '377', '377,0', '-1,15', '377,15,1'])
    await assert.rejects(runSpeed({ MCP_PERF_SPEED: bad }), /expected "<CPU ops\/ms>,<loopback µs>"/, bad);
});
