/** Every proxy stage refuses bad input with its own status and a JSON-RPC error, and lets good input through. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { newTag, startService, waitForNoProcesses } from '../helpers/cli.js';
import { metric } from '../helpers/metrics.js';

const tag = newTag();
const stops: Array<() => Promise<void>> = [];
let dir: string;
let mock: Awaited<ReturnType<typeof startService>>;

async function service(args: string[]): Promise<Awaited<ReturnType<typeof startService>>> {
  const s = await startService(args, tag);
  stops.push(() => s.stop());
  return s;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcp-perf-stages-'));
  mock = await service(['mock', 'http']);
});
after(async () => {
  for (const stop of stops.reverse()) await stop();
  await rm(dir, { recursive: true, force: true });
  assert.deepEqual(await waitForNoProcesses(tag), []);
});

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
});
const post = (url: string, headers: Record<string, string> = {}, body = INIT) =>
  fetch(url, { method: 'POST', headers: { ...HEADERS, ...headers }, body });
const errorOf = async (res: Response) => ((await res.json()) as { error: { code: number; message: string } }).error;

test('auth: no token or a wrong one → 401 with WWW-Authenticate; static token, HS256 and RS256 JWTs → through', async () => {
  const secret = 'a-shared-secret-of-some-length';
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwksFile = join(dir, 'jwks.json');
  await writeFile(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' }] }));
  const proxy = await service([
    'proxy',
    '--upstream',
    mock.url,
    '--auth-token',
    'static-token-123',
    '--auth-hs256-secret',
    secret,
    '--auth-jwks',
    jwksFile,
  ]);

  const none = await post(proxy.url);
  assert.equal(none.status, 401);
  assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer realm="mcp-perf", error="invalid_request"/);
  const wrong = await post(proxy.url, { authorization: 'Bearer static-token-124' });
  assert.equal(wrong.status, 401);
  assert.match(wrong.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  assert.equal((await errorOf(wrong)).code, -32001);

  assert.equal((await post(proxy.url, { authorization: 'Bearer static-token-123' })).status, 200);
  const hs = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('alice')
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(secret));
  assert.equal((await post(proxy.url, { authorization: `Bearer ${hs}` })).status, 200);
  const rs = await new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setSubject('bob')
    .setExpirationTime('5m')
    .sign(privateKey);
  assert.equal((await post(proxy.url, { authorization: `Bearer ${rs}` })).status, 200);

  const expired = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
    .sign(new TextEncoder().encode(secret));
  assert.equal((await post(proxy.url, { authorization: `Bearer ${expired}` })).status, 401);
  const forged = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode('another-secret-entirely!!'));
  assert.equal((await post(proxy.url, { authorization: `Bearer ${forged}` })).status, 401);
  assert.equal(await metric(proxy.url, 'mcp_proxy_rejected_total{reason="auth"}'), 4);
});

test('rate limit: past the burst → 429 with Retry-After; other clients are not affected', async () => {
  const proxy = await service([
    'proxy',
    '--upstream',
    mock.url,
    '--rate-limit',
    '2',
    '--rate-limit-burst',
    '3',
    '--auth-token',
    'token-of-client-a',
    '--auth-token',
    'token-of-client-b',
  ]);
  const a = { authorization: 'Bearer token-of-client-a' };
  const statuses: number[] = [];
  let retryAfter = '';
  for (let i = 0; i < 6; i++) {
    const res = await post(proxy.url, a);
    statuses.push(res.status);
    if (res.status === 429) retryAfter = res.headers.get('retry-after') ?? '';
  }
  assert.deepEqual(statuses.slice(0, 3), [200, 200, 200]);
  assert.ok(statuses.slice(3).includes(429), statuses.join(','));
  assert.ok(Number(retryAfter) >= 1);
  assert.equal(
    (await post(proxy.url, { authorization: 'Bearer token-of-client-b' })).status,
    200,
    'client b has its own bucket',
  );
});

test('origin: a foreign browser Origin → 403; loopback and listed origins → through', async () => {
  const proxy = await service(['proxy', '--upstream', mock.url, '--allow-origin', 'https://app.example']);
  assert.equal((await post(proxy.url, { origin: 'http://evil.example' })).status, 403);
  assert.equal((await post(proxy.url, { origin: 'http://localhost:5173' })).status, 200);
  assert.equal((await post(proxy.url, { origin: 'https://app.example' })).status, 200);
  assert.equal((await post(proxy.url)).status, 200, 'no Origin: not a browser');
});

test('body stage: malformed JSON → 400/-32700, a batch → 400/-32600, unknown session → 404, all without reaching the upstream', async () => {
  const proxy = await service(['proxy', '--upstream', mock.url]);
  const malformed = await post(proxy.url, {}, '{"jsonrpc":"2.0",');
  assert.equal(malformed.status, 400);
  assert.equal((await errorOf(malformed)).code, -32700);
  const batch = await post(proxy.url, {}, '[{"jsonrpc":"2.0","id":1,"method":"ping"}]');
  assert.equal(batch.status, 400);
  assert.match((await errorOf(batch)).message, /batches are not supported/);
  const unknown = await post(
    proxy.url,
    { 'mcp-session-id': 'never-issued' },
    '{"jsonrpc":"2.0","id":5,"method":"ping"}',
  );
  assert.equal(unknown.status, 404);
  assert.equal(await metric(proxy.url, 'mcp_proxy_rejected_total{reason="unknown_session"}'), 1);
});

test('faults: --inject-error-rate 1 answers 503; --inject-latency-ms delays by at least that much', async () => {
  const failing = await service(['proxy', '--upstream', mock.url, '--inject-error-rate', '1']);
  const res = await post(failing.url);
  assert.equal(res.status, 503);
  assert.match((await errorOf(res)).message, /injected fault/);
  const slow = await service(['proxy', '--upstream', mock.url, '--inject-latency-ms', '300']);
  const t0 = performance.now();
  assert.equal((await post(slow.url)).status, 200);
  assert.ok(performance.now() - t0 >= 300, 'the injected delay is a lower bound');
});

test('two upstreams: sessions stick to theirs; when one dies, new sessions go to the other', async () => {
  const a = await service(['mock', 'http']);
  const b = await startService(['mock', 'http'], tag);
  const proxy = await service(['proxy', '--upstream', a.url, '--upstream', b.url, '--health-interval-ms', '200']);
  const sessions: string[] = [];
  for (let i = 0; i < 6; i++) sessions.push((await post(proxy.url)).headers.get('mcp-session-id')!);
  // A proxy that did not stick would send about half of these to the upstream that never saw the session (404).
  for (const s of sessions)
    for (let i = 0; i < 3; i++)
      assert.equal(
        (await post(proxy.url, { 'mcp-session-id': s }, `{"jsonrpc":"2.0","id":${i + 2},"method":"ping"}`)).status,
        200,
      );
  await b.stop();
  await new Promise((r) => setTimeout(r, 600)); // a health probe or two
  const after: number[] = [];
  for (let i = 0; i < 6; i++) after.push((await post(proxy.url)).status);
  assert.deepEqual(after, [200, 200, 200, 200, 200, 200]);
  assert.equal(await metric(proxy.url, 'mcp_proxy_upstreams_healthy'), 1);
});

test('SIGTERM drains: a request in flight is answered before the proxy exits', async () => {
  const slowMock = await service(['mock', 'http', '--latency-ms', '600']);
  const proxy = await startService(['proxy', '--upstream', slowMock.url], tag);
  const session = (await post(proxy.url)).headers.get('mcp-session-id')!;
  const call = post(
    proxy.url,
    { 'mcp-session-id': session },
    '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo"}}',
  );
  await new Promise((r) => setTimeout(r, 150));
  proxy.proc.kill('SIGTERM');
  const res = await call;
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { id: number }).id, 7);
  await proxy.proc;
});

test('/metrics is Prometheus text with the request, session and latency series', async () => {
  const proxy = await service(['proxy', '--upstream', mock.url]);
  await post(proxy.url);
  const text = await (await fetch(new URL('/metrics', proxy.url))).text();
  for (const series of [
    'mcp_proxy_requests_total{method="POST",status="200"} 1',
    'mcp_proxy_active_sessions 1',
    'mcp_proxy_request_duration_seconds_count 1',
    '# TYPE mcp_proxy_request_duration_seconds histogram',
    'mcp_proxy_open_streams 0',
  ]) {
    assert.ok(text.includes(series), `missing: ${series}`);
  }
});
