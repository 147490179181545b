/**
 * The sign-off's gates read from a results file: pass, fail, not measured (never silently missing), reported; a
 * soak shorter than 30 minutes is not a soak gate passed; the change since a previous release is judged on trials
 * where there are trials; and the page's first section holds every gate, colour never the only signal.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { evaluateGates, GATE_SCENARIOS, GATES, signedOff } from '../../harness/release/gates.js';
import { renderSignOff } from '../../reports/sign-off.js';
import type { CompletedScenario, TrialRecord } from '../../harness/results/schema.js';
import { results, scenario } from '../helpers/fixtures.js';

function trial(p99: number, i: number): TrialRecord {
  return {
    phase: 'latency',
    trial: i,
    target: 'proxied',
    asked: { rate: 1000, durationMs: 1000 },
    achieved: {
      rate: 1000,
      sent: 1000,
      completed: 1000,
      ok: 1000,
      lateSends: 0,
      dropped: 0,
      maxSendLagUs: 0,
      durationMs: 1000,
    },
    p50_us: p99 / 2,
    p99_us: p99,
    errors: 0,
    generatorCpuPct: 10,
    targetCpuUs: null,
  };
}

function comparison(overheadP95: number, p99s: number[]): CompletedScenario {
  return { ...scenario({ 'proxied.overhead_pct.p95': overheadP95 }), trials: p99s.map(trial) };
}

const soak = (durationMs: number, leak: number): CompletedScenario => ({
  ...scenario({ 'soak.leak_suspected': leak, 'soak.children_left': 0 }, { name: 'soak' }),
  settings: { durationMs },
});

test('every gate names a source and a scenario that exists, and a release runs exactly those scenarios', () => {
  assert.ok(GATES.length >= 20);
  for (const g of GATES) {
    assert.match(g.source, /^(plan 00\d|mcp-perf)$/, g.id);
    assert.ok(GATE_SCENARIOS.includes(g.scenario), g.id);
  }
  assert.equal(new Set(GATES.map((g) => g.id)).size, GATES.length, 'ids are unique');
});

test('a gate passes, fails, is reported, or says why it was not measured', () => {
  const rows = evaluateGates(results([comparison(3, [9_000, 9_100]), soak(3_000, 0)]));
  const by = (id: string) => rows.find((r) => r.gate.id === id)!;
  assert.equal(by('overhead-p95').verdict, 'pass', '3% < 5%');
  assert.equal(by('overhead-p95-ours').verdict, 'fail', '3% is not < 2%');
  assert.equal(by('overhead-p95').value, 3);
  assert.equal(by('connections').verdict, 'not measured');
  assert.equal(by('connections').why, 'concurrency did not run');
  assert.equal(by('soak').verdict, 'not measured', 'a 3-second soak is not the 30-minute gate');
  assert.match(by('soak').why!, /ran 3\.0 s; the gate asks for 30 min/);
  assert.equal(by('package').verdict, 'not measured');
  assert.equal(rows.length, GATES.length, 'every gate has a row');
  assert.equal(signedOff(rows), false);
});

test('a 30-minute soak with no leak passes; a leak fails it', () => {
  const pass = evaluateGates(results([soak(1_800_000, 0)])).find((r) => r.gate.id === 'soak')!;
  assert.equal(pass.verdict, 'pass');
  const fail = evaluateGates(results([soak(1_800_000, 1)])).find((r) => r.gate.id === 'soak')!;
  assert.equal(fail.verdict, 'fail');
});

test('a cut-short or failed scenario is not measured, with the reason', () => {
  const partial = { ...comparison(1, []), partial: true as const };
  const row = evaluateGates(results([partial])).find((r) => r.gate.id === 'overhead-p95')!;
  assert.equal(row.verdict, 'not measured');
  assert.equal(row.why, 'direct-vs-proxied was cut short');
});

test('against a previous release: judged on trials where there are trials, the plain change elsewhere', () => {
  const before = results([comparison(4, [10_000, 10_100, 9_900, 10_050, 9_950, 10_020])]);
  const worse = results([comparison(2, [13_000, 13_100, 12_900, 13_050, 12_950, 13_020])]);
  const rows = evaluateGates(worse, before);
  const p99 = rows.find((r) => r.gate.id === 'e2e-p99')!.previous!;
  assert.equal(p99.basis, 'trials');
  assert.equal(p99.verdict, 'regressed', '+30% on every trial, 6 against 6');
  assert.match(p99.note!, /Mann–Whitney over 6 vs 6 trials/);
  const overhead = rows.find((r) => r.gate.id === 'overhead-p95')!.previous!;
  assert.equal(overhead.basis, 'figure');
  assert.equal(overhead.changePct, -50);
  assert.equal(overhead.verdict, undefined, 'one figure each is shown, not judged');

  const same = evaluateGates(results([comparison(4, [10_010, 10_090, 9_910, 10_040, 9_960, 10_000])]), before);
  assert.equal(same.find((r) => r.gate.id === 'e2e-p99')!.previous!.verdict, '~', 'within the noise');
});

test('page one lists every gate with a verdict in words, and the verdict line says why it is not signed off', () => {
  const file = results([comparison(30, [9_000, 9_100])]);
  const html = renderSignOff({ results: file, rows: evaluateGates(file), version: '9.9.9' });
  const pageOne = html.slice(html.indexOf('<section class="page-one"'), html.indexOf('</section>'));
  for (const g of GATES) assert.ok(pageOne.includes(`data-gate="${g.id}"`), `${g.id} on page one`);
  assert.match(pageOne, /NOT SIGNED OFF: 2 gate\(s\) failed, \d+ not measured/);
  assert.match(pageOne, /data-gate="overhead-p95">.*?✘ FAIL/s);
  assert.match(html, /mcp-perf 9\.9\.9: release sign-off/);
  assert.match(html, /No CPU profile/, 'a missing profile is said, not left blank');
});

test('docs/release.md lists every gate with its source', () => {
  const doc = readFileSync(new URL('../../../docs/release.md', import.meta.url), 'utf8');
  for (const g of GATES) assert.ok(doc.includes(`| ${g.title} | ${g.source} |`), `docs/release.md: ${g.title}`);
});
