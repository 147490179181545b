/**
 * The config file: found beside the run (or named), loaded as JSON, an ES module or TypeScript, checked field by
 * field with errors that name the file and the field, and laid under the flags (a flag wins).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { checkConfig, findConfigFile, loadConfigFile } from '../../harness/config/config-file.js';
import { validateRunConfig } from '../../harness/config/run-config.js';
import { SCENARIOS } from '../../harness/config/scenarios.js';
import { TARGETS } from '../../scenarios/targets.js';
import { PACKAGE_ROOT } from '../helpers/cli.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcp-perf-config-'));
  // As in a project that installed mcp-perf: `import { defineConfig } from 'mcp-perf'` resolves.
  await mkdir(join(dir, 'node_modules'));
  await symlink(PACKAGE_ROOT, join(dir, 'node_modules', 'mcp-perf'), 'dir');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const MINE = 'node my-proxy.js --port {port} --upstream {upstream_url}';
const check = (raw: unknown) => checkConfig(raw, '/project/mcp-perf.config.json', SCENARIOS);

test('a config holds targets (a template, a command with more said, a preset), scenarios, gates and paths', () => {
  const c = check({
    scenarios: ['direct-vs-proxied'],
    profile: 'smoke',
    targets: {
      mine: MINE,
      theirs: {
        command: ['their-proxy', '--listen', '{port}', '--', '{upstream_argv}'],
        url: 'http://{host}:{port}/',
        ready: { http: '/health' },
        readyTimeoutMs: 60_000,
      },
      sg: { preset: 'supergateway' },
    },
    thresholds: { 'direct-vs-proxied': ['mine.errors < 1', 'mine.added.p50_us < 2000'] },
    goals: { 'direct-vs-proxied': ['mine.throughput_ratio > 0.8'] },
    baseline: 'perf/baseline.json',
    out: 'perf/runs',
  });
  assert.deepEqual(c.scenarios, ['direct-vs-proxied']);
  assert.equal(c.profile, 'smoke');
  assert.equal(c.targets.mine!.upstream, 'http');
  assert.deepEqual(c.targets.mine!.argv, ['node', 'my-proxy.js', '--port', '{port}', '--upstream', '{upstream_url}']);
  assert.equal(c.targets.theirs!.upstream, 'stdio');
  assert.equal(c.targets.theirs!.url, 'http://{host}:{port}/');
  assert.deepEqual(c.targets.theirs!.ready, { http: '/health' });
  assert.equal(c.targets.theirs!.readyTimeoutMs, 60_000);
  assert.equal(c.targets.sg, TARGETS.supergateway);
  assert.equal(c.baseline, '/project/perf/baseline.json', 'paths are relative to the config file');
  assert.equal(c.out, '/project/perf/runs');
});

test('every mistake in a config is named with the file and the field', () => {
  for (const [raw, why] of [
    [[], /expected an object/],
    [{ target: {} }, /target: unknown field; the fields are scenarios, profile, targets/],
    [{ scenarios: ['direct-vs-proxy'] }, /scenarios: no scenario "direct-vs-proxy"; available: /],
    [{ scenarios: [] }, /an empty list runs nothing/],
    [{ profile: 'fast' }, /profile: "fast" is not one of smoke, quick/],
    [{ thresholds: { 'direct-vs-proxied': ['mine.errors <'] } }, /thresholds\.direct-vs-proxied: /],
    [{ thresholds: { 'direct-vs-proxied': 'mine.errors < 1' } }, /expected a list of strings/],
    [
      { targets: { mine: 'node my-proxy.js --upstream {upstream_url}' } },
      /targets\.mine: the command must place \{port\}/,
    ],
    [{ targets: { mine: 'http://10.0.0.1:8080/mcp' } }, /targets\.mine: .* is not loopback/],
    [{ targets: { mine: { command: MINE, url: 'http://10.0.0.1:{port}/mcp' } } }, /must be on \{host\} \(loopback\)/],
    [{ targets: { mine: { preset: 'nginy' } } }, /targets\.mine: no preset "nginy"; presets: direct, proxied/],
    [{ targets: { mine: { command: MINE, ready: 'ready-line' } } }, /ready: expected "port" or \{ "http": "\/path" \}/],
    [{ targets: { mine: { command: MINE, port: 8080 } } }, /unknown field "port"/],
    [{ targets: { Mine: MINE } }, /targets\.Mine: its name must be kebab-case/],
    [{ out: '' }, /out: expected a path/],
  ] as const) {
    assert.throws(
      () => check(raw),
      (err: Error) => {
        assert.match(err.message, /^config \/project\/mcp-perf\.config\.json: /);
        assert.match(err.message, why);
        return true;
      },
    );
  }
});

test('the flags win over the file: scenarios, profile, out, and a target of the same name', () => {
  const file = check({
    scenarios: ['direct-vs-proxied'],
    profile: 'smoke',
    targets: { mine: MINE, sg: { preset: 'supergateway' } },
    thresholds: { 'direct-vs-proxied': ['mine.errors < 1'] },
    out: 'runs',
  });
  const fromFile = validateRunConfig([], '/elsewhere', new Date('2026-12-02T10:00:00Z'), file);
  assert.deepEqual(
    fromFile.scenarios.map((s) => s.name),
    ['direct-vs-proxied'],
  );
  assert.deepEqual(fromFile.scenarios[0]!.thresholds, ['mine.errors < 1'], "the file's gates replace the scenario's");
  assert.equal(fromFile.profile, 'smoke');
  assert.equal(fromFile.outDir, '/project/runs/2026-12-02T10-00-00Z');
  assert.deepEqual(Object.keys(fromFile.targets), ['mine', 'sg']);

  const flags = validateRunConfig(
    ['sse-fanout', '--profile', 'quick', '--out', 'x', '--target', 'mine=http://127.0.0.1:9/mcp'],
    '/elsewhere',
    new Date(),
    file,
  );
  assert.deepEqual(
    flags.scenarios.map((s) => s.name),
    ['sse-fanout'],
  );
  assert.equal(flags.profile, 'quick');
  assert.equal(flags.outDir, '/elsewhere/x');
  assert.equal(flags.targets.mine!.url, 'http://127.0.0.1:9/mcp');
  assert.equal(flags.targets.sg, TARGETS.supergateway);
});

test('config files are found beside the run, one at a time, and load as JSON, an ES module or TypeScript', async () => {
  const project = join(dir, 'project');
  await mkdir(project);
  assert.equal(findConfigFile(project, undefined), undefined, 'none: no config');
  assert.throws(() => findConfigFile(project, 'nope.json'), /--config nope\.json: no such file/);

  const body = `{ scenarios: ['direct-vs-proxied'], targets: { mine: '${MINE}' } }`;
  await writeFile(join(project, 'mcp-perf.config.json'), JSON.stringify({ scenarios: ['direct-vs-proxied'] }));
  assert.equal(findConfigFile(project, undefined), join(project, 'mcp-perf.config.json'));
  await writeFile(
    join(project, 'mcp-perf.config.mjs'),
    `import { defineConfig } from 'mcp-perf';\nexport default defineConfig(${body});\n`,
  );
  assert.throws(() => findConfigFile(project, undefined), /mcp-perf\.config\.mjs and mcp-perf\.config\.json are both/);

  const mjs = await loadConfigFile(join(project, 'mcp-perf.config.mjs'), SCENARIOS);
  assert.equal(mjs.targets.mine!.upstream, 'http');
  const json = await loadConfigFile(join(project, 'mcp-perf.config.json'), SCENARIOS);
  assert.deepEqual(json.scenarios, ['direct-vs-proxied']);

  const ts = join(project, 'mcp-perf.config.ts');
  await writeFile(
    ts,
    `import { defineConfig, type McpPerfConfig } from 'mcp-perf';\nconst profile: McpPerfConfig['profile'] = 'smoke';\nexport default defineConfig({ ...${body}, profile });\n`,
  );
  const typed = await loadConfigFile(ts, SCENARIOS);
  assert.equal(typed.profile, 'smoke');
  assert.equal(typed.targets.mine!.upstream, 'http');
  assert.deepEqual(
    (await readdir(project)).sort(),
    ['mcp-perf.config.json', 'mcp-perf.config.mjs', 'mcp-perf.config.ts'],
    'the transpiled module is removed',
  );

  await writeFile(join(project, 'broken.json'), '{ "scenarios": [');
  await assert.rejects(loadConfigFile(join(project, 'broken.json'), SCENARIOS), /broken\.json: not valid JSON/);
  await writeFile(join(project, 'none.mjs'), 'export const x = 1;\n');
  await assert.rejects(loadConfigFile(join(project, 'none.mjs'), SCENARIOS), /has no default export/);
  await writeFile(join(project, 'throws.mjs'), "throw new Error('boom');\n");
  await assert.rejects(loadConfigFile(join(project, 'throws.mjs'), SCENARIOS), /throws\.mjs: it failed to load: boom/);
});
