/**
 * The mocks reach the client during a call, on every kind: progress notifications, and requests (sampling,
 * elicitation) whose answers come back. The official SDK client is the peer.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CreateMessageRequestSchema, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { BIN, newTag, startService, waitForNoProcesses } from '../helpers/cli.js';

const tag = newTag();
const stops: Array<() => Promise<void>> = [];
after(async () => {
  for (const stop of stops) await stop();
  assert.deepEqual(await waitForNoProcesses(tag), []);
});

const KNOBS = ['--latency-ms', '40', '--progress', '3'];

const kinds: Array<[string, () => Promise<Transport>]> = [
  [
    'http, JSON answers (client requests go on the GET stream)',
    async () => {
      const mock = await startService(['mock', 'http', ...KNOBS], tag);
      stops.push(() => mock.stop());
      return new StreamableHTTPClientTransport(new URL(mock.url));
    },
  ],
  [
    'http, SSE answers (on the POST stream)',
    async () => {
      const mock = await startService(['mock', 'http', '--response', 'sse', ...KNOBS], tag);
      stops.push(() => mock.stop());
      return new StreamableHTTPClientTransport(new URL(mock.url));
    },
  ],
  [
    'legacy sse',
    async () => {
      const mock = await startService(['mock', 'sse', ...KNOBS], tag);
      stops.push(() => mock.stop());
      return new SSEClientTransport(new URL(mock.url));
    },
  ],
  [
    'stdio',
    async () =>
      new StdioClientTransport({
        command: process.execPath,
        args: [BIN, 'mock', 'stdio', ...KNOBS],
        env: { ...(process.env as Record<string, string>), MCP_PERF_TEST_TAG: tag },
      }),
  ],
];

for (const [name, connect] of kinds) {
  test(`${name}: progress during echo, then sampling and elicitation round trips`, async () => {
    const client = new Client({ name: 'peer', version: '1.0.0' }, { capabilities: { sampling: {}, elicitation: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async (req) => ({
      role: 'assistant',
      model: 'test',
      content: { type: 'text', text: `sampled: ${(req.params.messages[0]!.content as { text: string }).text}` },
    }));
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name: 'Ada' } }));
    await client.connect(await connect());
    const progress: number[] = [];
    await client.callTool({ name: 'echo', arguments: {} }, undefined, {
      onprogress: (p) => void progress.push(p.progress),
    });
    assert.deepEqual(progress, [1, 2, 3]);
    assert.deepEqual((await client.callTool({ name: 'sample', arguments: { prompt: 'hi' } })).content, [
      { type: 'text', text: 'sampled: hi' },
    ]);
    const elicited = (await client.callTool({ name: 'elicit', arguments: {} })).content as Array<{ text: string }>;
    assert.deepEqual(JSON.parse(elicited[0]!.text), { action: 'accept', content: { name: 'Ada' } });
    await client.close();
  });
}

test('legacy sse mock: bad input gets errors and the mock keeps serving', async () => {
  const mock = await startService(['mock', 'sse'], tag);
  stops.push(() => mock.stop());
  const messages = new URL('/messages', mock.url);
  const post = (query: string, body: string) =>
    fetch(new URL(`/messages${query}`, mock.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
  assert.equal((await post('', '{"jsonrpc":"2.0","id":1,"method":"ping"}')).status, 400);
  assert.equal((await post('?sessionId=nope', '{"jsonrpc":"2.0","id":1,"method":"ping"}')).status, 404);
  assert.equal((await fetch(messages)).status, 405);
  const client = new Client({ name: 'after-bad-input', version: '1.0.0' });
  await client.connect(new SSEClientTransport(new URL(mock.url)));
  assert.deepEqual((await client.callTool({ name: 'echo', arguments: { text: 'ok', payloadBytes: 0 } })).content, [
    { type: 'text', text: 'ok' },
  ]);
  await client.close();
});
