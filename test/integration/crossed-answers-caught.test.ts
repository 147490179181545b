/**
 * The token check end to end, with real processes: a mock told to cross answers (`--cross-answers N`: every Nth echo
 * answer carries the call before it's text, under its own id) is caught, call by call, as `crossed` — directly,
 * through the reverse proxy, through the HTTP → stdio bridge, and on a stdio pipe — while the id check alone would
 * pass every one of them. The id-collision scenario (quick profile) shows the proxy itself crosses none.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { runClosedModel } from '../../harness/load/closed-model.js';
import { McpHttpSession, createTargetPool } from '../../harness/load/mcp-session.js';
import { CallSource } from '../../harness/load/outcome.js';
import { runStdioPipelined } from '../../harness/load/stdio-pipelined.js';
import { BIN, serviceGroup } from '../helpers/cli.js';

const group = serviceGroup();
after(async () => assert.deepEqual(await group.stopAll(), []));

async function crossedThrough(url: string): Promise<{ completed: number; ok: number; crossed: number; other: number }> {
  const u = new URL(url);
  const target = { url: u, pool: createTargetPool(u, 8), requestTimeoutMs: 5_000 };
  group.defer(() => target.pool.destroy());
  const sessions = [];
  for (let i = 0; i < 4; i++) sessions.push(await McpHttpSession.open(target));
  // Every id 1: only the token can tell the answers apart.
  const source = new CallSource(sessions, {}, { ids: 'collide' });
  const o = await runClosedModel({ concurrency: 4, durationMs: 400, source });
  for (const s of sessions) await s.close();
  const crossed = o.errors.crossed ?? 0;
  const other = o.achieved.completed - o.achieved.ok - crossed;
  return { completed: o.achieved.completed, ok: o.achieved.ok, crossed, other };
}

/** One in four crossed, give or take the calls in flight at the end and, on the bridge, one count per child. */
function assertQuarterCrossed(where: string, r: Awaited<ReturnType<typeof crossedThrough>>): void {
  assert.equal(r.other, 0, `${where}: no other errors (${JSON.stringify(r)})`);
  assert.ok(r.completed >= 40, `${where}: ${r.completed} calls`);
  assert.ok(Math.abs(r.crossed - r.completed / 4) <= 4, `${where}: ${r.crossed} of ${r.completed} crossed, expected ¼`);
}

test('a mock that crosses one answer in four: caught directly, through the reverse proxy and through the bridge', async () => {
  const mock = await group.start(['mock', 'http', '--cross-answers', '4']);
  assertQuarterCrossed('direct', await crossedThrough(mock.url));
  // A fresh mock per path, so each count starts at its first call.
  const behind = await group.start(['mock', 'http', '--cross-answers', '4']);
  const proxy = await group.start(['proxy', '--upstream', behind.url]);
  assertQuarterCrossed('through the reverse proxy', await crossedThrough(proxy.url));
  // The bridge: a stdio mock child per session, each crossing its own one in four.
  const bridge = await group.start([
    'proxy',
    '--upstream-cmd',
    `"${process.execPath}" "${BIN}" mock stdio --cross-answers 4`,
  ]);
  assertQuarterCrossed('through the bridge', await crossedThrough(bridge.url));
});

test('without the knob nothing is crossed on any path, ids colliding or not', async () => {
  const mock = await group.start(['mock', 'http']);
  const proxy = await group.start(['proxy', '--upstream', mock.url]);
  for (const url of [mock.url, proxy.url]) {
    const r = await crossedThrough(url);
    assert.deepEqual([r.crossed, r.other], [0, 0], `${url}: ${JSON.stringify(r)}`);
    assert.ok(r.ok >= 40);
  }
});

test('pipelined on a stdio pipe: one in five crossed, counted as crossed, the rest fine', async () => {
  const o = await runStdioPipelined({
    command: [process.execPath, BIN, 'mock', 'stdio', '--cross-answers', '5'],
    window: 8,
    warmupMs: 100,
    durationMs: 400,
    toolArguments: {},
    env: { ...process.env, MCP_PERF_TEST_TAG: group.tag },
  });
  const crossed = o.errors.crossed ?? 0;
  assert.equal(o.achieved.completed - o.achieved.ok, crossed, JSON.stringify(o.errors));
  assert.ok(o.achieved.completed >= 50, `${o.achieved.completed} calls`);
  assert.ok(Math.abs(crossed - o.achieved.completed / 5) <= 2, `${crossed} of ${o.achieved.completed} crossed`);
});
