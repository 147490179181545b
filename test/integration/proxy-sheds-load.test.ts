/**
 * Load shedding: with --max-in-flight N, the (N+1)th POST awaiting its answer is refused at once with 503,
 * Retry-After and a JSON-RPC error carrying its id, without reaching the upstream, and counted; as answers come
 * back, new calls are admitted again. --max-in-flight-per-upstream does the same per HTTP upstream.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { serviceGroup } from '../helpers/cli.js';
import { callTool, openSession } from '../helpers/mcp-http.js';
import { metricsText } from '../helpers/metrics.js';

const group = serviceGroup();
after(async () => assert.deepEqual(await group.stopAll(), []));

/** Six calls at once on one session against a mock that answers after 400 ms. */
async function burst(proxyArgs: string[]): Promise<{ url: string; answers: Array<{ status: number; body: any }> }> {
  const mock = await group.start(['mock', 'http', '--latency-ms', '400']);
  const proxy = await group.start(['proxy', '--upstream', mock.url, ...proxyArgs]);
  const session = await openSession(proxy.url);
  const answers = await Promise.all(
    Array.from({ length: 6 }, (_, i) => callTool(proxy.url, session, 'echo', {}, {}, 100 + i)),
  );
  return { url: proxy.url, answers };
}

for (const flag of ['--max-in-flight', '--max-in-flight-per-upstream']) {
  test(`${flag} 2: two of six calls at once are served, four are shed with 503 at once, then calls are admitted again`, async () => {
    const started = Date.now();
    const { url, answers } = await burst([flag, '2']);
    const served = answers.filter((a) => a.status === 200);
    const shed = answers.filter((a) => a.status === 503);
    assert.equal(served.length, 2, JSON.stringify(answers.map((a) => a.status)));
    assert.equal(shed.length, 4);
    for (const a of shed) {
      assert.equal(a.body.jsonrpc, '2.0');
      assert.ok(a.body.id >= 100 && a.body.id < 106, 'the refusal carries the request id');
      assert.match(a.body.error.message, new RegExp(`overloaded: 2 requests already in flight.*\\(${flag}\\)`));
    }
    assert.ok(Date.now() - started < 5_000);
    assert.match(await metricsText(url), /mcp_proxy_rejected_total\{reason="overloaded"\} 4/);

    // The two admitted have been answered: the slots are free again.
    const session = await openSession(url);
    const again = await callTool(url, session, 'echo', {}, {}, 7);
    assert.equal(again.status, 200, JSON.stringify(again.body));
  });
}

test('GET streams do not count: a client holding streams open is not shed for it', async () => {
  const mock = await group.start(['mock', 'http']);
  const proxy = await group.start(['proxy', '--upstream', mock.url, '--max-in-flight', '1']);
  const session = await openSession(proxy.url);
  const controller = new AbortController();
  const stream = await fetch(proxy.url, {
    headers: { accept: 'text/event-stream', 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' },
    signal: controller.signal,
  });
  assert.equal(stream.status, 200);
  const call = await callTool(proxy.url, session, 'echo', {}, {}, 9);
  assert.equal(call.status, 200, JSON.stringify(call.body));
  controller.abort();
});
