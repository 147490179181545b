/**
 * What a stdio server sends its client outside an answer is held for the session's GET stream up to
 * --max-queue-bytes, oldest dropped first and counted; a stream whose reader lags by more than that loses messages,
 * counted, rather than the proxy its memory. On 951cb6c the queue was bounded by count (1,000) only: a child sending
 * 1 MB notifications with no stream open held 640 MB.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { newTag, startService, waitForNoProcesses } from '../helpers/cli.js';
import { answerText, callTool, openSession, rssBytes } from '../helpers/mcp-http.js';
import { metric } from '../helpers/metrics.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/misbehaving-stdio-server.js', import.meta.url));
const tag = newTag();
let proxy: Awaited<ReturnType<typeof startService>>;

before(async () => {
  proxy = await startService(['proxy', '--upstream-cmd', `"${process.execPath}" "${FIXTURE}"`], tag);
});
after(async () => {
  await proxy.stop();
  assert.deepEqual(await waitForNoProcesses(tag), []);
});

/** Reads SSE `data:` lines from a GET stream until `count` arrived or the stream goes quiet for `quietMs`. */
async function readEvents(res: Response, quietMs: number): Promise<Array<{ params: { data: { seq: number } } }>> {
  const reader = res.body!.getReader();
  const events: Array<{ params: { data: { seq: number } } }> = [];
  let text = '';
  for (;;) {
    const next = await Promise.race([
      reader.read(),
      new Promise<undefined>((r) => setTimeout(() => r(undefined), quietMs)),
    ]);
    if (next === undefined || next.done) break;
    text += Buffer.from(next.value).toString();
    let end: number;
    while ((end = text.indexOf('\n\n')) !== -1) {
      const data = /^data: (.*)$/m.exec(text.slice(0, end));
      text = text.slice(end + 2);
      if (data) events.push(JSON.parse(data[1]!));
    }
  }
  await reader.cancel();
  return events;
}

test('200 notifications of 1 MB with no stream open: the newest 4 MB are kept, the rest dropped and counted', async (t) => {
  const session = await openSession(proxy.url);
  const before = rssBytes(proxy.pid);
  const call = await callTool(proxy.url, session, 'notify', { count: 200, bytes: 1_000_000 });
  assert.equal(answerText(call.body), 'notified', 'the answer still comes back on its POST');
  const grown = rssBytes(proxy.pid) - before;
  t.diagnostic(`proxy RSS grew ${(grown / 2 ** 20).toFixed(1)} MiB for 200 MB of notifications`);
  assert.ok(grown < 96 * 2 ** 20, `RSS grew by ${(grown / 2 ** 20).toFixed(1)} MiB for 200 MB sent`);
  const dropped = await metric(proxy.url, 'mcp_proxy_dropped_messages_total{reason="queue_full"}');
  assert.ok(dropped >= 195 && dropped <= 197, `dropped ${dropped}`);
  const stream = await fetch(proxy.url, { headers: { accept: 'text/event-stream', 'mcp-session-id': session } });
  const events = await readEvents(stream, 500);
  assert.equal(events.length, 200 - dropped, 'what was kept is delivered once a stream opens');
  assert.deepEqual(
    events.map((e) => e.params.data.seq),
    Array.from({ length: events.length }, (_, i) => 200 - events.length + 1 + i),
    'the newest, in order',
  );
});

test('a stream whose reader does not read: messages past the bound are dropped, not buffered', async (t) => {
  const session = await openSession(proxy.url);
  const controller = new AbortController();
  const stream = await fetch(proxy.url, {
    headers: { accept: 'text/event-stream', 'mcp-session-id': session },
    signal: controller.signal,
  });
  assert.equal(stream.status, 200); // its body is never read
  const before = rssBytes(proxy.pid);
  const call = await callTool(proxy.url, session, 'notify', { count: 200, bytes: 1_000_000 });
  assert.equal(answerText(call.body), 'notified');
  const grown = rssBytes(proxy.pid) - before;
  t.diagnostic(`proxy RSS grew ${(grown / 2 ** 20).toFixed(1)} MiB for 200 MB of notifications`);
  assert.ok(grown < 96 * 2 ** 20, `RSS grew by ${(grown / 2 ** 20).toFixed(1)} MiB for 200 MB sent`);
  assert.ok((await metric(proxy.url, 'mcp_proxy_dropped_messages_total{reason="slow_stream"}')) >= 150);
  controller.abort();
  // Other sessions are served meanwhile and after.
  const other = await openSession(proxy.url);
  assert.equal(answerText((await callTool(proxy.url, other, 'echo', { text: 'fine' })).body), 'fine');
});
