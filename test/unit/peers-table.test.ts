/** The peers table: per mode, best first, ratios to the best and to ours, the cost per session, what was skipped. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { peersTable } from '../../harness/results/peers.js';
import type { TargetResult, TrialRecord } from '../../harness/results/schema.js';
import { renderPeers } from '../../harness/output/summary.js';
import { toBestPeer } from '../../harness/runner/kinds/shootout.js';
import { scenario, target } from '../helpers/fixtures.js';

const seat = (
  mode: 'reference' | 'reverse' | 'bridge',
  rps: number,
  extra: Partial<TargetResult> = {},
): TargetResult => ({
  ...target(5_000),
  throughputRps: rps,
  about: { mode, version: '1.0.0' },
  footprint: { sessions: 16, rssPerSessionKiB: 12.5, childrenPerSession: mode === 'bridge' ? 1 : 0 },
  ...extra,
});

const trialOf = (target: string, generatorCpuPct: number): TrialRecord => ({
  phase: 'throughput',
  trial: 1,
  target,
  asked: { concurrency: 16, durationMs: 1_000 },
  achieved: { rate: 1, sent: 1, completed: 1, ok: 1, lateSends: 0, dropped: 0, durationMs: 1_000, maxSendLagUs: 0 },
  p50_us: 1,
  p99_us: 1,
  errors: 0,
  generatorCpuPct,
  targetCpuUs: null,
});

const shootout = () => ({
  ...scenario({ 'proxied.added.p50_us': 300, 'nginx.added.p50_us': 120 }, { name: 'shootout' }),
  kind: 'shootout',
  settings: { ours: { reverse: 'proxied', bridge: 'bridged' }, skipped: ['ghost'] },
  // nginx's throughput trial ran the generator flat out: its figure is a floor.
  trials: [{ ...trialOf('nginx', 97) }, { ...trialOf('proxied', 60) }],
  targets: {
    direct: seat('reference', 20_000),
    proxied: seat('reverse', 10_000),
    nginx: seat('reverse', 12_500),
    bridged: seat('bridge', 8_000, {
      footprint: { sessions: 16, rssPerSessionKiB: 47_000, ownRssPerSessionKiB: 25, childrenPerSession: 1 },
    }),
    supergateway: seat('bridge', 2_000, { errors: { timeout: 3 }, about: { mode: 'bridge' } }),
  },
});

test('per mode, best first, with ratios to the best and to ours', () => {
  const peers = peersTable(shootout())!;
  assert.equal(peers.reference, 'direct');
  assert.deepEqual(peers.skipped, ['ghost']);
  assert.deepEqual(
    peers.modes.map((m) => [m.mode, m.rows.map((r) => r.name)]),
    [
      ['reverse', ['nginx', 'proxied']],
      ['bridge', ['bridged', 'supergateway']],
    ],
  );
  const [nginx, proxied] = peers.modes[0]!.rows;
  assert.deepEqual([nginx!.toBest, nginx!.toOurs, nginx!.ours], [1, 1.25, false]);
  assert.deepEqual([proxied!.toBest, proxied!.toOurs, proxied!.ours], [0.8, 1, true]);
  assert.equal(nginx!.addedP50Us, 120);
  const sg = peers.modes[1]!.rows[1]!;
  assert.deepEqual([sg.toBest, sg.toOurs, sg.errors, sg.version, sg.childrenPerSession], [0.25, 0.25, 3, undefined, 1]);

  const text = renderPeers(peers);
  assert.match(text, /^peers, reverse proxy \(HTTP upstream\), best first:$/m);
  assert.match(text, /^nginx +1\.0\.0 +12,500\/s \* +1\.000× +1\.250× +120 µs /m);
  assert.match(text, /^proxied \(ours\) +1\.0\.0 +10,000\/s +0\.800× /m, 'the generator had room: no star');
  assert.match(text, /^\* the load generator used over 90% of its core: the target can do at least this much$/m);
  assert.match(text, /^bridged \(ours\) .* 47,000 KiB +1\.00 +0$/m);
  assert.match(text, /^supergateway +— +2,000\/s +0\.250× +0\.250× .* 13 KiB +1\.00 +timeout 3$/m);
  assert.match(text, /^not installed here, skipped: ghost$/m);
});

test('a scenario that is not a shootout has no peers table', () => {
  assert.equal(peersTable(scenario({})), undefined);
});

test('to_best_peer: ours over the best peer of its mode, never over one of our own targets', () => {
  const s = shootout();
  const targets = {
    ...s.targets,
    proxied: seat('reverse', 10_000, { about: { mode: 'reverse', ours: true } }),
    relay: seat('reverse', 20_000, { about: { mode: 'reverse', ours: true } }),
    bridged: seat('bridge', 8_000, { about: { mode: 'bridge', ours: true } }),
  };
  assert.deepEqual(toBestPeer(targets, { reverse: 'proxied', bridge: 'bridged' }), {
    'proxied.to_best_peer': { value: 0.8, unit: 'ratio', better: 'higher' },
    'bridged.to_best_peer': { value: 4, unit: 'ratio', better: 'higher' },
  });
  const alone = { direct: targets.direct, proxied: targets.proxied, bridged: targets.bridged };
  assert.deepEqual(toBestPeer(alone, { reverse: 'proxied', bridge: 'bridged' }), {}, 'no peer, no ratio');
});

test('a tree that shrank while its sessions opened shows no memory per session, not a negative one', () => {
  const s = shootout();
  const shrank = seat('bridge', 17, { footprint: { sessions: 4, rssPerSessionKiB: -571, childrenPerSession: 0 } });
  const peers = peersTable({ ...s, targets: { ...s.targets, 'supergateway-stateless': shrank } })!;
  const text = renderPeers(peers);
  assert.match(text, /^supergateway-stateless .* none seen +0\.00 +0$/m);
  assert.doesNotMatch(text, /-571/);
});
