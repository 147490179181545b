/**
 * `--seats`: only the seats named run in each comparison and shootout, the reference and --target seats always; the
 * gates of a seat left out go with it; a name that is no seat is refused with the seats there are.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateRunConfig } from '../../harness/config/run-config.js';
import { checkConfig } from '../../harness/config/config-file.js';
import { SCENARIOS } from '../../harness/config/scenarios.js';
import type { ComparisonScenario, ShootoutScenario } from '../../scenarios/define.js';
import { withoutUnmeasured } from '../../harness/runner/kinds/shootout.js';
import type { KindResult } from '../../harness/runner/kind.js';

const run = (...argv: string[]) => validateRunConfig(['shootout', ...argv], '/tmp', new Date('2026-12-03T00:00:00Z'));

test('a shootout with --seats runs the reference and the seats named, with their gates and goals only', () => {
  const [s] = run('--seats', 'bridged,mcp-proxy').scenarios as [ShootoutScenario];
  assert.deepEqual(s.targets, ['direct', 'bridged', 'mcp-proxy']);
  assert.deepEqual(s.ours, { bridge: 'bridged' }, 'no reverse seat of ours is run');
  assert.deepEqual(s.thresholds, ['direct.errors < 1', 'bridged.errors < 1']);
  assert.deepEqual(s.goals, ['bridged.to_best_peer >= 3']);
});

test('--seats keeps every --target, and the scenario order of the seats', () => {
  const [s] = validateRunConfig(
    ['direct-vs-proxied', '--seats', 'mine,proxied', '--target', 'mine=http://127.0.0.1:9/mcp'],
    '/tmp',
  ).scenarios as [ComparisonScenario];
  assert.deepEqual(s.targets, ['direct', 'proxied'], 'the --target seat joins at run time, as without --seats');
  assert.ok(
    s.thresholds.every((t) => !t.startsWith('relay.')),
    'the relay and its gates are left out',
  );
  assert.ok(s.thresholds.some((t) => t.startsWith('proxied.')));
});

test('a name that is no seat, an empty name, or --seats with no comparison named is a clear error', () => {
  assert.throws(
    () => run('--seats', 'bridged,nginxx'),
    /--seats: "nginxx" is not a seat of shootout; the seats: direct, proxied/,
  );
  assert.throws(() => run('--seats', 'bridged,'), /--seats takes seat names separated by commas/);
  assert.throws(
    () => validateRunConfig(['sse-fanout', '--seats', 'proxied'], '/tmp'),
    /none of the scenarios named has seats \(sse-fanout\)/,
  );
});

test('a mode with no peer measured sets its to_best_peer goal aside with a warning, not a failure', () => {
  const result = {
    name: 'shootout',
    thresholds: ['bridged.errors < 1'],
    goals: ['bridged.to_best_peer >= 3', 'proxied.to_best_peer >= 1'],
    metrics: { 'proxied.to_best_peer': { value: 0.8, unit: 'ratio', better: 'higher' } },
    targets: {
      proxied: { throughputRps: 10_000, about: { mode: 'reverse', ours: true } },
      nginx: { throughputRps: 12_500, about: { mode: 'reverse' } },
      bridged: { throughputRps: 8_000, about: { mode: 'bridge', ours: true } },
    },
    warnings: [],
  } as unknown as KindResult;
  const judged = withoutUnmeasured(result, { reverse: 'proxied', bridge: 'bridged' });
  assert.deepEqual(judged.goals, ['proxied.to_best_peer >= 1']);
  assert.deepEqual(judged.thresholds, ['bridged.errors < 1']);
  assert.match(judged.warnings.join('\n'), /bridged\.to_best_peer not judged: no peer of its mode was measured/);
  // The latency goal needs a peer measured at the scenario's rate: one held lower (or not timed) does not count.
  const latency = withoutUnmeasured(
    { ...result, goals: ['proxied.added_p50_over_best_peer_us <= 50'] },
    { reverse: 'proxied' },
  );
  assert.deepEqual(latency.goals, []);
  assert.match(
    latency.warnings.join('\n'),
    /proxied\.added_p50_over_best_peer_us not judged: no peer of its mode was measured at the scenario's rate/,
  );
  assert.equal(withoutUnmeasured(judged, { reverse: 'proxied' }), judged, 'nothing missing: unchanged');
  // Ours measured at nothing beside a peer that ran: the goal stays, and fails as "no such metric".
  const broken = {
    ...result,
    metrics: {},
    targets: { ...result.targets, proxied: { throughputRps: 0, about: { mode: 'reverse', ours: true } } },
  } as unknown as KindResult;
  assert.ok(withoutUnmeasured(broken, { reverse: 'proxied' }).goals.includes('proxied.to_best_peer >= 1'));
});

test('a gate stated for one profile gates there and is a goal in the others', () => {
  const at = (profile: string) => validateRunConfig(['sse-fanout', '--profile', profile], '/tmp').scenarios[0]!;
  const gate = 'fanout.delivery.p99_us <= 10000';
  assert.ok(at('quick').thresholds.includes(gate));
  assert.ok(!at('quick').goals.includes(gate));
  assert.ok(at('nightly').goals.includes(gate));
  assert.ok(!at('nightly').thresholds.includes(gate));
});

test('a config file can name the seats; --seats wins over it, and its mistakes name the file', () => {
  const file = { path: '/p/mcp-perf.config.json', targets: {}, thresholds: {}, goals: {}, seats: ['bridged'] };
  const fromFile = validateRunConfig(['shootout'], '/tmp', new Date(), file).scenarios[0] as ShootoutScenario;
  assert.deepEqual(fromFile.targets, ['direct', 'bridged']);
  const flagWins = validateRunConfig(['shootout', '--seats', 'proxied'], '/tmp', new Date(), file).scenarios[0]!;
  assert.deepEqual((flagWins as ShootoutScenario).targets, ['direct', 'proxied']);
  assert.throws(
    () => validateRunConfig(['shootout'], '/tmp', new Date(), { ...file, seats: ['bridgd'] }),
    /config \/p\/mcp-perf\.config\.json: seats: "bridgd" is not a seat of shootout/,
  );
  assert.throws(
    () => checkConfig({ seats: [] }, '/p/mcp-perf.config.json', SCENARIOS),
    /config \/p\/mcp-perf\.config\.json: seats: expected seat names/,
  );
});
