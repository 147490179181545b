/**
 * The client's Authorization and Cookie are its credentials for the proxy and never reach the upstream (MCP's
 * authorization spec forbids token passthrough); --upstream-header sets what the upstream gets instead. On 951cb6c
 * the upstream received the client's bearer token and cookie unchanged.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { runCli, serviceGroup } from '../helpers/cli.js';
import { HEADERS, INIT, listenHttp, portOf, rawExchange } from '../helpers/mcp-http.js';

const group = serviceGroup();
const seen: http.IncomingHttpHeaders[] = [];
let upstreamUrl: string;

before(async () => {
  const recorder = await listenHttp((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () =>
      res
        .writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': `s${seen.length}` })
        .end('{"jsonrpc":"2.0","id":1,"result":{}}'),
    );
  });
  upstreamUrl = recorder.url;
  group.defer(() => recorder.close());
});
after(async () => assert.deepEqual(await group.stopAll(), []));

const CLIENT = { ...HEADERS, authorization: 'Bearer client-token-1', cookie: 'sid=client-cookie', 'x-trace': 'kept' };

test('by default the upstream gets neither the client token nor its cookie; other headers pass', async () => {
  const proxy = await group.start(['proxy', '--upstream', upstreamUrl, '--auth-token', 'client-token-1']);
  const res = await fetch(proxy.url, { method: 'POST', headers: CLIENT, body: INIT });
  assert.equal(res.status, 200);
  const got = seen.at(-1)!;
  assert.equal(got.authorization, undefined);
  assert.equal(got.cookie, undefined);
  assert.equal(got['x-trace'], 'kept');
});

test('--upstream-header sets the upstream credentials, on forwarded requests and on the DELETE of an idle session', async () => {
  const proxy = await group.start([
    'proxy',
    '--upstream',
    upstreamUrl,
    '--upstream-header',
    'Authorization: Bearer upstream-token',
    '--session-idle-ms',
    '300',
  ]);
  const before = seen.length;
  const res = await fetch(proxy.url, { method: 'POST', headers: CLIENT, body: INIT });
  assert.equal(res.status, 200);
  assert.equal(seen.at(-1)!.authorization, 'Bearer upstream-token');
  assert.equal(seen.at(-1)!.cookie, undefined);
  for (let i = 0; i < 100 && seen.length === before + 1; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(seen.length, before + 2, 'the idle session was ended upstream');
  assert.equal(seen.at(-1)!.authorization, 'Bearer upstream-token');
});

const ANSWER = '{"jsonrpc":"2.0","id":1,"result":{}}';

test('every other field passes as it came, both ways: names in their case, in their order, repeats on lines of their own', async () => {
  const raw: string[][] = [];
  const upstream = await listenHttp((req, res) => {
    raw.push(req.rawHeaders);
    req.resume();
    req.on('end', () =>
      res
        .writeHead(200, [
          'X-Up',
          'one',
          'Content-Type',
          'application/json',
          'x-up',
          'two',
          'Keep-Alive',
          'timeout=9',
          'Content-Length',
          String(ANSWER.length),
        ])
        .end(ANSWER),
    );
  });
  group.defer(() => upstream.close());
  // No health checks: the upstream's last request is the client's.
  const proxy = await group.start([
    'proxy',
    '--upstream',
    upstream.url,
    '--auth-token',
    'client-token-1',
    '--health-interval-ms',
    '0',
  ]);
  const head = [
    'POST /mcp HTTP/1.1',
    `Host: 127.0.0.1:${portOf(proxy.url)}`,
    'X-Trace: one',
    'Content-Type: application/json',
    'Authorization: Bearer client-token-1',
    'Accept:  application/json, text/event-stream',
    'x-trace: two',
    'Connection: keep-alive',
    'Cookie: sid=1',
    `Content-Length: ${Buffer.byteLength(INIT)}`,
  ];
  const answer = await rawExchange(portOf(proxy.url), [`${head.join('\r\n')}\r\n\r\n${INIT}`], {
    until: (text) => text.endsWith('}}'),
  });
  assert.deepEqual(raw.at(-1), [
    'host',
    new URL(upstream.url).host,
    'X-Trace',
    'one',
    'Content-Type',
    'application/json',
    'Accept',
    'application/json, text/event-stream',
    'x-trace',
    'two',
    'content-length',
    String(Buffer.byteLength(INIT)),
  ]);
  const lines = answer.text.slice(0, answer.text.indexOf('\r\n\r\n')).split('\r\n');
  assert.equal(lines[0], 'HTTP/1.1 200 OK');
  // The upstream's fields as it sent them, its Keep-Alive (hop-by-hop) left out, and its Date and length passed on.
  assert.deepEqual(
    lines.filter((l) => /^(x-up|content-type|keep-alive):/i.test(l)),
    ['X-Up: one', 'Content-Type: application/json', 'x-up: two'],
  );
  assert.equal(lines.filter((l) => /^date:/i.test(l)).length, 1);
  assert.deepEqual(
    lines.filter((l) => /^content-length:/i.test(l)),
    [`Content-Length: ${ANSWER.length}`],
  );
});

test('a malformed or reserved --upstream-header is a usage error', async () => {
  for (const [value, message] of [
    ['NoColon', /must look like "Name: value"/],
    ['Host: elsewhere', /cannot set host/],
    ['Mcp-Session-Id: x', /cannot set mcp-session-id/],
  ] as const) {
    const r = await runCli(['proxy', '--upstream', upstreamUrl, '--upstream-header', value]);
    assert.equal(r.code, 2, value);
    assert.match(r.stderr, message);
  }
});
