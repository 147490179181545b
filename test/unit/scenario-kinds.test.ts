/**
 * Scenarios and kinds are found, not listed: every scenario file is discovered and named after its file, and every
 * kind a scenario names loads from harness/runner/kinds/<kind>.ts; a kind that does not exist is a clear error.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SCENARIOS } from '../../harness/config/scenarios.js';
import { kindOf } from '../../harness/runner/kinds.js';
import { PROFILES, type Scenario } from '../../scenarios/define.js';
import { PACKAGE_ROOT } from '../helpers/cli.js';
import { TARGETS } from '../../scenarios/targets.js';

const API = new Set(['define.ts', 'targets.ts', 'thresholds.ts']);

test('every file under scenarios/ but the API is a scenario, found and named after its file', () => {
  const files = readdirSync(join(PACKAGE_ROOT, 'scenarios'))
    .filter((f) => f.endsWith('.ts') && !API.has(f))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort();
  assert.deepEqual([...SCENARIOS.keys()], files);
  assert.ok(files.length >= 9, `${files.length} scenarios`);
});

test('every scenario kind loads from its file and estimates every profile', async () => {
  for (const scenario of SCENARIOS.values()) {
    const kind = await kindOf(scenario);
    assert.equal(kind.kind, scenario.kind);
    assert.doesNotThrow(() => kind.check?.(scenario, TARGETS), scenario.name);
    for (const profile of PROFILES) {
      const ms = kind.estimateMs(scenario, profile);
      assert.ok(Number.isFinite(ms) && ms > 0, `${scenario.name} ${profile}: ${ms}`);
    }
  }
});

test('a kind with no file is a clear error naming the file it looked for', async () => {
  const bogus = { ...SCENARIOS.get('soak')!, kind: 'no-such-kind' } as unknown as Scenario;
  await assert.rejects(kindOf(bogus), /no scenario kind "no-such-kind": harness\/runner\/kinds\/no-such-kind\.ts/);
  const traversal = { ...SCENARIOS.get('soak')!, kind: '../run' } as unknown as Scenario;
  await assert.rejects(kindOf(traversal), /no scenario kind "\.\.\/run"/);
});

test('the comparison kind refuses a target the table does not have', async () => {
  const scenario = { ...SCENARIOS.get('direct-vs-proxied')!, targets: ['direct', 'haproxy'] } as Scenario;
  const kind = await kindOf(scenario);
  assert.throws(
    () => kind.check?.(scenario, TARGETS),
    /unknown target "haproxy"; known: direct, proxied, relay, bridged/,
  );
});

test('a comparison refuses a seat whose command is not installed; a shootout only checks the names', async () => {
  const table = {
    ...TARGETS,
    ghost: { ...TARGETS.nginx, argv: ['ghost-proxy-not-installed', '{port}'], install: 'apt-get install ghost' },
  };
  const comparison = { ...SCENARIOS.get('direct-vs-proxied')!, targets: ['direct', 'ghost'] } as Scenario;
  const comparisonKind = await kindOf(comparison);
  assert.throws(
    () => comparisonKind.check?.(comparison, table),
    /target "ghost": ghost-proxy-not-installed is not installed: apt-get install ghost/,
  );
  const shootout = { ...SCENARIOS.get('shootout')!, targets: ['direct', 'proxied', 'bridged', 'ghost'] } as Scenario;
  const kind = await kindOf(shootout);
  assert.doesNotThrow(() => kind.check?.(shootout, table));
  assert.throws(
    () => kind.check?.({ ...shootout, targets: ['direct', 'haproxy'] } as Scenario, table),
    /unknown target "haproxy"/,
  );
});
