/**
 * A client's cancel reaches the server, through every proxy mode, as each revision says to cancel: in 2026-07-28 by
 * closing the request's response stream; before it by `notifications/cancelled` (a closed connection is not a cancel
 * there). The mocks stop a cancelled call and answer nothing; their `mcp-perf/stats` (calls, cancelled, in flight)
 * is read through the proxy to see that the cancel arrived.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { statelessMeta } from '../../core/protocol/stateless.js';
import { BIN, serviceGroup } from '../helpers/cli.js';
import { HEADERS, openSession } from '../helpers/mcp-http.js';
import { metric } from '../helpers/metrics.js';

const group = serviceGroup();
after(async () => assert.deepEqual(await group.stopAll(), []));

const STDIO_MOCK = `"${process.execPath}" "${BIN}" mock stdio`;

/** Where a request goes: a stateless endpoint, or a session of 2025-11-25. */
interface Peer {
  readonly url: string;
  readonly session?: string;
}

function post(peer: Peer, method: string, params: Record<string, unknown>, id?: number, signal?: AbortSignal) {
  const stateless = peer.session === undefined;
  const name: Record<string, string> = typeof params.name === 'string' ? { 'mcp-name': params.name } : {};
  return fetch(peer.url, {
    method: 'POST',
    signal,
    headers: {
      ...HEADERS,
      ...(stateless
        ? { 'mcp-protocol-version': '2026-07-28', 'mcp-method': method, ...name }
        : { 'mcp-protocol-version': '2025-11-25', 'mcp-session-id': peer.session! }),
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      ...(id === undefined ? {} : { id }),
      method,
      params: stateless ? { ...params, _meta: statelessMeta('test') } : params,
    }),
  });
}

interface Stats {
  calls: number;
  cancelled: number;
  inFlight: number;
}

/** The mock's own counts, summed over `asks` requests (a stateless bridge has two children, asked in turn). */
async function stats(peer: Peer, asks = 1): Promise<Stats> {
  const sum = { calls: 0, cancelled: 0, inFlight: 0 };
  for (let i = 0; i < asks; i++) {
    const res = await post(peer, 'mcp-perf/stats', {}, 900 + i);
    const body = (await res.json()) as { result: Stats };
    assert.equal(res.status, 200, JSON.stringify(body));
    for (const k of ['calls', 'cancelled', 'inFlight'] as const) sum[k] += body.result[k];
  }
  return sum;
}

async function until(what: string, check: () => Promise<boolean>, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A call that would take 10 s, begun (the server has it in flight), then its client gone. */
async function callThenLeave(peer: Peer, asks = 1): Promise<void> {
  const before = await stats(peer, asks);
  const abort = new AbortController();
  const pending = post(
    peer,
    'tools/call',
    { name: 'echo', arguments: { text: 'x', latencyMs: 10_000 } },
    5,
    abort.signal,
  );
  pending.catch(() => {}); // aborted below
  await until('the call is in flight upstream', async () => (await stats(peer, asks)).inFlight > before.inFlight);
  abort.abort();
  await assert.rejects(pending);
}

test('2026-07-28: a closed response stream cancels the call — at the HTTP mock, and through the reverse proxy', async () => {
  const mock = await group.start(['mock', 'http']);
  const proxy = await group.start(['proxy', '--upstream', mock.url]);
  for (const url of [mock.url, proxy.url]) {
    const before = await stats({ url });
    await callThenLeave({ url });
    await until('the mock counts the call cancelled', async () => (await stats({ url })).cancelled > before.cancelled);
    const now = await stats({ url });
    assert.deepEqual(now, { calls: before.calls + 1, cancelled: before.cancelled + 1, inFlight: 0 }, url);
  }
  assert.equal(await metric(proxy.url, 'mcp_proxy_cancelled_total'), 1);
});

test('2025-11-25 through the reverse proxy: a closed connection is not a cancel, notifications/cancelled is', async () => {
  const mock = await group.start(['mock', 'http']);
  const proxy = await group.start(['proxy', '--upstream', mock.url]);
  const peer = { url: proxy.url, session: await openSession(proxy.url) };
  await callThenLeave(peer);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(await stats(peer), { calls: 1, cancelled: 0, inFlight: 1 }, 'the work goes on, as the spec says');
  const res = await post(peer, 'notifications/cancelled', { requestId: 5, reason: 'the user moved on' });
  assert.equal(res.status, 202);
  await until('the mock counts the call cancelled', async () => (await stats(peer)).cancelled === 1);
  assert.deepEqual(await stats(peer), { calls: 1, cancelled: 1, inFlight: 0 });
});

test('the bridge: a client that leaves mid-call has the child told (notifications/cancelled), in both revisions', async () => {
  const bridge = await group.start(['proxy', '--upstream-cmd', STDIO_MOCK]);
  // 2025-11-25: a child of the session's own.
  const session = { url: bridge.url, session: await openSession(bridge.url) };
  await callThenLeave(session);
  await until('the child counts the call cancelled', async () => (await stats(session)).cancelled === 1);
  assert.deepEqual(await stats(session), { calls: 1, cancelled: 1, inFlight: 0 });
  // 2026-07-28: two shared children, asked in turn — both asked each time, the counts summed.
  const stateless = { url: bridge.url };
  await callThenLeave(stateless, 2);
  await until('a shared child counts the call cancelled', async () => (await stats(stateless, 2)).cancelled === 1);
  assert.deepEqual(await stats(stateless, 2), { calls: 1, cancelled: 1, inFlight: 0 });
  assert.equal(await metric(bridge.url, 'mcp_proxy_cancelled_total'), 2);
});
