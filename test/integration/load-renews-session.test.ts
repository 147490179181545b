/**
 * RenewingSession acts as an MCP client must when the server forgets its session (HTTP 404): it opens a new one and
 * goes on. The stress scenario relies on it when an upstream dies and comes back.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  McpHttpSession,
  RenewingSession,
  createTargetPool,
  type SessionTarget,
} from '../../harness/load/mcp-session.js';
import { newTag, startService, waitForNoProcesses } from '../helpers/cli.js';

const tag = newTag();
let mock: Awaited<ReturnType<typeof startService>>;
let target: SessionTarget;

before(async () => {
  mock = await startService(['mock', 'http'], tag);
  target = { url: new URL(mock.url), pool: createTargetPool(new URL(mock.url), 4), requestTimeoutMs: 5_000 };
});
after(async () => {
  await target.pool.destroy();
  await mock.stop();
  assert.deepEqual(await waitForNoProcesses(tag), [], 'nothing outlives the test');
});

const echo = (id: number): string =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: {} } });

test('after a 404 the failing call is reported, a new session is opened, and later calls succeed on it', async () => {
  const first = await McpHttpSession.open(target);
  const session = new RenewingSession(target, first);
  assert.deepEqual(await session.call(1, echo(1)), { ok: true });
  await first.close(); // the server forgets it, as a restarted upstream would

  const failed = await session.call(2, echo(2));
  assert.deepEqual(failed, { ok: false, kind: 'http_status', detail: 'HTTP 404' });
  let outcome = await session.call(3, echo(3));
  for (let i = 4; !outcome.ok && i < 100; i++) {
    await new Promise((r) => setTimeout(r, 20));
    outcome = await session.call(i, echo(i));
  }
  assert.deepEqual(outcome, { ok: true });
  assert.equal(session.renewals, 1);
  assert.notEqual(session.current?.sessionId, first.sessionId);
  await session.close();
});

test('other failures do not renew the session', async () => {
  const session = new RenewingSession(target, await McpHttpSession.open(target));
  const before = session.current;
  const bad = await session.call(
    1,
    JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'nope' } }),
  );
  assert.equal(bad.ok, false);
  assert.equal(!bad.ok && bad.kind, 'rpc_error');
  assert.equal(session.current, before);
  assert.equal(session.renewals, 0);
  await session.close();
});
