/**
 * HTTP → stdio bridge: the official SDK client over Streamable HTTP, through our proxy, to a stdio server built with
 * the SDK's McpServer. One child per session, never per request; children end with their sessions.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { newTag, startService, waitForNoProcesses } from '../helpers/cli.js';
import { metric } from '../helpers/metrics.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/sdk-stdio-server.js', import.meta.url));
const COMMAND = `"${process.execPath}" "${FIXTURE}"`;
const tag = newTag();
let proxy: Awaited<ReturnType<typeof startService>>;
const clients: Client[] = [];

before(async () => {
  proxy = await startService(
    ['proxy', '--upstream-cmd', COMMAND, '--stdio-pool', '2', '--session-idle-ms', '2000'],
    tag,
  );
});
after(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await proxy.stop();
  assert.deepEqual(await waitForNoProcesses(tag), [], 'no proxy or stdio child outlives the test');
});

async function connect(): Promise<{ client: Client; transport: StreamableHTTPClientTransport; log: unknown[] }> {
  const client = new Client({ name: 'bridge-test', version: '1.0.0' }, { capabilities: { sampling: {} } });
  const log: unknown[] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void log.push(n.params.data));
  client.setRequestHandler(CreateMessageRequestSchema, async (req) => ({
    role: 'assistant',
    model: 'test',
    content: { type: 'text', text: `echo ${(req.params.messages[0]!.content as { text: string }).text}` },
  }));
  const transport = new StreamableHTTPClientTransport(new URL(proxy.url));
  await client.connect(transport);
  clients.push(client);
  return { client, transport, log };
}

const text = (r: unknown): string => (r as { content: Array<{ text: string }> }).content[0]!.text;
/** Alive and not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

test('the SDK client initializes, lists tools, calls a tool and gets a server notification through the bridge', async () => {
  const { client, log } = await connect();
  assert.equal(client.getServerVersion()?.name, 'sdk-stdio-upstream');
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name).sort(), ['add', 'ask', 'crash', 'pid', 'slow']);
  assert.equal(text(await client.callTool({ name: 'add', arguments: { a: 20, b: 22 } })), '42');
  for (let i = 0; i < 50 && log.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(log, ['adding 20 and 22'], 'the notification came over the session GET stream');
});

test('a server → client request (sampling) round-trips through the bridge', async () => {
  const { client } = await connect();
  assert.equal(text(await client.callTool({ name: 'ask', arguments: { question: 'hi' } })), 'client said: echo hi');
});

test('one child per session, reused for every request; never a child per request', async () => {
  const a = await connect();
  const b = await connect();
  const pidA = Number(text(await a.client.callTool({ name: 'pid', arguments: {} })));
  const pidB = Number(text(await b.client.callTool({ name: 'pid', arguments: {} })));
  assert.notEqual(pidA, pidB, 'two sessions, two children');
  const spawned = await metric(proxy.url, 'mcp_proxy_children_spawned_total');
  for (let i = 0; i < 25; i++)
    assert.equal(Number(text(await a.client.callTool({ name: 'pid', arguments: {} }))), pidA);
  assert.equal(await metric(proxy.url, 'mcp_proxy_children_spawned_total'), spawned, '25 calls spawned nothing');
});

test('DELETE ends the session and its child; the session id is then unknown', async () => {
  const { client, transport } = await connect();
  const pid = Number(text(await client.callTool({ name: 'pid', arguments: {} })));
  const sessionId = transport.sessionId!;
  await transport.terminateSession();
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(alive(pid), false, `child ${pid} still runs after DELETE`);
  const res = await fetch(proxy.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-session-id': sessionId,
    },
    body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
  });
  assert.equal(res.status, 404);
});

test('a child that crashes fails its pending request with a JSON-RPC error; other sessions are untouched', async () => {
  const victim = await connect();
  const bystander = await connect();
  await assert.rejects(
    victim.client.callTool({ name: 'crash', arguments: {} }),
    /502|upstream process exited|session/i,
  );
  assert.equal(text(await bystander.client.callTool({ name: 'add', arguments: { a: 1, b: 1 } })), '2');
  assert.ok((await metric(proxy.url, 'mcp_proxy_upstream_errors_total{kind="child_exit"}')) >= 1);
});

test('sessions idle past --session-idle-ms are ended with their child', async () => {
  const { client } = await connect();
  const pid = Number(text(await client.callTool({ name: 'pid', arguments: {} })));
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(alive(pid), false, "the idle session's child was ended");
});

test('a client that disconnects mid-call cancels the request upstream', async () => {
  const { transport } = await connect();
  const before = await metric(proxy.url, 'mcp_proxy_cancelled_total');
  const controller = new AbortController();
  const call = fetch(proxy.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-session-id': transport.sessionId!,
      'mcp-protocol-version': '2025-11-25',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 'slow-1',
      method: 'tools/call',
      params: { name: 'slow', arguments: { ms: 3000 } },
    }),
    signal: controller.signal,
  });
  setTimeout(() => controller.abort(), 200);
  await assert.rejects(call);
  for (let i = 0; i < 50 && (await metric(proxy.url, 'mcp_proxy_cancelled_total')) === before; i++)
    await new Promise((r) => setTimeout(r, 20));
  assert.equal(await metric(proxy.url, 'mcp_proxy_cancelled_total'), before + 1);
});

test('bad input: missing or unknown session, malformed JSON, session limit', async () => {
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const missing = await fetch(proxy.url, { method: 'POST', headers, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' });
  assert.equal(missing.status, 400);
  const unknown = await fetch(proxy.url, {
    method: 'POST',
    headers: { ...headers, 'mcp-session-id': 'nope' },
    body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
  });
  assert.equal(unknown.status, 404);
  const malformed = await fetch(proxy.url, { method: 'POST', headers, body: '{"jsonrpc":' });
  assert.equal(malformed.status, 400);
  assert.equal(((await malformed.json()) as { error: { code: number } }).error.code, -32700);
});

test('--max-sessions: the session past the limit gets 503 and spawns nothing', async () => {
  const small = await startService(['proxy', '--upstream-cmd', COMMAND, '--max-sessions', '2'], tag);
  try {
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const init = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(small.url, { method: 'POST', headers, body: init })).status);
    assert.deepEqual(statuses, [200, 200, 503]);
    assert.equal(await metric(small.url, 'mcp_proxy_children_spawned_total'), 2);
    assert.equal(await metric(small.url, 'mcp_proxy_active_sessions'), 2);
  } finally {
    await small.stop();
  }
});
