/**
 * The shootout: every proxy installed here under the same interleaved load — ours, the relay and nginx in front of
 * the HTTP mock; our bridge, supergateway 4.0.0 and mcp-proxy 6.7.19 (devDependencies) in front of the stdio mock —
 * every answer matched to its request, each seat's version, command and cost per session recorded, and the peers
 * table printed per mode. A target whose command is missing is skipped with a line saying so. Nothing is left
 * running, and nginx's generated config directory is removed.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
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

const nginxDirs = async (): Promise<string[]> =>
  (await readdir(tmpdir())).filter((f) => f.startsWith('mcp-perf-nginx-'));

test('shootout: every installed proxy under the same load, a peers table per mode, a missing one skipped', async () => {
  const tag = newTag();
  const dirsBefore = await nginxDirs();
  const args = smokeRunArgs('shootout', dir, '--target', 'ghost=ghost-proxy --port {port} --upstream {upstream_url}');
  const r = await runCli(
    args.filter((a) => a !== '--no-report'),
    { tag },
  );
  assert.equal(r.code, 0, r.stderr);
  const s = (await readResults(join(dir, 'results.json'))).scenarios[0] as CompletedScenario;
  assert.deepEqual(Object.keys(s.targets), [
    'direct',
    'proxied',
    'relay',
    'nginx',
    'bridged',
    'supergateway',
    'supergateway-stateless',
    'mcp-proxy',
  ]);
  assert.deepEqual(s.settings['skipped'], ['ghost']);
  assert.ok(s.warnings.includes('ghost was skipped: ghost-proxy is not installed'), s.warnings.join('\n'));
  for (const [name, t] of Object.entries(s.targets)) {
    // supergateway-stateless starts a server per call, so it is asked for 10 calls/s: 5 in a smoke trial.
    const least = name === 'supergateway-stateless' ? 3 : 20;
    assert.ok((t.latency?.summary.count ?? 0) >= least, `${name}: ${t.latency?.summary.count} calls timed`);
    assert.deepEqual(t.errors, {}, `${name}: every answer matched its request`);
    if (name !== 'supergateway-stateless') assert.ok(t.throughputRps > 0, `${name} throughput`);
    assert.ok(t.footprint !== undefined && t.footprint.sessions === 32, `${name}: its footprint over 32 sessions`);
  }
  // Seats take turns with those of their own mode: the HTTP mock's (the reference among them) through both phases,
  // then the bridges' — no bridge trial between two reverse proxies' trials.
  const bridge = new Set(['bridged', 'supergateway', 'supergateway-stateless', 'mcp-proxy']);
  const order = s.trials.map((t) => `${bridge.has(t.target) ? 'bridge' : 'http'} ${t.phase}`);
  assert.deepEqual(
    order.filter((o, i) => o !== order[i - 1]),
    ['http latency', 'http throughput', 'bridge latency', 'bridge throughput'],
  );
  assert.equal(s.targets['supergateway-stateless']!.about!.rate, 10);
  assert.equal(s.targets['supergateway-stateless']!.about!.vus, 4);
  assert.equal(s.targets.supergateway!.about!.rate, undefined, 'the others at the scenario rate');
  assert.ok(s.metrics['bridged.to_best_peer']!.value > 0, 'our bridge over the best peer bridge, same run');
  const about = (name: string) => s.targets[name]!.about!;
  assert.deepEqual(
    Object.keys(s.targets).map((n) => about(n).mode),
    ['reference', 'reverse', 'reverse', 'reverse', 'bridge', 'bridge', 'bridge', 'bridge'],
  );
  assert.deepEqual(
    Object.keys(s.targets).filter((n) => about(n).ours),
    ['proxied', 'relay', 'bridged'],
  );
  assert.equal(about('supergateway').version, '4.0.0');
  assert.equal(about('mcp-proxy').version, '6.7.19');
  assert.match(about('nginx').version ?? '', /^\d+\.\d+/);
  assert.match(about('nginx').command ?? '', /^'nginx' '-p' '\/.*mcp-perf-nginx-/);
  // Our bridge starts one stdio child per session; the reverse proxy none.
  assert.ok(s.targets.bridged!.footprint!.childrenPerSession! >= 0.9, 'a child per session');
  assert.equal(s.targets.proxied!.footprint!.childrenPerSession, 0);
  assert.ok(s.metrics['bridged.children_per_session'] !== undefined);

  assert.match(r.stdout, /^peers, reverse proxy \(HTTP upstream\), best first:$/m);
  assert.match(r.stdout, /^peers, HTTP → stdio bridge \(stdio upstream\), best first:$/m);
  assert.match(r.stdout, /^proxied \(ours\) +0\.1\.0 +[\d,]+\/s(?: \*)? +[\d.]+× +1\.000× /m);
  assert.match(r.stdout, /^supergateway +4\.0\.0 +[\d,]+\/s /m);
  assert.match(r.stdout, /^supergateway-stateless +4\.0\.0 +[\d,]+\/s \(4 clients\) .* µs \(at 10\/s\) /m);
  assert.match(r.stdout, /^not installed here, skipped: ghost$/m);
  const html = await readFile(join(dir, 'report.html'), 'utf8');
  assert.match(html, /<caption>Reverse proxy \(HTTP upstream\), best first<\/caption>/);
  assert.match(html, /<caption>HTTP → stdio bridge \(stdio upstream\), best first<\/caption>/);
  assert.match(html, /Reproduce: <code>npx mcp-perf run shootout --profile smoke<\/code>/);
  assert.match(html, /<th scope="row">supergateway<\/th><td>4\.0\.0<\/td>/);
  assert.deepEqual(await waitForNoProcesses(tag, 3_000), []);
  assert.deepEqual(await nginxDirs(), dirsBefore, "nginx's generated config is removed");
});

test('an unknown preset is refused with the list of presets', async () => {
  const r = await runCli(['run', 'stdio-bridge', '--target', 'mcp-proxyy']);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /or the name of a preset \(direct, proxied, relay, bridged, supergateway, supergateway-stateless, mcp-proxy, nginx\)/,
  );
});

test('a preset whose command is not installed is refused before anything starts, with how to install it', async () => {
  const tag = newTag();
  // Only node's own directory on PATH: no nginx.
  const r = await runCli(smokeRunArgs('direct-vs-proxied', join(dir, 'no-nginx'), '--target', 'nginx'), {
    tag,
    env: { PATH: join(process.execPath, '..') },
  });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /target "nginx": nginx is not installed: apt-get install nginx-light/);
  assert.doesNotMatch(r.stdout, /started mock/, 'refused before anything started');
  assert.deepEqual(await waitForNoProcesses(tag, 3_000), []);
});

test('--seats runs only the seats named; a mode whose peer is not installed warns instead of failing the run', async () => {
  const tag = newTag();
  const out = join(dir, 'seats');
  // Only node's own directory on PATH: nginx is not there, so the reverse mode has no peer to measure ours against.
  const r = await runCli(smokeRunArgs('shootout', out, '--seats', 'proxied,nginx', '--json'), {
    tag,
    env: { PATH: join(process.execPath, '..') },
    timeoutMs: 120_000,
  });
  assert.equal(r.code, 0, r.stderr);
  const s = (JSON.parse(r.stdout) as { scenarios: Array<any> }).scenarios[0];
  assert.deepEqual(Object.keys(s.targets), ['direct', 'proxied'], 'the reference and the seat named; nginx skipped');
  assert.ok(!('proxied.to_best_peer' in s.metrics));
  assert.ok(
    s.warnings.some((w: string) => /proxied\.to_best_peer not judged: no peer of its mode was measured/.test(w)),
    s.warnings.join('\n'),
  );
  assert.deepEqual(
    [...s.thresholds, ...s.goals].filter((t: string) => /to_best_peer|bridged/.test(t)),
    [],
  );
  assert.deepEqual(await waitForNoProcesses(tag, 3_000), []);
});
