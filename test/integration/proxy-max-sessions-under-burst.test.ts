/**
 * --max-sessions holds under a burst: an initialize holds a slot from the moment it is forwarded, so twenty at once
 * against a limit of five open exactly five sessions (the rest get 503 and never reach the upstream), and a slot is
 * given back when its initialize fails. On 951cb6c all twenty were answered 200 and fifteen went untracked.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { serviceGroup } from '../helpers/cli.js';
import { HEADERS, INIT, listenHttp } from '../helpers/mcp-http.js';
import { metric } from '../helpers/metrics.js';

const group = serviceGroup();
after(async () => assert.deepEqual(await group.stopAll(), []));

/** An upstream that answers initialize after 200 ms (so a burst overlaps), failing the first `failures` with 500. */
async function upstream(failures: number): Promise<{ url: string; initializes: () => number }> {
  let n = 0;
  const server = await listenHttp((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'DELETE') return void res.writeHead(200).end();
      const i = ++n;
      setTimeout(() => {
        if (i <= failures)
          return void res
            .writeHead(500, { 'content-type': 'application/json' })
            .end('{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"boom"}}');
        res
          .writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': `session-${i}` })
          .end('{"jsonrpc":"2.0","id":1,"result":{}}');
      }, 200);
    });
  });
  group.defer(() => server.close());
  return { url: server.url, initializes: () => n };
}

const initialize = (url: string) =>
  fetch(url, { method: 'POST', headers: HEADERS, body: INIT }).then(async (r) => (await r.arrayBuffer(), r.status));

test('twenty simultaneous initializes against --max-sessions 5: five sessions, fifteen 503s that never went upstream', async () => {
  const up = await upstream(0);
  const proxy = await group.start(['proxy', '--upstream', up.url, '--max-sessions', '5']);
  const statuses = await Promise.all(Array.from({ length: 20 }, () => initialize(proxy.url)));
  assert.equal(statuses.filter((s) => s === 200).length, 5);
  assert.equal(statuses.filter((s) => s === 503).length, 15);
  assert.equal(up.initializes(), 5, 'only the five that fit reached the upstream');
  assert.equal(await metric(proxy.url, 'mcp_proxy_active_sessions'), 5);
});

test('a failed initialize gives its slot back', async () => {
  const up = await upstream(2);
  const proxy = await group.start(['proxy', '--upstream', up.url, '--max-sessions', '1']);
  assert.equal(await initialize(proxy.url), 500);
  assert.equal(await initialize(proxy.url), 500);
  assert.equal(await initialize(proxy.url), 200, 'the two failures held no slot');
  assert.equal(await initialize(proxy.url), 503, 'and the limit still holds');
  assert.equal(await metric(proxy.url, 'mcp_proxy_active_sessions'), 1);
});
