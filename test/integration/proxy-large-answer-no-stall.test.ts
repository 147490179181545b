/**
 * An answer larger than the client socket's buffer makes the proxy pause its upstream read until the client drains.
 * On 951cb6c the connection went back to the idle pool still paused when the answer ended in that same read, and the
 * next request given that connection — from any session — waited for the whole upstream timeout (504).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { newTag, startService, waitForNoProcesses } from '../helpers/cli.js';
import { answerText, callTool, openSession } from '../helpers/mcp-http.js';

const tag = newTag();
let mock: Awaited<ReturnType<typeof startService>>;
let proxy: Awaited<ReturnType<typeof startService>>;

before(async () => {
  mock = await startService(['mock', 'http'], tag);
  // A short timeout: a stalled connection shows as 504 in 3 s instead of 30.
  proxy = await startService(['proxy', '--upstream', mock.url, '--upstream-timeout-ms', '3000'], tag);
});
after(async () => {
  await proxy.stop();
  await mock.stop();
  assert.deepEqual(await waitForNoProcesses(tag), []);
});

test('after answers of 20 KB to 2 MB in one session, the next call of another session is answered', async () => {
  const a = await openSession(proxy.url);
  const b = await openSession(proxy.url);
  for (const payloadBytes of [16_500, 20_000, 100_000, 2_000_000]) {
    const big = await callTool(proxy.url, a, 'echo', { text: 'big', payloadBytes });
    assert.equal(big.status, 200);
    assert.equal(
      answerText(big.body).length,
      'big'.length + payloadBytes,
      `the ${payloadBytes}-byte answer arrived whole`,
    );
    const next = await callTool(proxy.url, b, 'echo', { payloadBytes: 0, text: 'small' });
    assert.equal(
      next.status,
      200,
      `the call after a ${payloadBytes}-byte answer: ${JSON.stringify(next.body).slice(0, 200)}`,
    );
    assert.equal(answerText(next.body), 'small');
  }
});

test('eight large answers in parallel, then eight small calls in parallel: all answered', async () => {
  const sessions = await Promise.all(Array.from({ length: 8 }, () => openSession(proxy.url)));
  const big = await Promise.all(
    sessions.map((s) => callTool(proxy.url, s, 'echo', { text: '', payloadBytes: 300_000 })),
  );
  assert.deepEqual(
    big.map((r) => r.status),
    Array(8).fill(200),
  );
  const small = await Promise.all(
    sessions.map((s, i) => callTool(proxy.url, s, 'echo', { payloadBytes: 0, text: `s${i}` })),
  );
  assert.deepEqual(
    small.map((r) => answerText(r.body)),
    sessions.map((_, i) => `s${i}`),
  );
});
