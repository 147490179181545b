/**
 * The peers people use, from npm (supergateway 4.0.0 and mcp-proxy 6.7.19, devDependencies), as presets: named with
 * --target, each bridges the stdio mock in a seat of stdio-bridge beside our bridge, under the same interleaved
 * load, every answer matched to its request. Nothing is left running.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readResults } from '../../harness/results/io.js';
import type { CompletedScenario } from '../../harness/results/schema.js';
import { newTag, runCli, smokeRunArgs, waitForNoProcesses } from '../helpers/cli.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcp-perf-peers-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('supergateway and mcp-proxy sit beside our bridge and are measured like it', async () => {
  const tag = newTag();
  const r = await runCli(smokeRunArgs('stdio-bridge', dir, '--target', 'supergateway', '--target', 'mcp-proxy'), {
    tag,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^ {2}started mock pid \d+, bridge pid \d+, supergateway pid \d+, mcp-proxy pid \d+$/m);
  const s = (await readResults(join(dir, 'results.json'))).scenarios[0] as CompletedScenario;
  assert.deepEqual(Object.keys(s.targets), ['direct', 'bridged', 'supergateway', 'mcp-proxy']);
  for (const name of ['supergateway', 'mcp-proxy']) {
    const t = s.targets[name]!;
    assert.ok((t.latency?.summary.count ?? 0) > 50, `${name}: ${t.latency?.summary.count} calls timed`);
    assert.deepEqual(t.errors, {}, `${name}: every answer matched its request`);
    assert.ok(t.throughputRps > 0, `${name} throughput`);
    assert.ok(t.cpuUsPerRequest.closed !== null && t.cpuUsPerRequest.closed > 0, `${name}: its CPU is charged`);
  }
  assert.deepEqual(await waitForNoProcesses(tag, 3_000), []);
});

test('an unknown preset is refused with the list of presets', async () => {
  const r = await runCli(['run', 'stdio-bridge', '--target', 'mcp-proxyy']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /or the name of a preset \(direct, proxied, relay, bridged, supergateway, mcp-proxy\)/);
});
