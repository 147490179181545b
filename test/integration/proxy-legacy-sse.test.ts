/**
 * Legacy HTTP+SSE (2024-11-05), both sides: the SDK's SSEClientTransport against the proxy's /sse front, and a
 * legacy SDK server (SSEServerTransport) as the upstream of a Streamable HTTP client.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { newTag, startService, waitForNoProcesses } from '../helpers/cli.js';
import { startSdkLegacyUpstream } from '../helpers/sdk-upstream.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/sdk-stdio-server.js', import.meta.url));
const tag = newTag();
const stops: Array<() => Promise<void>> = [];
let mock: Awaited<ReturnType<typeof startService>>;

async function service(args: string[]) {
  const s = await startService(args, tag);
  stops.push(() => s.stop());
  return s;
}
before(async () => {
  mock = await service(['mock', 'http']);
});
after(async () => {
  for (const stop of stops.reverse()) await stop();
  assert.deepEqual(await waitForNoProcesses(tag), [], 'no proxy, mock or child outlives the test');
});

function client(): { client: Client; log: unknown[] } {
  const c = new Client({ name: 'legacy-test', version: '1.0.0' }, { capabilities: { sampling: {} } });
  const log: unknown[] = [];
  c.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void log.push(n.params.data));
  c.setRequestHandler(CreateMessageRequestSchema, async () => ({
    role: 'assistant',
    model: 't',
    content: { type: 'text', text: 'legacy ok' },
  }));
  return { client: c, log };
}
const sseUrl = (proxyUrl: string) => new URL('/sse', proxyUrl);

test('a legacy SSE client reaches a Streamable HTTP upstream through the proxy', async () => {
  const proxy = await service(['proxy', '--upstream', mock.url]);
  const { client: c } = client();
  await c.connect(new SSEClientTransport(sseUrl(proxy.url)));
  assert.equal(c.getServerVersion()?.name, 'mcp-perf-mock');
  assert.deepEqual(
    (await c.listTools()).tools.map((t) => t.name),
    ['echo', 'sample', 'elicit'],
  );
  assert.deepEqual((await c.callTool({ name: 'echo', arguments: { text: 'old', payloadBytes: 0 } })).content, [
    { type: 'text', text: 'old' },
  ]);
  await c.close();
});

test('a legacy SSE client reaches a stdio server through the bridge: notifications and sampling too', async () => {
  const bridge = await service(['proxy', '--upstream-cmd', `"${process.execPath}" "${FIXTURE}"`]);
  const { client: c, log } = client();
  await c.connect(new SSEClientTransport(sseUrl(bridge.url)));
  assert.deepEqual((await c.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).content, [
    { type: 'text', text: '3' },
  ]);
  assert.deepEqual(log, ['adding 1 and 2']);
  assert.deepEqual((await c.callTool({ name: 'ask', arguments: { question: 'q' } })).content, [
    { type: 'text', text: 'client said: legacy ok' },
  ]);
  await c.close();
});

test('a Streamable HTTP client reaches a legacy SSE upstream (--upstream-sse)', async () => {
  const legacy = await startSdkLegacyUpstream();
  stops.push(() => legacy.close());
  const proxy = await service(['proxy', '--upstream-sse', legacy.url]);
  const { client: c, log } = client();
  await c.connect(new StreamableHTTPClientTransport(new URL(proxy.url)));
  assert.equal(c.getServerVersion()?.name, 'sdk-legacy-upstream');
  assert.deepEqual((await c.callTool({ name: 'add', arguments: { a: 5, b: 6 } })).content, [
    { type: 'text', text: '11' },
  ]);
  for (let i = 0; i < 50 && log.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(log, ['adding 5 and 6']);
  assert.deepEqual((await c.callTool({ name: 'ask', arguments: { question: 'q' } })).content, [
    { type: 'text', text: 'client said: legacy ok' },
  ]);
  await c.close();
});

test('legacy bad input: /messages without or with an unknown sessionId, wrong methods', async () => {
  const proxy = await service(['proxy', '--upstream', mock.url]);
  const base = new URL(proxy.url);
  const post = (path: string) =>
    fetch(new URL(path, base), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
    });
  assert.equal((await post('/messages')).status, 400);
  assert.equal((await post('/messages?sessionId=nope')).status, 404);
  assert.equal((await fetch(new URL('/sse', base), { method: 'POST', body: '{}' })).status, 405);
  const malformed = await fetch(new URL('/messages?sessionId=nope', base), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{',
  });
  assert.equal(malformed.status, 400, 'the body stage runs for legacy messages too');
});
