/**
 * `mcp-perf run --target NAME=TEMPLATE` puts a user's own proxy in a comparison's seats: here a tiny proxy written
 * for the test (test/fixtures/tiny-proxy.ts: node:http, told --port and --upstream, no ready line). A target that
 * dies mid-run fails the scenario with an error naming it; a template that cannot work is refused before anything
 * starts. Nothing is left running.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { readResults } from '../../harness/results/io.js';
import type { CompletedScenario } from '../../harness/results/schema.js';
import { newTag, runCli, smokeRunArgs, waitForNoProcesses } from '../helpers/cli.js';

const TINY = fileURLToPath(new URL('../fixtures/tiny-proxy.js', import.meta.url));
const mine = (extra = ''): string =>
  `mine='${process.execPath}' '${TINY}' --port {port} --upstream {upstream_url}${extra}`;

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcp-perf-target-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = (out: string, ...args: string[]) => {
  const tag = newTag();
  const result = runCli(smokeRunArgs('direct-vs-proxied', join(dir, out), ...args), { tag });
  return { tag, result };
};

test('--target puts a proxy of our own making in a seat beside direct, ours and the relay', async () => {
  const { tag, result } = run('mine', '--target', mine());
  const r = await result;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^ {2}started mock pid \d+, proxy pid \d+, relay pid \d+, mine pid \d+$/m);
  const s = (await readResults(join(dir, 'mine', 'results.json'))).scenarios[0] as CompletedScenario;
  assert.deepEqual(Object.keys(s.targets), ['direct', 'proxied', 'relay', 'mine']);
  const t = s.targets.mine!;
  assert.ok((t.latency?.summary.count ?? 0) > 50, `mine: ${t.latency?.summary.count} calls timed`);
  assert.deepEqual(t.errors, {}, 'every answer matched its request through it');
  assert.ok(t.throughputRps > 0);
  assert.ok(t.cpuUsPerRequest.closed !== null && t.cpuUsPerRequest.closed > 0, 'its CPU is charged to it');
  assert.ok(s.metrics['mine.added.p50_us'] !== undefined && s.metrics['mine.throughput_ratio'] !== undefined);
  assert.match(r.stdout, /^mine +open +[\d,]+ µs/m, 'the summary has its row');
  assert.deepEqual(await waitForNoProcesses(tag, 2_000), []);
});

test('a target that dies mid-run fails the scenario with an error naming it, and nothing is left running', async () => {
  const { tag, result } = run('dies', '--target', mine(' --die-after-ms 1500'));
  const r = await result;
  assert.equal(r.code, 99, r.stderr);
  const s = (await readResults(join(dir, 'dies', 'results.json'))).scenarios[0]!;
  assert.equal(s.state, 'failed');
  assert.match(s.state === 'failed' ? s.error : '', /^target "mine" exited with code 3 during the scenario/);
  assert.deepEqual(await waitForNoProcesses(tag, 2_000), []);
});

test('a template that cannot work is refused before anything starts', async () => {
  for (const [flag, why] of [
    ["mine='node my-proxy.js --upstream {upstream_url}'", /--target: target "mine": the command must place \{port\}/],
    ["mine='node my-proxy.js --port {port}'", /must place exactly one upstream: \{upstream_url\}/],
    ['mine', /--target takes NAME=TEMPLATE/],
    ['mine=http://10.0.0.1:8080/mcp', /is not loopback/],
  ] as const) {
    const { tag, result } = run('bad', '--target', flag);
    const r = await result;
    assert.equal(r.code, 2, `${flag}: ${r.stderr}`);
    assert.match(r.stderr + r.stdout, why);
    assert.deepEqual(await waitForNoProcesses(tag, 2_000), []);
  }
});

test('a config file beside the run seats its targets and gates them with its thresholds', async () => {
  const project = join(dir, 'project');
  await mkdir(project);
  await writeFile(
    join(project, 'mcp-perf.config.json'),
    JSON.stringify({
      scenarios: ['direct-vs-proxied'],
      profile: 'smoke',
      targets: { mine: { command: [process.execPath, TINY, '--port', '{port}', '--upstream', '{upstream_url}'] } },
      thresholds: { 'direct-vs-proxied': ['mine.errors < 1', 'mine.throughput_rps > 0'] },
    }),
  );
  const tag = newTag();
  const r = await runCli(['run', '--no-report', '--baseline', join(project, 'none.json'), '--out', 'out'], {
    tag,
    cwd: project,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^config: .*project\/mcp-perf\.config\.json$/m);
  assert.match(r.stdout, /^mcp-perf run: direct-vs-proxied — profile smoke/m);
  const s = (await readResults(join(project, 'out', 'results.json'))).scenarios[0] as CompletedScenario;
  assert.deepEqual(Object.keys(s.targets), ['direct', 'proxied', 'relay', 'mine']);
  assert.match(r.stdout, /mine\.errors .*✔ pass .*goal: mine\.errors < 1/, "the file's gates are the scenario's now");
  assert.doesNotMatch(r.stdout, /proxied\.latency\.p90_us/, "the scenario's own gates were replaced");
  assert.deepEqual(await waitForNoProcesses(tag, 2_000), []);
});
