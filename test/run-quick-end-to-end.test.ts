/** One real `mcp-perf run --profile quick`, as a user runs it: processes, load, results, diff, report. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decodeHistogram } from '../harness/measure/histogram.js';
import { readResults } from '../harness/results/io.js';
import type { CompletedScenario, ResultsFile } from '../harness/results/schema.js';
import { newTag, processesWithTag, runCli, type CliResult } from './helpers/cli.js';

const tag = newTag();
let dir: string;
let run: CliResult;
let results: ResultsFile;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcp-perf-e2e-'));
  run = await runCli(['run', '--profile', 'quick', '--out', dir], { tag, timeoutMs: 180_000 });
  results = await readResults(join(dir, 'results.json'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('the run completes: exit 0, or 99 when this machine misses a threshold; never a crash', () => {
  assert.ok(run.code === 0 || run.code === 99, `exit ${run.code}\n${run.stderr}`);
  assert.equal(run.stderr, '', 'nothing on stderr');
});

test('it prints progress, the per-target summary and the baseline diff', () => {
  assert.match(run.stdout, /^mcp-perf run: direct-vs-proxied, stdio-bridge, stdio-hammer, sse-fanout, components — profile quick/m);
  assert.match(run.stdout, /^▶ direct-vs-proxied \(1\/5\)$/m);
  assert.match(run.stdout, /^▶ stdio-bridge \(2\/5\)$/m);
  assert.match(run.stdout, /^▶ stdio-hammer \(3\/5\)$/m);
  assert.match(run.stdout, /^▶ sse-fanout \(4\/5\)$/m);
  assert.match(run.stdout, /^▶ components \(5\/5\)$/m);
  assert.match(run.stdout, /^ {2}started mock pid \d+, bridge pid \d+$/m);
  assert.match(run.stdout, /^ {2}started mock pid \d+, proxy pid \d+, relay pid \d+$/m);
  assert.match(run.stdout, /^ {2}latency 3\/3 +relay +\d+\/s of 1000\/s asked/m);
  assert.match(run.stdout, /^target +p50 +p90 +p99 +p99\.9 +max +throughput +errors +CPU\/req$/m);
  assert.match(run.stdout, /^metric +baseline +now +delta +verdict +threshold$/m);
  assert.match(run.stdout, /direct-vs-proxied proxied\.overhead_pct\.p95 .*goal: proxied\.overhead_pct\.p95 < 5/);
  assert.match(run.stdout, new RegExp(`^results: ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/results\\.json$`, 'm'));
});

test('results.json holds every target with decodable histograms, achieved load and the environment', () => {
  const s = results.scenarios[0] as CompletedScenario;
  assert.equal(s.state, 'completed');
  assert.deepEqual(Object.keys(s.targets), ['direct', 'proxied', 'relay']);
  for (const [name, t] of Object.entries(s.targets)) {
    const h = decodeHistogram(t.latency.histogram);
    assert.equal(h.totalCount, t.latency.summary.count, name);
    assert.ok(h.totalCount >= 3 * 2_000, `${name}: ${h.totalCount} latency samples`);
    assert.ok(t.throughputRps > 0, `${name} throughput`);
    assert.ok(t.cpuUsPerRequest.closed !== null && t.cpuUsPerRequest.closed > 0, `${name} CPU per request`);
  }
  for (const key of ['proxied.added.p50_us', 'proxied.overhead_pct.p99', 'proxied.throughput_vs_relay', 'proxied.cpu_us_per_req', 'load.achieved_rate', 'load.late_send_pct']) {
    assert.ok(s.metrics[key] !== undefined, `metric ${key}`);
  }
  assert.ok(Math.abs(s.metrics['load.achieved_rate']!.value - 1_000) < 50, 'the generator achieved about the asked rate');
  assert.equal(results.environment.cores > 0, true);
  assert.match(results.environment.node, /^v\d+/);
  assert.match(results.environment.machineFingerprint, /^[0-9a-f]{16}$/);
});

test('trials are interleaved A B C A B C, latency first, then throughput', () => {
  const s = results.scenarios[0] as CompletedScenario;
  const order = s.trials.map((t) => `${t.phase}:${t.trial}:${t.target}`);
  const expected = ['latency', 'throughput'].flatMap((phase) => [1, 2, 3].flatMap((trial) => ['direct', 'proxied', 'relay'].map((t) => `${phase}:${trial}:${t}`)));
  assert.deepEqual(order, expected);
  for (const t of s.trials.filter((t) => t.phase === 'latency')) assert.equal(t.asked.rate, 1_000);
});

test('the run was diffed against the committed baseline', () => {
  const diff = results.baseline!;
  assert.ok(diff !== null);
  assert.match(diff.baselinePath, /baseline\/measurements\.json$/);
  const row = diff.rows.find((r) => r.metric === 'proxied.latency.p50_us')!;
  assert.ok(row.baseline !== null && row.baseline > 0, 'the baseline has this metric');
  assert.ok(row.thresholds.includes('proxied.latency.p50_us < +5%'));
  assert.equal(diff.failed === 0, run.code === 0, 'the exit code follows the failed thresholds');
});

test('report.html is written beside results.json, and re-renders identically from the file alone', async () => {
  const html = await readFile(join(dir, 'report.html'), 'utf8');
  assert.match(html, /<canvas id="spectrum-0"/);
  const again = await runCli(['report', join(dir, 'results.json'), '--out', join(dir, 'again.html')]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(await readFile(join(dir, 'again.html'), 'utf8'), html);
});

test('the stdio-bridge scenario served its sessions through the bridge, one child each', () => {
  const s = results.scenarios[1] as CompletedScenario;
  assert.equal(s.name, 'stdio-bridge');
  assert.equal(s.state, 'completed');
  assert.deepEqual(Object.keys(s.targets), ['direct', 'bridged']);
  assert.deepEqual(s.targets.bridged!.errors, {});
  assert.ok(s.metrics['bridged.throughput_rps']!.value > 0);
  assert.ok(s.metrics['bridged.added.p50_us'] !== undefined);
});

test('sse-fanout: 500 streams, every sequenced notification delivered once and in order', () => {
  const s = results.scenarios[3] as CompletedScenario;
  assert.equal(s.name, 'sse-fanout');
  assert.equal(s.state, 'completed');
  for (const key of ['fanout.lost', 'fanout.duplicated', 'fanout.reordered', 'fanout.streams_dropped']) assert.equal(s.metrics[key]!.value, 0, key);
  assert.ok(s.metrics['fanout.events_per_sec']!.value > 0);
  assert.ok(decodeHistogram(s.targets.proxied!.latency.histogram).totalCount > 1_000, 'delivery latencies were recorded');
  assert.ok(s.metrics['fanout.proxy_rss_bytes']!.value > 0);
});

test('stdio-hammer: every step measured, and the bridge spawned one child per session', () => {
  const s = results.scenarios[2] as CompletedScenario;
  assert.equal(s.name, 'stdio-hammer');
  assert.equal(s.state, 'completed');
  assert.deepEqual(Object.keys(s.targets), ['forward-w1', 'forward-w8', 'forward-w64', 'forward-w256', 'bridge-c4', 'bridge-c16', 'bridge-c64']);
  assert.equal(s.metrics['bridge.sessions']!.value, 16);
  assert.equal(s.metrics['bridge.children_spawned']!.value, 16, 'never a child per request');
  assert.equal(s.metrics['forward.errors']!.value, 0);
  assert.equal(s.metrics['bridge.errors']!.value, 0);
});

test('components: every stage was benchmarked in a proxy process', () => {
  const s = results.scenarios[4] as CompletedScenario;
  assert.equal(s.name, 'components');
  assert.equal(s.state, 'completed');
  for (const c of ['auth_hs256', 'auth_token', 'rate_limit', 'session_lookup', 'jsonrpc_parse', 'framing']) {
    assert.ok(s.metrics[`components.${c}.p50_ns`]!.value > 0, c);
    assert.ok(s.metrics[`components.${c}.p99_ns`]!.value >= s.metrics[`components.${c}.p50_ns`]!.value, c);
    assert.ok(s.metrics[`components.${c}.ops_per_sec`]!.value > 0, c);
  }
  assert.match(run.stdout, /components\.rate_limit\.p99_ns .*components\.rate_limit\.p99_ns < 100000/);
});

test('no process the run started outlives it', () => {
  assert.deepEqual(processesWithTag(tag), []);
});
