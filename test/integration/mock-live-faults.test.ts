/**
 * `mcp-perf mock http --name NAME --control`: the name reaches clients in serverInfo (how a scenario tells which
 * upstream a proxy chose), and POST /control switches faults on and off in the running mock.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpHttpSession, createTargetPool, type SessionTarget } from '../../harness/load/mcp-session.js';
import { newTag, runCli, startService, waitForNoProcesses } from '../helpers/cli.js';

const tag = newTag();
let mock: Awaited<ReturnType<typeof startService>>;
let plain: Awaited<ReturnType<typeof startService>>;
let target: SessionTarget;

before(async () => {
  mock = await startService(['mock', 'http', '--name', 'upstream-b', '--control'], tag);
  plain = await startService(['mock', 'http'], tag);
  target = { url: new URL(mock.url), pool: createTargetPool(new URL(mock.url), 4), requestTimeoutMs: 5_000 };
});
after(async () => {
  await target.pool.destroy();
  await mock.stop();
  await plain.stop();
  assert.deepEqual(await waitForNoProcesses(tag), [], 'no mock outlives the test');
});

const control = (url: string, body: string): Promise<Response> =>
  fetch(new URL('/control', url), { method: 'POST', body });
const echo = (id: number): string =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: {} } });

test('--name is the serverInfo.name the SDK client sees, and what McpHttpSession reports', async () => {
  const client = new Client({ name: 'mcp-perf-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(mock.url)));
  try {
    assert.equal(client.getServerVersion()?.name, 'upstream-b');
  } finally {
    await client.close();
  }
  const session = await McpHttpSession.open(target);
  assert.equal(session.serverName, 'upstream-b');
  await session.close();
});

test('POST /control turns errors on for new calls, and off again', async () => {
  const session = await McpHttpSession.open(target);
  try {
    assert.deepEqual(await session.call(1, echo(1)), { ok: true });
    assert.equal((await control(mock.url, '{"errorRate":1,"errorKind":"http500"}')).status, 204);
    const failed = await session.call(2, echo(2));
    assert.equal(failed.ok, false);
    assert.equal(!failed.ok && failed.kind, 'http_status');
    assert.equal((await control(mock.url, '{"errorRate":0}')).status, 204);
    assert.deepEqual(await session.call(3, echo(3)), { ok: true });
  } finally {
    await control(mock.url, '{"errorRate":0,"latencyMs":0}');
    await session.close();
  }
});

test('POST /control changes the latency of calls from then on', async () => {
  const session = await McpHttpSession.open(target);
  try {
    assert.equal((await control(mock.url, '{"latencyMs":300}')).status, 204);
    const t0 = performance.now();
    assert.deepEqual(await session.call(1, echo(1)), { ok: true });
    assert.ok(performance.now() - t0 >= 290, 'the call waited the new latency');
  } finally {
    await control(mock.url, '{"latencyMs":0}');
    await session.close();
  }
});

test('a bad /control body is refused with a reason and changes nothing', async () => {
  for (const body of ['not json', '[]', '{"errorRate":2}', '{"errorKind":"explode"}', '{"stall":"1/2"}']) {
    const res = await control(mock.url, body);
    assert.equal(res.status, 400, body);
    assert.ok(typeof ((await res.json()) as { error?: unknown }).error === 'string', body);
  }
  const session = await McpHttpSession.open(target);
  assert.deepEqual(await session.call(1, echo(1)), { ok: true }, 'the mock still serves, faults still off');
  await session.close();
});

test('without --control there is no /control; with a stdio mock --control is a usage error', async () => {
  assert.equal((await control(plain.url, '{"errorRate":1}')).status, 404);
  const r = await runCli(['mock', 'stdio', '--control'], { tag });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--control is served by `mcp-perf mock http` only/);
  const bad = await runCli(['mock', 'http', '--name', 'has space'], { tag });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--name must be/);
});
