/** stdio → Streamable HTTP: the SDK's StdioClientTransport → `mcp-perf proxy --stdio --upstream URL`. */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CreateMessageRequestSchema, LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { BIN, newTag, startService, waitForNoProcesses } from '../helpers/cli.js';
import { startSdkUpstream } from '../helpers/sdk-upstream.js';

const tag = newTag();
let mock: Awaited<ReturnType<typeof startService>>;
let sdk: Awaited<ReturnType<typeof startSdkUpstream>>;

before(async () => {
  mock = await startService(['mock', 'http'], tag);
  sdk = await startSdkUpstream();
});
after(async () => {
  await mock.stop();
  await sdk.close();
  assert.deepEqual(await waitForNoProcesses(tag), []);
});

function through(url: string): { client: Client; transport: StdioClientTransport; log: unknown[] } {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'proxy', '--stdio', '--upstream', url],
    env: { ...(process.env as Record<string, string>), MCP_PERF_TEST_TAG: tag },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'stdio-to-http', version: '1.0.0' }, { capabilities: { sampling: {} } });
  const log: unknown[] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void log.push(n.params.data));
  client.setRequestHandler(CreateMessageRequestSchema, async () => ({
    role: 'assistant',
    model: 't',
    content: { type: 'text', text: 'over stdio' },
  }));
  return { client, transport, log };
}

test('to our HTTP mock: initialize, tools/list, tools/call; the proxy exits when the client closes', async () => {
  const { client, transport } = through(mock.url);
  await client.connect(transport);
  assert.equal(client.getServerVersion()?.name, 'mcp-perf-mock');
  assert.deepEqual(
    (await client.listTools()).tools.map((t) => t.name),
    ['echo', 'sample', 'elicit'],
  );
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      client.callTool({ name: 'echo', arguments: { text: String(i), payloadBytes: 0 } }),
    ),
  );
  results.forEach((r, i) => assert.deepEqual(r.content, [{ type: 'text', text: String(i) }]));
  await client.close();
});

test('to an SDK McpServer over HTTP: SSE answers, a mid-call notification, and sampling across the transport change', async () => {
  const { client, transport, log } = through(sdk.url);
  await client.connect(transport);
  assert.deepEqual((await client.callTool({ name: 'add', arguments: { a: 4, b: 5 } })).content, [
    { type: 'text', text: '9' },
  ]);
  assert.deepEqual(log, ['adding 4 and 5']);
  assert.deepEqual((await client.callTool({ name: 'ask', arguments: { question: 'q' } })).content, [
    { type: 'text', text: 'client said: over stdio' },
  ]);
  await client.close();
});

test('an upstream that refuses connections: requests get JSON-RPC errors, not silence', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const { client, transport } = through(`http://127.0.0.1:${port}/mcp`);
  await assert.rejects(client.connect(transport), /upstream unavailable: ECONNREFUSED/);
  await client.close();
});
