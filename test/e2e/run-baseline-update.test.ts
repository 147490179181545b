/**
 * --update-baseline writes the run as the baseline; a missing baseline is a message, not a failure. One scenario
 * (direct-vs-proxied, smoke) is enough: the baseline's handling does not depend on which scenarios ran.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readResults } from '../../harness/results/io.js';
import { readBaselineStore } from '../../harness/baseline/store.js';
import { newTag, runCli, waitForNoProcesses } from '../helpers/cli.js';

const SCENARIO = 'direct-vs-proxied';
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcp-perf-baseline-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('a missing baseline: the run says how to create one, skips relative thresholds and still judges absolute ones', async () => {
  const tag = newTag();
  const r = await runCli(
    ['run', SCENARIO, '--profile', 'smoke', '--baseline', join(dir, 'none.json'), '--out', join(dir, 'a')],
    { tag },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /no baseline at .*none\.json; relative thresholds are skipped\. Create one with `mcp-perf run --update-baseline`/,
  );
  assert.match(r.stdout, /proxied\.errors .*✔ pass .*goal: proxied\.errors < 1/, 'smoke shows thresholds as goals');
  assert.match(r.stdout, /proxied\.latency\.p50_us .*\? no baseline/);
  assert.match(r.stdout, /the smoke profile checks the pipeline; its numbers mean nothing/);
  const written = await readResults(join(dir, 'a', 'results.json'));
  assert.equal(
    written.environment.speed,
    undefined,
    'no baseline to find or write: the speed figures are not measured',
  );
  assert.deepEqual(await waitForNoProcesses(tag), []);
});

test('--update-baseline writes a valid baseline that the next run is diffed against', async () => {
  const baseline = join(dir, 'nested', 'measurements.json');
  const first = await runCli([
    'run',
    SCENARIO,
    '--profile',
    'smoke',
    '--baseline',
    baseline,
    '--update-baseline',
    '--out',
    join(dir, 'b'),
  ]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(
    first.stdout,
    /baseline updated for this machine \(.* × \d+, \d+ ops\/ms, loopback \d+ µs .*\): .*measurements\.json/,
  );
  const store = (await readBaselineStore(baseline))!;
  assert.equal(store.testbeds.length, 1, 'one testbed: this machine');
  const written = store.testbeds[0]!;
  assert.ok(written.environment.speed !== undefined, 'keyed by its speed figures');
  assert.equal(written.run.profile, 'smoke');
  assert.equal(written.baseline, null, 'a baseline does not carry a diff of its own');

  // This machine's speed moves between two runs (here 106–194 ops/ms within a minute), and a run at another speed
  // rightly finds no testbed of its own; what is tested here is the diff, so the second run is pinned to the first's.
  const { cpuOpsPerMs, loopbackRttUs } = written.environment.speed!;
  const second = await runCli(
    ['run', SCENARIO, '--profile', 'smoke', '--baseline', baseline, '--out', join(dir, 'c')],
    {
      env: { MCP_PERF_SPEED: `${cpuOpsPerMs},${loopbackRttUs}` },
    },
  );
  assert.ok(second.code === 0 || second.code === 99, second.stderr);
  assert.match(second.stdout, /this machine's baseline \(CPU speed \+0%, loopback round trip \+0%\)/);
  const diff = (await readResults(join(dir, 'c', 'results.json'))).baseline!;
  assert.equal(diff.baselineStartedAt, written.run.startedAt);
  const row = diff.rows.find((r) => r.scenario === 'direct-vs-proxied' && r.metric === 'direct.latency.p50_us')!;
  const recorded = written.scenarios.find((s) => s.name === 'direct-vs-proxied')!;
  assert.equal(row.baseline, recorded.state === 'completed' ? recorded.metrics['direct.latency.p50_us']!.value : null);
  assert.notEqual(row.deltaPct, null);
});

test('--json prints the results on stdout and nothing else', async () => {
  const r = await runCli([
    'run',
    SCENARIO,
    '--profile',
    'smoke',
    '--json',
    '--baseline',
    join(dir, 'none.json'),
    '--out',
    join(dir, 'd'),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const parsed = JSON.parse(r.stdout) as { schema: string; scenarios: unknown[] };
  assert.equal(parsed.schema, 'mcp-perf/results');
  assert.match(r.stderr, /▶ direct-vs-proxied/, 'progress went to stderr');
});
