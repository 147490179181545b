import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { newTag, runCli, startService, waitForNoProcesses } from '../helpers/cli.js';
import { startSdkUpstream } from '../helpers/sdk-upstream.js';

const tag = newTag();
const stops: Array<() => Promise<void>> = [];
let mock: Awaited<ReturnType<typeof startService>>;
let proxy: Awaited<ReturnType<typeof startService>>;

async function service(args: string[]): Promise<Awaited<ReturnType<typeof startService>>> {
  const s = await startService(args, tag);
  stops.push(() => s.stop());
  return s;
}

before(async () => {
  mock = await service(['mock', 'http']);
  proxy = await service(['proxy', '--upstream', mock.url]);
});
after(async () => {
  for (const stop of stops.reverse()) await stop();
  assert.deepEqual(await waitForNoProcesses(tag), [], 'no proxy or mock outlives the test');
});

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
});

test('the SDK client works through the proxy: initialize, tools/list, tools/call, ping, close', async () => {
  const client = new Client({ name: 'through-proxy', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(proxy.url));
  await client.connect(transport);
  assert.equal(client.getServerVersion()?.name, 'mcp-perf-mock');
  assert.ok(transport.sessionId, 'Mcp-Session-Id came back through the proxy');
  assert.deepEqual(
    (await client.listTools()).tools.map((t) => t.name),
    ['echo', 'sample', 'elicit'],
  );
  const result = await client.callTool({ name: 'echo', arguments: { text: 'via-proxy', payloadBytes: 0 } });
  assert.deepEqual(result.content, [{ type: 'text', text: 'via-proxy' }]);
  await client.ping();
  await transport.terminateSession(); // DELETE through the proxy
  await client.close();
});

test('an SDK McpServer upstream: SSE answers and a mid-call notification pass through', async () => {
  const upstream = await startSdkUpstream();
  stops.push(() => upstream.close());
  const sdkProxy = await service(['proxy', '--upstream', upstream.url]);
  const client = new Client({ name: 'through-proxy', version: '1.0.0' });
  const messages: unknown[] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void messages.push(n.params.data));
  await client.connect(new StreamableHTTPClientTransport(new URL(sdkProxy.url)));
  const result = await client.callTool({ name: 'add', arguments: { a: 2, b: 40 } });
  assert.deepEqual(result.content, [{ type: 'text', text: '42' }]);
  assert.deepEqual(messages, ['adding 2 and 40']);
  await client.close();
});

test('session and protocol headers are forwarded both ways; an unknown session is the upstream 404', async () => {
  const init = await fetch(proxy.url, { method: 'POST', headers: HEADERS, body: INIT });
  const session = init.headers.get('mcp-session-id');
  assert.ok(session);
  const ok = await fetch(proxy.url, {
    method: 'POST',
    headers: { ...HEADERS, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' },
    body: '{"jsonrpc":"2.0","id":2,"method":"ping"}',
  });
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { jsonrpc: '2.0', id: 2, result: {} });
  const badVersion = await fetch(proxy.url, {
    method: 'POST',
    headers: { ...HEADERS, 'mcp-session-id': session, 'mcp-protocol-version': '1999-01-01' },
    body: '{"jsonrpc":"2.0","id":3,"method":"ping"}',
  });
  assert.equal(badVersion.status, 400, 'MCP-Protocol-Version reached the upstream');
  const unknown = await fetch(proxy.url, {
    method: 'POST',
    headers: { ...HEADERS, 'mcp-session-id': 'nope' },
    body: '{"jsonrpc":"2.0","id":4,"method":"ping"}',
  });
  assert.equal(unknown.status, 404);
});

test('an SSE stream is relayed as it is written, not buffered until it ends', async () => {
  const init = await fetch(proxy.url, { method: 'POST', headers: HEADERS, body: INIT });
  const session = init.headers.get('mcp-session-id')!;
  const controller = new AbortController();
  const res = await fetch(proxy.url, {
    headers: { accept: 'text/event-stream', 'mcp-session-id': session },
    signal: controller.signal,
  });
  assert.equal(res.status, 200);
  // The mock writes one comment and keeps the stream open; we can only read it if the proxy passed it on.
  const first = await Promise.race([
    res.body!.getReader().read(),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('no SSE bytes while the stream is open: the proxy buffers')), 5_000),
    ),
  ]);
  assert.match(Buffer.from(first.value!).toString(), /^: stream open/);
  controller.abort();
});

