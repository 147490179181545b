import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { newTag, startService, waitForNoProcesses } from '../helpers/cli.js';

const tag = newTag();
let json: Awaited<ReturnType<typeof startService>>;
let sse: Awaited<ReturnType<typeof startService>>;

before(async () => {
  json = await startService(['mock', 'http', '--payload-bytes', '32'], tag);
  sse = await startService(['mock', 'http', '--response', 'sse'], tag);
});
after(async () => {
  await json.stop();
  await sse.stop();
  assert.deepEqual(await waitForNoProcesses(tag), [], 'no mock outlives the test');
});

async function sdkClient(url: string): Promise<Client> {
  const client = new Client({ name: 'mcp-perf-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

async function post(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', headers: { ...HEADERS, ...headers }, body });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null, headers: res.headers };
}

async function initialize(url: string): Promise<string> {
  const res = await post(
    url,
    JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    }),
  );
  assert.equal(res.status, 200);
  assert.equal(res.json.result.protocolVersion, '2025-06-18', 'a supported revision is echoed');
  return res.headers.get('mcp-session-id')!;
}

test('the ready line names a loopback URL and the pid', () => {
  assert.match(json.url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
  assert.equal(json.pid, json.proc.pid);
});

for (const mode of ['json', 'sse'] as const) {
  test(`the official SDK client initializes, lists tools and calls echo (${mode} responses)`, async () => {
    const client = await sdkClient(mode === 'json' ? json.url : sse.url);
    try {
      assert.equal(client.getServerVersion()?.name, 'mcp-perf-mock');
      const { tools } = await client.listTools();
      assert.deepEqual(
        tools.map((t) => t.name),
        ['echo', 'sample', 'elicit'],
      );
      const result = await client.callTool({ name: 'echo', arguments: { text: 'hi:', payloadBytes: 10 } });
      assert.deepEqual(result.content, [{ type: 'text', text: 'hi:xxxxxxxxxx' }]);
      await client.ping();
    } finally {
      await client.close();
    }
  });
}

test('the payload knob sets the echo size', async () => {
  const client = await sdkClient(json.url);
  const result = await client.callTool({ name: 'echo', arguments: {} });
  assert.equal((result.content as Array<{ text: string }>)[0]!.text.length, 32);
  await client.close();
});

test('a request without a session is 400, an unknown session 404', async () => {
  const call = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list' });
  const missing = await post(json.url, call);
  assert.equal(missing.status, 400);
  assert.match(missing.json.error.message, /Mcp-Session-Id/);
  assert.equal(missing.json.id, 7);
  const unknown = await post(json.url, call, { 'mcp-session-id': 'no-such-session' });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.error.code, -32600);
});

test('notifications are accepted with 202 and no body', async () => {
  const session = await initialize(json.url);
  const res = await post(json.url, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), {
    'mcp-session-id': session,
  });
  assert.equal(res.status, 202);
  assert.equal(res.json, null);
});

test('DELETE ends the session: the same id is then unknown', async () => {
  const session = await initialize(json.url);
  const del = await fetch(json.url, { method: 'DELETE', headers: { 'mcp-session-id': session } });
  assert.equal(del.status, 200);
  const after = await post(json.url, JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }), {
    'mcp-session-id': session,
  });
  assert.equal(after.status, 404);
});

test('bad input gets the spec error and the mock keeps serving', async () => {
  const session = await initialize(json.url);
  const malformed = await post(json.url, '{"jsonrpc":"2.0",', { 'mcp-session-id': session });
  assert.equal(malformed.status, 400);
  assert.equal(malformed.json.error.code, -32700);
  const notRpc = await post(json.url, '[1,2]', { 'mcp-session-id': session });
  assert.equal(notRpc.status, 400);
  assert.equal(notRpc.json.error.code, -32600);
  const badVersion = await post(json.url, JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'ping' }), {
    'mcp-session-id': session,
    'mcp-protocol-version': '1999-01-01',
  });
  assert.equal(badVersion.status, 400);
  const unknownMethod = await post(json.url, JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'nope/nope' }), {
    'mcp-session-id': session,
  });
  assert.equal(unknownMethod.json.error.code, -32601);
  const unknownTool = await post(
    json.url,
    JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'nope' } }),
    { 'mcp-session-id': session },
  );
  assert.equal(unknownTool.json.error.code, -32602);
  const wrongPath = await fetch(json.url.replace('/mcp', '/other'), { method: 'POST', headers: HEADERS, body: '{}' });
  assert.equal(wrongPath.status, 404);
  // …and a well-behaved client is still served.
  const client = await sdkClient(json.url);
  await client.ping();
  await client.close();
});

test('GET opens a standalone SSE stream for a session', async () => {
  const session = await initialize(json.url);
  const controller = new AbortController();
  const res = await fetch(json.url, {
    headers: { accept: 'text/event-stream', 'mcp-session-id': session },
    signal: controller.signal,
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const reader = res.body!.getReader();
  const first = await reader.read();
  assert.match(Buffer.from(first.value!).toString(), /^: stream open/);
  controller.abort();
  const noAccept = await fetch(json.url, { headers: { 'mcp-session-id': session } });
  assert.equal(noAccept.status, 406);
});
