/**
 * A request the proxy's server refuses after forwarding it (a malformed chunk in the body of a GET that already went
 * upstream) must end the upstream exchange too: the upstream's late answer has nobody to go to. On 951cb6c that late
 * answer wrote a second head into the refused response and the exception ended the process.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { serviceGroup } from '../helpers/cli.js';
import { alive, answerText, callTool, listenHttp, openSession, portOf, rawExchange } from '../helpers/mcp-http.js';
import { metric } from '../helpers/metrics.js';

const group = serviceGroup();
/** GETs the slow upstream saw, and how many of them were cut before it answered. */
const upstreamGets = { seen: 0, cut: 0 };
let slowUrl: string;

before(async () => {
  // An upstream that opens GET streams after 300 ms and answers everything else at once.
  const slow = await listenHttp((req, res) => {
    if (req.method === 'GET') {
      upstreamGets.seen++;
      let answered = false;
      req.on('close', () => void (answered || upstreamGets.cut++));
      setTimeout(() => {
        answered = true;
        if (!res.destroyed) res.writeHead(200, { 'content-type': 'text/event-stream' }).write(': open\n\n');
      }, 300);
      return;
    }
    req.resume();
    req.on('end', () =>
      res
        .writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 's1' })
        .end('{"jsonrpc":"2.0","id":1,"result":{}}'),
    );
  });
  slowUrl = slow.url;
  group.defer(() => slow.close());
});
after(async () => assert.deepEqual(await group.stopAll(), []));

const GET_WITH_BODY =
  'GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\naccept: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n';

test('a malformed chunk after the request went upstream: 400, the upstream request is cut, the proxy lives', async () => {
  const proxy = await group.start(['proxy', '--upstream', slowUrl]);
  const { text } = await rawExchange(portOf(proxy.url), [GET_WITH_BODY, 'zz\r\n'], { gapMs: 100 });
  assert.match(text, /^HTTP\/1\.1 400 /);
  await new Promise((r) => setTimeout(r, 600)); // past the upstream's answer
  assert.ok(alive(proxy.pid), 'the proxy survived the upstream answering a refused request');
  assert.equal(upstreamGets.cut, upstreamGets.seen, 'every refused GET was cut upstream, not left to answer');
  assert.equal(await metric(proxy.url, 'mcp_proxy_cancelled_total'), 1);
});

test('the same race against a fast upstream, 30 times: the proxy keeps serving a session opened before', async () => {
  const mock = await group.start(['mock', 'http']);
  const proxy = await group.start(['proxy', '--upstream', mock.url]);
  const session = await openSession(proxy.url);
  for (let i = 0; i < 30; i++) {
    const { text } = await rawExchange(portOf(proxy.url), [GET_WITH_BODY, 'zz\r\n'], { gapMs: 1 });
    assert.match(text, /^HTTP\/1\.1 (400|406|405|200) /, `round ${i}: an answer, whichever came first`);
  }
  assert.ok(alive(proxy.pid), 'the proxy is alive after 30 races');
  const after = await callTool(proxy.url, session, 'echo', { payloadBytes: 0, text: 'still here' });
  assert.equal(after.status, 200);
  assert.equal(answerText(after.body), 'still here');
});
