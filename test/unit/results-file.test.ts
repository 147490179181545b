import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ResultsFileError } from '../../core/runtime/errors.js';
import { readResults, validateResults, writeResults } from '../../harness/results/io.js';
import { results, scenario } from '../helpers/fixtures.js';
import { PACKAGE_ROOT } from '../helpers/cli.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcp-perf-results-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('a results file written is read back equal, and no temp file is left', async () => {
  const file = join(dir, 'nested', 'results.json');
  const run = results([scenario({ 'proxied.latency.p50_us': 5_450 })]);
  await writeResults(file, run);
  assert.deepEqual(await readResults(file), run);
  assert.deepEqual(await readdir(join(dir, 'nested')), ['results.json']);
});

async function rejects(
  content: string,
  pattern: RegExp,
  what: 'results file' | 'baseline' = 'results file',
  code = 'MCP_PERF_RESULTS_INVALID',
): Promise<void> {
  const file = join(dir, `bad-${Math.random()}.json`);
  await writeFile(file, content);
  await assert.rejects(readResults(file, what), (err: unknown) => {
    assert.ok(err instanceof ResultsFileError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    assert.ok(err.message.includes(file), 'the message names the file');
    return true;
  });
}

test('truncated JSON is a clear error', async () => {
  const text = JSON.stringify(results([scenario({ a_us: 1 })]));
  await rejects(text.slice(0, text.length / 2), /not valid JSON.*truncated/);
});

test('another schema, a newer version, missing parts and a broken histogram are each named', async () => {
  const good = results([scenario({ a_us: 1 })]);
  await rejects(JSON.stringify({ ...good, schema: 'k6' }), /"schema" is "k6"/);
  await rejects(JSON.stringify({ ...good, schemaVersion: 3 }), /schemaVersion 3 is not supported/);
  await rejects(JSON.stringify({ ...good, scenarios: 'x' }), /"scenarios" is not an array/);
  await rejects('[]', /top level is not an object/);
  const broken = structuredClone(good) as unknown as {
    scenarios: Array<{ targets: { direct: { latency: { histogram: string } } } }>;
  };
  broken.scenarios[0]!.targets.direct.latency.histogram = 'not-a-histogram';
  await rejects(JSON.stringify(broken), /histogram does not decode/);
  const nanMetric = JSON.stringify(good).replace('"value":1', '"value":"1"');
  await rejects(nanMetric, /metric "a_us" is not/);
});

test('a corrupted baseline is a baseline error; a missing one says so', async () => {
  await rejects('{"schema":', /baseline .* not valid JSON/, 'baseline', 'MCP_PERF_BASELINE_INVALID');
  await assert.rejects(
    readResults(join(dir, 'nope.json'), 'baseline'),
    (err: unknown) =>
      err instanceof ResultsFileError &&
      err.code === 'MCP_PERF_BASELINE_MISSING' &&
      /baseline not found/.test(err.message),
  );
});

test('validateResults accepts a failed scenario with its error', () => {
  const run = results([
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
      error: 'boom',
    },
  ]);
  assert.equal(validateResults(run), undefined);
});

test('a v1 file (the baseline committed before v2) reads as v2: histograms tagged with their model, empty ones dropped', async () => {
  const v1 = await readResults(join(PACKAGE_ROOT, 'test', 'fixtures', 'baseline-v1.json'), 'baseline');
  assert.equal(v1.schemaVersion, 2);
  const byKind = new Map(v1.scenarios.map((s) => [s.kind, s]));
  const targets = (kind: string) => {
    const s = byKind.get(kind);
    assert.ok(s !== undefined && s.state === 'completed', kind);
    return Object.values(s.targets);
  };
  for (const t of targets('comparison')) {
    assert.equal(t.latency?.model, 'open');
    assert.equal(t.serviceTime?.model, 'closed');
  }
  for (const t of targets('concurrency')) assert.deepEqual([t.latency?.model, t.serviceTime], ['closed', undefined]);
  for (const t of targets('stdio-hammer')) assert.deepEqual([t.latency?.model, t.serviceTime], ['closed', undefined]);
  for (const t of targets('fanout')) assert.deepEqual([t.latency?.model, t.serviceTime], ['delivery', undefined]);
  for (const t of targets('soak')) assert.deepEqual([t.latency?.model, t.serviceTime], ['open', undefined]);
  for (const kind of ['comparison', 'concurrency', 'stdio-hammer', 'fanout', 'soak', 'stress'])
    for (const t of targets(kind)) for (const r of [t.latency, t.serviceTime]) if (r) assert.ok(r.summary.count > 0);
});

test('a v2 target without a latency is valid; one whose latency has no model is not', async () => {
  const run = results([scenario({ x: 1 })]);
  const s = run.scenarios[0]!;
  assert.ok(s.state === 'completed');
  const { latency: _latency, serviceTime: _service, ...bare } = s.targets.direct!;
  const withBare = { ...run, scenarios: [{ ...s, targets: { direct: bare } }] };
  assert.equal(validateResults(JSON.parse(JSON.stringify(withBare))), undefined);
  const untagged = JSON.parse(JSON.stringify(run));
  delete untagged.scenarios[0].targets.direct.latency.model;
  assert.match(validateResults(untagged) ?? '', /latency is not \{model: open\|closed\|delivery/);
});
