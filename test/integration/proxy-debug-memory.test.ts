/** `mcp-perf proxy --debug-memory`: GET /debug/memory forces a GC and answers process.memoryUsage(); off by default. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { newTag, runCli, startService, waitForNoProcesses } from '../helpers/cli.js';

const tag = newTag();
let mock: Awaited<ReturnType<typeof startService>>;
let debug: Awaited<ReturnType<typeof startService>>;
let plain: Awaited<ReturnType<typeof startService>>;

before(async () => {
  mock = await startService(['mock', 'http'], tag);
  debug = await startService(['proxy', '--upstream', mock.url, '--debug-memory'], tag);
  plain = await startService(['proxy', '--upstream', mock.url], tag);
});
after(async () => {
  await debug.stop();
  await plain.stop();
  await mock.stop();
  assert.deepEqual(await waitForNoProcesses(tag), [], 'nothing outlives the test');
});

test('with --debug-memory, GET /debug/memory answers the memory figures after a GC', async () => {
  const res = await fetch(new URL('/debug/memory', debug.url));
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  const usage = (await res.json()) as Record<string, number>;
  for (const key of ['rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers'])
    assert.ok(Number.isInteger(usage[key]) && usage[key]! >= 0, key);
  assert.ok(usage.heapUsed! <= usage.heapTotal!);
  // The proxy keeps serving MCP around it.
  const again = await fetch(new URL('/debug/memory', debug.url));
  assert.equal(again.status, 200);
  const init = await fetch(debug.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    }),
  });
  assert.equal(init.status, 200);
});

test('without it the path does not exist, and --path cannot take it', async () => {
  assert.equal((await fetch(new URL('/debug/memory', plain.url))).status, 404);
  const r = await runCli(['proxy', '--upstream', mock.url, '--path', '/debug/memory'], { tag });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--path must start with \/ and not be/);
});
