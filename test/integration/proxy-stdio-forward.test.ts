/** stdio forward proxy: the SDK's StdioClientTransport → `mcp-perf proxy --stdio -- <SDK stdio server>`. */
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CreateMessageRequestSchema, LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { BIN, newTag, waitForNoProcesses } from '../helpers/cli.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/sdk-stdio-server.js', import.meta.url));

test('the SDK stdio client works through the forward proxy: tools, notifications, sampling; nothing outlives close', async () => {
  const tag = newTag();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'proxy', '--stdio', '--', process.execPath, FIXTURE],
    env: { ...(process.env as Record<string, string>), MCP_PERF_TEST_TAG: tag },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'stdio-forward-test', version: '1.0.0' }, { capabilities: { sampling: {} } });
  const log: unknown[] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void log.push(n.params.data));
  client.setRequestHandler(CreateMessageRequestSchema, async () => ({
    role: 'assistant',
    model: 't',
    content: { type: 'text', text: 'pong' },
  }));
  await client.connect(transport);
  assert.equal(client.getServerVersion()?.name, 'sdk-stdio-upstream');
  const add = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
  assert.deepEqual(add.content, [{ type: 'text', text: '5' }]);
  assert.deepEqual(log, ['adding 2 and 3']);
  const ask = await client.callTool({ name: 'ask', arguments: { question: 'ping' } });
  assert.deepEqual(ask.content, [{ type: 'text', text: 'client said: pong' }]);
  // Pipelined: many calls in flight at once, every answer matched to its request.
  const results = await Promise.all(
    Array.from({ length: 200 }, (_, i) => client.callTool({ name: 'add', arguments: { a: i, b: 1 } })),
  );
  results.forEach((r, i) => assert.deepEqual(r.content, [{ type: 'text', text: String(i + 1) }]));
  await client.close();
  assert.deepEqual(await waitForNoProcesses(tag), [], 'proxy and upstream ended when the client closed stdin');
});

/** Drives the proxy with raw lines and reads raw lines back. */
async function rawSession(extra: string[], lines: string[], until: (out: string[]) => boolean) {
  const tag = newTag();
  const proc = execa(process.execPath, [BIN, 'proxy', '--stdio', ...extra, '--', process.execPath, FIXTURE], {
    stdin: 'pipe',
    buffer: false,
    reject: false,
    env: { MCP_PERF_TEST_TAG: tag },
  });
  const out: string[] = [];
  let partial = '';
  const done = new Promise<void>((resolve) => {
    proc.stdout?.on('data', (d: Buffer) => {
      const parts = (partial + String(d)).split('\n');
      partial = parts.pop()!;
      out.push(...parts.filter((p) => p !== ''));
      if (until(out)) resolve();
    });
    void proc.then(() => resolve());
  });
  for (const line of lines) proc.stdin?.write(line + '\n');
  await done;
  return { proc, out, tag };
}

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

test('bad lines from the client get JSON-RPC errors and are not passed on; good ones still are', async () => {
  const { proc, out, tag } = await rawSession(
    ['--max-line-bytes', '200'],
    [
      '{not json',
      '[1,2]',
      JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'x', params: { pad: 'y'.repeat(300) } }),
      INIT,
    ],
    (o) => o.some((l) => l.includes('"id":1,') || l.includes('"id":1}')),
  );
  const parsed = out.map(
    (l) => JSON.parse(l) as { id: unknown; error?: { code: number; message: string }; result?: unknown },
  );
  assert.equal(parsed[0]!.error?.code, -32700);
  assert.equal(parsed[1]!.error?.code, -32600);
  assert.equal(parsed[2]!.error?.code, -32600);
  assert.match(parsed[2]!.error!.message, /exceeds --max-line-bytes 200/);
  assert.ok(
    parsed.some((p) => p.id === 1 && p.result !== undefined),
    'initialize after the bad lines was answered',
  );
  proc.stdin?.end();
  assert.equal((await proc).exitCode, 0);
  assert.deepEqual(await waitForNoProcesses(tag), []);
});

test('an upstream that dies fails the pending requests with errors and the proxy exits 1', async () => {
  const crash = JSON.stringify({
    jsonrpc: '2.0',
    id: 2,
    method: 'tools/call',
    params: { name: 'crash', arguments: {} },
  });
  const { proc, out, tag } = await rawSession(
    [],
    [INIT, '{"jsonrpc":"2.0","method":"notifications/initialized"}', crash],
    (o) => o.some((l) => l.includes('upstream process exited')),
  );
  const error = out.map((l) => JSON.parse(l) as { id: unknown; error?: { message: string } }).find((m) => m.id === 2);
  assert.match(error?.error?.message ?? '', /upstream process exited \(code 3/);
  assert.equal((await proc).exitCode, 1);
  assert.deepEqual(await waitForNoProcesses(tag), []);
});
