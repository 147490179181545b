/**
 * scripts/framing-forwarder.ts, the probe scripts/ab-reverse.ts seats beside the proxy to price its layers: with each
 * set of layers it carries a whole MCP session (initialize, the notification's chunked 202, calls, DELETE) between
 * the harness's client and the HTTP mock, answers unchanged; an answer it cannot frame (one that runs until the
 * connection closes) cuts that connection and is said once on stderr. Its bad flags: cli-usage-errors.test.ts.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createTargetPool, McpHttpSession } from '../../harness/load/mcp-session.js';
import { newTag, PACKAGE_ROOT, startService, waitForNoProcesses } from '../helpers/cli.js';

const PROBE = join(PACKAGE_ROOT, 'dist/scripts/framing-forwarder.js');
const tag = newTag();
let mock: Awaited<ReturnType<typeof startService>>;

before(async () => {
  mock = await startService(['mock', 'http'], tag);
});
after(async () => {
  await mock.stop();
  assert.deepEqual(await waitForNoProcesses(tag), [], 'nothing outlives the test');
});

const echo = (id: number): string =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { n: id } } });

for (const layers of ['', 'parse', 'parse,scan', 'http1,scan', 'bytes']) {
  test(`layers "${layers}": a whole session goes through, every call answered`, async () => {
    const probe = await startService(
      ['--upstream', mock.url, ...(layers === '' ? [] : ['--layers', layers])],
      tag,
      PROBE,
    );
    const url = new URL(probe.url);
    const target = { url, pool: createTargetPool(url, 4), requestTimeoutMs: 5_000 };
    try {
      const session = await McpHttpSession.open(target);
      assert.ok(session.sessionId !== undefined, "the mock's session id came back through the probe");
      const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => session.call(i + 1, echo(i + 1))));
      assert.deepEqual(
        outcomes.filter((o) => !o.ok),
        [],
      );
      await session.close();
    } finally {
      await target.pool.destroy();
      await probe.stop();
    }
  });
}

test('an answer that runs until the connection closes is beyond it: the connection is cut, and it says why', async () => {
  // An upstream that answers close-delimited (no Content-Length, not chunked), as some SSE servers do.
  const upstream = net.createServer((socket) =>
    socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\ndata: {}\n\n')),
  );
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const port = (upstream.address() as net.AddressInfo).port;
  const probe = await startService(['--upstream', `http://127.0.0.1:${port}/mcp`], tag, PROBE);
  let stderr = '';
  probe.proc.stderr?.on('data', (d: Buffer) => (stderr += String(d)));
  try {
    const failure = await fetch(probe.url, { method: 'POST', body: '{}' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.ok(failure instanceof TypeError, 'the client saw its connection cut, not an answer');
    for (let i = 0; i < 50 && !stderr.includes('connection cut'); i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(stderr, /^framing-forwarder: a body that runs until the connection closes; connection cut$/m);
  } finally {
    await probe.stop();
    await new Promise<void>((r) => upstream.close(() => r()));
  }
});