test('upstream refused → 502 with a JSON-RPC error carrying the request id', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const dead = await service(['proxy', '--upstream', `http://127.0.0.1:${port}/mcp`]);
  const res = await fetch(dead.url, {
    method: 'POST',
    headers: HEADERS,
    body: '{"jsonrpc":"2.0","id":"req-9","method":"ping"}',
  });
  assert.equal(res.status, 502);
  const body = (await res.json()) as { id: unknown; error: { code: number; message: string } };
  assert.equal(body.id, 'req-9');
  assert.equal(body.error.code, -32000);
  assert.match(body.error.message, /ECONNREFUSED/);
});

test('upstream slower than --upstream-timeout-ms → 504, and the proxy keeps serving', async () => {
  const slow = await service(['mock', 'http', '--latency-ms', '3000']);
  const impatient = await service(['proxy', '--upstream', slow.url, '--upstream-timeout-ms', '300']);
  const init = await fetch(impatient.url, { method: 'POST', headers: HEADERS, body: INIT });
  const session = init.headers.get('mcp-session-id')!;
  const headers = { ...HEADERS, 'mcp-session-id': session };
  const res = await fetch(impatient.url, {
    method: 'POST',
    headers,
    body: '{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"echo"}}',
  });
  assert.equal(res.status, 504);
  const body = (await res.json()) as { id: unknown; error: { message: string } };
  assert.equal(body.id, 11);
  assert.match(body.error.message, /did not answer within 300 ms/);
  const ping = await fetch(impatient.url, {
    method: 'POST',
    headers,
    body: '{"jsonrpc":"2.0","id":12,"method":"ping"}',
  });
  assert.equal(ping.status, 200);
});

test('a body over --max-body-bytes → 413 with a JSON-RPC error; the proxy keeps serving', async () => {
  const small = await service(['proxy', '--upstream', mock.url, '--max-body-bytes', '1000']);
  const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(5_000) } });
  const res = await fetch(small.url, { method: 'POST', headers: HEADERS, body: big });
  assert.equal(res.status, 413);
  assert.match(((await res.json()) as { error: { message: string } }).error.message, /exceeds 1000 bytes/);
  const ok = await fetch(small.url, { method: 'POST', headers: HEADERS, body: INIT });
  assert.equal(ok.status, 200);
});

test('a non-loopback upstream or listen address is refused at the command line', async () => {
  const remote = await runCli(['proxy', '--upstream', 'http://10.0.0.1:80/mcp']);
  assert.equal(remote.code, 2);
  assert.match(remote.stderr, /not a loopback address/);
  const listen = await runCli(['proxy', '--upstream', mock.url, '--listen', '0.0.0.0:0']);
  assert.equal(listen.code, 2);
  assert.match(listen.stderr, /--listen: 0\.0\.0\.0 is not a loopback address/);
});

test('2026-07-28 requests (no session id; Mcp-Method and Mcp-Name headers) are forwarded unchanged', async () => {
  const seen: Array<{ headers: import('node:http').IncomingHttpHeaders; body: string }> = [];
  const http = await import('node:http');
  const recorder = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += String(c)));
    req.on('end', () => {
      seen.push({ headers: req.headers, body });
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ jsonrpc: '2.0', id: JSON.parse(body).id, result: { content: [] } }));
    });
  });
  await new Promise<void>((r) => recorder.listen(0, '127.0.0.1', r));
  stops.push(() => new Promise((r) => recorder.close(() => r())));
  const port = (recorder.address() as import('node:net').AddressInfo).port;
  const stateless = await service(['proxy', '--upstream', `http://127.0.0.1:${port}/mcp`]);
  const body = '{"jsonrpc":"2.0","id":"s1","method":"tools/call","params":{"name":"echo","arguments":{}}}';
  const res = await fetch(stateless.url, {
    method: 'POST',
    headers: { ...HEADERS, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'echo' },
    body,
  });
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { id: string }).id, 's1');
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.body, body, 'the body bytes are not re-serialised');
  assert.equal(seen[0]!.headers['mcp-protocol-version'], '2026-07-28');
  assert.equal(seen[0]!.headers['mcp-method'], 'tools/call');
  assert.equal(seen[0]!.headers['mcp-name'], 'echo');
  assert.equal(seen[0]!.headers['mcp-session-id'], undefined);
});
