/**
 * The smaller holes found by probing 951cb6c from outside, each closed: Host checked (exactly one on HTTP/1.1; a
 * non-loopback one refused everywhere, /metrics and /sse included), /metrics behind the token with --metrics-auth,
 * the bearer scheme case-insensitive, a bare-LF head refused at once, refusals carrying the request's id, and
 * answers that cannot be passed on failing their request at once instead of at the timeout.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { BIN, serviceGroup, type Service } from '../helpers/cli.js';
import { callTool, HEADERS, INIT, openSession, portOf, rawExchange } from '../helpers/mcp-http.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/misbehaving-stdio-server.js', import.meta.url));
const TOKEN = 'edge-token-0001';
const group = serviceGroup();
const service = group.start;
let mock: Service;
let proxy: Service;

before(async () => {
  mock = await service(['mock', 'http']);
  proxy = await service([
    'proxy',
    '--upstream',
    mock.url,
    '--auth-token',
    TOKEN,
    '--rate-limit',
    '1',
    '--rate-limit-burst',
    '200',
  ]);
});
after(async () => assert.deepEqual(await group.stopAll(), []));

const statusOf = (text: string): number => Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1] ?? 0);
const METRICS = (host: string) => `GET /metrics HTTP/1.1\r\nConnection: close\r\n${host}\r\n`;

test('HTTP/1.1 without Host, or with two, is 400', async () => {
  const port = portOf(proxy.url);
  assert.equal(statusOf((await rawExchange(port, [`${METRICS('Accept: */*')}\r\n`])).text), 400);
  assert.equal(
    statusOf((await rawExchange(port, [`${METRICS('Host: 127.0.0.1\r\nHost: evil.example')}\r\n`])).text),
    400,
  );
  assert.equal(statusOf((await rawExchange(port, [`${METRICS('Host: 127.0.0.1')}\r\n`])).text), 200);
});

