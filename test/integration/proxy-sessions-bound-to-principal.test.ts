/**
 * A session belongs to the principal that opened it. Another principal that presents its id — on POST, GET or
 * DELETE, in the reverse proxy, the stdio bridge or the legacy SSE front — gets 404, as for an id that never
 * existed; the owner's session is untouched. On 951cb6c the beta token could use, watch and delete alpha's session.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { SignJWT } from 'jose';
import { serviceGroup, type Service } from '../helpers/cli.js';
import { answerText, callTool, HEADERS, openSession } from '../helpers/mcp-http.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/misbehaving-stdio-server.js', import.meta.url));
const ALPHA = { authorization: 'Bearer alpha-token-0001' };
const BETA = { authorization: 'Bearer beta-token-00002' };
const SECRET = 'a-shared-secret-of-some-length';
const group = serviceGroup();
const service = group.start;
let mock: Service;

before(async () => {
  mock = await service(['mock', 'http']);
});
after(async () => assert.deepEqual(await group.stopAll(), []));

const AUTH = ['--auth-token', 'alpha-token-0001', '--auth-token', 'beta-token-00002', '--auth-hs256-secret', SECRET];

/** POST, GET and DELETE with another principal's credentials all find nothing; the owner carries on. */
async function assertBound(url: string): Promise<void> {
  const session = await openSession(url, ALPHA);
  const post = await callTool(url, session, 'echo', { payloadBytes: 0, text: 'x' }, BETA);
  assert.equal(post.status, 404, 'POST with another token');
  assert.equal(
    post.body.error.message,
    'unknown or expired session',
    'the same answer as for an id that never existed',
  );
  const get = await fetch(url, { headers: { accept: 'text/event-stream', 'mcp-session-id': session, ...BETA } });
  assert.equal(get.status, 404, 'GET stream with another token');
  await get.arrayBuffer();
  const del = await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': session, ...BETA } });
  assert.equal(del.status, 404, 'DELETE with another token');
  await del.arrayBuffer();
  const own = await callTool(url, session, 'echo', { payloadBytes: 0, text: 'mine' }, ALPHA);
  assert.equal(own.status, 200, 'the owner still uses its session');
  assert.equal(answerText(own.body), 'mine');
}

test('reverse proxy: another token cannot use, watch or delete a session', async () => {
  const proxy = await service(['proxy', '--upstream', mock.url, ...AUTH]);
  await assertBound(proxy.url);
});

test('stdio bridge: another token cannot use, watch or delete a session', async () => {
  const proxy = await service(['proxy', '--upstream-cmd', `"${process.execPath}" "${FIXTURE}"`, ...AUTH]);
  await assertBound(proxy.url);
});

test('JWTs: the same subject with a fresh token keeps its session; another subject or issuer does not get it', async () => {
  const proxy = await service(['proxy', '--upstream', mock.url, ...AUTH]);
  const key = new TextEncoder().encode(SECRET);
  const jwt = (sub: string, iss: string) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setIssuer(iss)
      .setExpirationTime('1h')
      .sign(key);
  const bearer = async (sub: string, iss = 'idp') => ({ authorization: `Bearer ${await jwt(sub, iss)}` });
  const session = await openSession(proxy.url, await bearer('alice'));
  await new Promise((r) => setTimeout(r, 1_100)); // a new iat: a different token string for the same subject
  assert.equal(
    (await callTool(proxy.url, session, 'echo', { payloadBytes: 0, text: 'a' }, await bearer('alice'))).status,
    200,
    'renewed token, same principal',
  );
  assert.equal(
    (await callTool(proxy.url, session, 'echo', { payloadBytes: 0, text: 'b' }, await bearer('bob'))).status,
    404,
    'another subject',
  );
  assert.equal(
    (await callTool(proxy.url, session, 'echo', { payloadBytes: 0, text: 'c' }, await bearer('alice', 'other-idp')))
      .status,
    404,
    'the same subject from another issuer',
  );
  assert.equal(
    (await callTool(proxy.url, session, 'echo', { payloadBytes: 0, text: 'd' }, ALPHA)).status,
    404,
    'a static token',
  );
});

test('legacy SSE front: another token cannot post into a session', async () => {
  const proxy = await service(['proxy', '--upstream', mock.url, ...AUTH]);
  const controller = new AbortController();
  const stream = await fetch(new URL('/sse', proxy.url), {
    headers: { accept: 'text/event-stream', ...ALPHA },
    signal: controller.signal,
  });
  assert.equal(stream.status, 200);
  const reader = stream.body!.getReader();
  let text = '';
  while (!text.includes('\n\n')) text += Buffer.from((await reader.read()).value!).toString();
  const endpoint = /data: (\S+)/.exec(text)![1]!;
  const body = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'ping' });
  const theirs = await fetch(new URL(endpoint, proxy.url), { method: 'POST', headers: { ...HEADERS, ...BETA }, body });
  assert.equal(theirs.status, 404);
  const mine = await fetch(new URL(endpoint, proxy.url), { method: 'POST', headers: { ...HEADERS, ...ALPHA }, body });
  assert.equal(mine.status, 202);
  controller.abort();
});
