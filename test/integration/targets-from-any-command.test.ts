/**
 * A seat is a row of the targets table, whatever command fills it: a plain executable told where to listen by
 * {host}:{port} (readiness: the port opens), or a target already running (readiness: an HTTP probe; no CPU charged).
 * A target that cannot start is a failed scenario whose error names the target and why; nothing is left running.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ProcessGroup, CLI_BIN } from '../../harness/runner/children.js';
import { runScenarios } from '../../harness/runner/run.js';
import type { CompletedScenario, ScenarioResult } from '../../harness/results/schema.js';
import { defineScenario } from '../../scenarios/define.js';
import { TARGETS, type TargetSpec } from '../../scenarios/targets.js';
import { PACKAGE_ROOT, serviceGroup, waitForNoProcesses, type Service } from '../helpers/cli.js';

const services = serviceGroup();
let running: Service;
before(async () => {
  // Everything the runner starts in this process carries the tag too.
  process.env.MCP_PERF_TEST_TAG = services.tag;
  running = await services.start(['mock', 'http', '--latency-ms', '1']);
});
after(async () => {
  assert.deepEqual(await services.stopAll(), []);
});

const node = process.execPath;
const http = { upstream: 'http', transport: 'streamable-http' } as const;
const table: Record<string, TargetSpec> = {
  direct: TARGETS.direct,
  'spawned-relay': {
    ...http,
    description: 'the relay started as a plain command, told where to listen',
    process: 'relay',
    argv: [node, CLI_BIN, 'relay', '--upstream', '{upstream_url}', '--listen', '{host}:{port}'],
    url: 'http://{host}:{port}/mcp',
    ready: 'port',
    charge: 'self',
  },
  missing: {
    ...http,
    description: 'a command that does not exist',
    process: 'missing',
    argv: ['mcp-perf-no-such-command', '--port', '{port}'],
    url: 'http://{host}:{port}/mcp',
    ready: 'port',
    charge: 'self',
  },
  silent: {
    ...http,
    description: 'a command that never opens its port',
    process: 'silent',
    argv: [node, '-e', 'setTimeout(() => {}, 60_000)', '{port}'],
    url: 'http://{host}:{port}/mcp',
    ready: { http: '/health' },
    readyTimeoutMs: 1_000,
    charge: 'self',
  },
  dies: {
    ...http,
    description: 'a command that exits at once',
    process: 'dies',
    argv: [node, '-e', 'process.exit(3)', '{port}'],
    url: 'http://{host}:{port}/mcp',
    ready: 'port',
    charge: 'self',
  },
  remote: {
    ...http,
    description: 'not on this machine',
    url: 'http://192.0.2.1:8080/mcp',
    ready: 'port',
    charge: 'none',
  },
};

async function run(targets: string[], extra: Record<string, TargetSpec> = {}): Promise<ScenarioResult> {
  const scenario = defineScenario({
    kind: 'comparison',
    name: 'any-command',
    description: 'targets from the table',
    mock: { latencyMs: 1, payloadBytes: 16, response: 'json' },
    targets,
    executors: { latency: 'constant-arrival-rate', throughput: 'constant-vus' },
    sessions: 2,
    maxInFlight: 100,
    throughputConcurrency: 4,
    profiles: Object.fromEntries(
      ['smoke', 'quick', 'nightly', 'release'].map((p) => [
        p,
        { warmupMs: 100, trials: 1, latencyTrialMs: 300, throughputTrialMs: 200, rate: 100 },
      ]),
    ) as never,
    thresholds: [],
    goals: [],
  });
  const group = new ProcessGroup();
  const file = await runScenarios({
    scenarios: [scenario],
    profile: 'quick',
    cwd: PACKAGE_ROOT,
    group,
    signal: new AbortController().signal,
    emit: () => {},
    targets: { ...table, ...extra },
  });
  assert.equal(group.running().length, 0, 'every process the scenario started is ended');
  return file.scenarios[0]!;
}

test('a plain command with {port} and an already-running target sit beside direct and are measured', async () => {
  const s = await run(['direct', 'spawned-relay', 'running'], {
    running: {
      ...http,
      description: 'a mock the test started',
      url: running.url,
      ready: { http: '/mcp' },
      charge: 'none',
    },
  });
  assert.equal(s.state, 'completed', s.state === 'failed' ? s.error : '');
  const c = s as CompletedScenario;
  assert.deepEqual(Object.keys(c.targets), ['direct', 'spawned-relay', 'running']);
  for (const [name, t] of Object.entries(c.targets)) {
    assert.ok((t.latency?.summary.count ?? 0) > 0, `${name}: latency measured`);
    assert.deepEqual(t.errors, {}, `${name}: no errors`);
  }
  assert.equal(c.targets.running!.url, running.url);
  assert.ok(c.targets['spawned-relay']!.cpuUsPerRequest.closed! > 0, 'the spawned command is charged its CPU');
  assert.equal(c.targets.running!.cpuUsPerRequest.closed, null, 'a running target is charged nothing');
  assert.ok(c.warnings.some((w) => /running was already running: no CPU of its is charged/.test(w)));
  assert.ok(c.metrics['spawned-relay.overhead_pct.p50'] !== undefined);
});

test('a target that cannot start fails its scenario with an error naming it, and leaves nothing running', async () => {
  const cases: Array<[string, RegExp]> = [
    [
      'missing',
      /target "missing": mcp-perf-no-such-command is not installed \(not on PATH nor in node_modules\/\.bin\)/,
    ],
    ['silent', /target "silent": .*not ready within 1000 ms/],
    ['dies', /target "dies": .*exited with code 3 before it was ready/],
    ['remote', /target "remote": http:\/\/192\.0\.2\.1:8080\/mcp is not loopback: load stays on this machine/],
    ['nginx', /unknown target "nginx" in scenario any-command; known: direct, spawned-relay/],
  ];
  for (const [name, error] of cases) {
    const s = await run(['direct', name]);
    assert.equal(s.state, 'failed', name);
    assert.match(s.state === 'failed' ? s.error : '', error);
  }
  // Only the test's own mock is left.
  const left = await waitForNoProcesses(services.tag, 2_000);
  assert.deepEqual(left, [running.pid]);
});