test('a non-loopback Host is refused on every path (DNS rebinding); --allow-host admits a name', async () => {
  const port = portOf(proxy.url);
  for (const path of ['/metrics', '/sse', '/mcp', '/messages?sessionId=x']) {
    const { text } = await rawExchange(port, [
      `GET ${path} HTTP/1.1\r\nHost: evil.example:${port}\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n`,
    ]);
    assert.equal(statusOf(text), 403, path);
  }
  for (const host of ['localhost', `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
    assert.equal(statusOf((await rawExchange(port, [`${METRICS(`Host: ${host}`)}\r\n`])).text), 200, host);
  }
  const named = await service(['proxy', '--upstream', mock.url, '--allow-host', 'mcp.internal']);
  assert.equal(
    statusOf((await rawExchange(portOf(named.url), [`${METRICS('Host: mcp.internal:8080')}\r\n`])).text),
    200,
  );
  assert.equal(statusOf((await rawExchange(portOf(named.url), [`${METRICS('Host: other.internal')}\r\n`])).text), 403);
});

test('--metrics-auth puts /metrics behind the token; without it /metrics stays open', async () => {
  assert.equal((await fetch(new URL('/metrics', proxy.url))).status, 200);
  const locked = await service(['proxy', '--upstream', mock.url, '--auth-token', TOKEN, '--metrics-auth']);
  assert.equal((await fetch(new URL('/metrics', locked.url))).status, 401);
  assert.equal(
    (await fetch(new URL('/metrics', locked.url), { headers: { authorization: `Bearer ${TOKEN}` } })).status,
    200,
  );
});

test('the bearer scheme is case-insensitive', async () => {
  for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
    const res = await fetch(proxy.url, {
      method: 'POST',
      headers: { ...HEADERS, authorization: `${scheme} ${TOKEN}` },
      body: INIT,
    });
    assert.equal(res.status, 200, scheme);
    await res.arrayBuffer();
  }
});

test('a head with bare-LF line endings is refused at once, not after the 60 s request timeout', async () => {
  const { text, timedOut } = await rawExchange(portOf(proxy.url), ['GET /metrics HTTP/1.1\nHost: 127.0.0.1\n\n'], {
    timeoutMs: 10_000,
  });
  assert.equal(timedOut, false);
  assert.equal(statusOf(text), 400);
  assert.match(text, /bare LF/);
});

test('401 and 429 refusals carry the request id', async () => {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 'req-401', method: 'ping' });
  const denied = await fetch(proxy.url, {
    method: 'POST',
    headers: { ...HEADERS, authorization: 'Bearer wrong-token-00' },
    body,
  });
  assert.equal(denied.status, 401);
  assert.equal(((await denied.json()) as { id: unknown }).id, 'req-401');
  const limited = await service(['proxy', '--upstream', mock.url, '--rate-limit', '1', '--rate-limit-burst', '1']);
  await (await fetch(limited.url, { method: 'POST', headers: HEADERS, body: INIT })).arrayBuffer();
  const second = await fetch(limited.url, {
    method: 'POST',
    headers: HEADERS,
    body: JSON.stringify({ jsonrpc: '2.0', id: 429, method: 'ping' }),
  });
  assert.equal(second.status, 429);
  assert.equal(((await second.json()) as { id: unknown }).id, 429);
});

test('bridge: an id of 1e999 is refused at once; over-long, invalid and non-JSON answers fail their call at once', async () => {
  const bridge = await service([
    'proxy',
    '--upstream-cmd',
    `"${process.execPath}" "${FIXTURE}"`,
    '--max-line-bytes',
    '4096',
    '--upstream-timeout-ms',
    '20000',
  ]);
  const session = await openSession(bridge.url);
  const infinite = await fetch(bridge.url, {
    method: 'POST',
    headers: { ...HEADERS, 'mcp-session-id': session },
    body: '{"jsonrpc":"2.0","id":1e999,"method":"tools/call","params":{"name":"echo"}}',
  });
  assert.equal(infinite.status, 400);
  assert.equal(((await infinite.json()) as { error: { code: number } }).error.code, -32600);
  for (const [name, message] of [
    ['oversize', /exceeds --max-line-bytes/],
    ['invalid', /invalid JSON-RPC message/],
    ['notjson', /not JSON/],
  ] as const) {
    const started = Date.now();
    const r = await callTool(bridge.url, session, name, { bytes: 10_000 }, {}, `id-${name}`);
    assert.equal(r.status, 502, name);
    assert.equal(r.body.id, `id-${name}`);
    assert.match(r.body.error.message, message);
    assert.ok(Date.now() - started < 15_000, `${name}: answered before the 20 s upstream timeout`);
  }
  assert.equal((await callTool(bridge.url, session, 'echo', { text: 'after' })).body.result.content[0].text, 'after');
});

test('stdio forward: a request the child never answers gets an error at the timeout; a late answer is dropped', async () => {
  const proc = execa(
    process.execPath,
    [
      BIN,
      'proxy',
      '--stdio',
      '--upstream-timeout-ms',
      '500',
      '--max-line-bytes',
      '4096',
      '--',
      process.execPath,
      FIXTURE,
    ],
    { env: { MCP_PERF_TEST_TAG: group.tag }, reject: false, stdin: 'pipe', buffer: false },
  );
  const lines: Array<{ id?: unknown; result?: unknown; error?: { message: string } }> = [];
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => {
    out += String(d);
    for (let nl = out.indexOf('\n'); nl !== -1; nl = out.indexOf('\n')) {
      lines.push(JSON.parse(out.slice(0, nl)));
      out = out.slice(nl + 1);
    }
  });
  const send = (id: number, name: string, args: object = {}) =>
    proc.stdin!.write(
      JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } }) + '\n',
    );
  proc.stdin!.write(INIT + '\n');
  send(2, 'hang');
  send(3, 'late', { ms: 1_500 });
  send(4, 'oversize', { bytes: 10_000 });
  await new Promise((r) => setTimeout(r, 2_500));
  send(5, 'echo', { text: 'still' });
  await new Promise((r) => setTimeout(r, 300));
  proc.stdin!.end();
  await proc;
  const byId = (id: number) => lines.filter((l) => l.id === id);
  assert.match(byId(2)[0]?.error?.message ?? '', /did not answer within 500 ms/);
  assert.equal(byId(3).length, 1, 'the late answer was dropped: one answer per request');
  assert.match(byId(3)[0]?.error?.message ?? '', /did not answer within 500 ms/);
  assert.match(byId(4)[0]?.error?.message ?? '', /exceeds --max-line-bytes/);
  assert.equal(byId(4).length, 1);
  assert.deepEqual(byId(5)[0]?.result, { content: [{ type: 'text', text: 'still' }] });
});
