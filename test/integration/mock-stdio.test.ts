/** The stdio mock, as an MCP client spawns it: the official SDK's StdioClientTransport. */
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { BIN, newTag, waitForNoProcesses } from '../helpers/cli.js';

test('the SDK stdio client initializes, lists tools and calls echo; the mock ends when stdin closes', async () => {
  const tag = newTag();
  const client = new Client({ name: 'stdio-mock-test', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'mock', 'stdio', '--payload-bytes', '4'],
      env: { ...(process.env as Record<string, string>), MCP_PERF_TEST_TAG: tag },
    }),
  );
  assert.equal(client.getServerVersion()?.name, 'mcp-perf-mock');
  assert.deepEqual(
    (await client.listTools()).tools.map((t) => t.name),
    ['echo', 'sample', 'elicit'],
  );
  assert.deepEqual((await client.callTool({ name: 'echo', arguments: { text: '>' } })).content, [
    { type: 'text', text: '>xxxx' },
  ]);
  await client.close();
  assert.deepEqual(await waitForNoProcesses(tag), []);
});

test('pipelined requests are answered as each completes, not in arrival order; bad lines get errors', async () => {
  const proc = execa(process.execPath, [BIN, 'mock', 'stdio'], { stdin: 'pipe', buffer: false, reject: false });
  const lines: Array<{ id: unknown; error?: { code: number } }> = [];
  let partial = '';
  const got = new Promise<void>((resolve) => {
    proc.stdout?.on('data', (d: Buffer) => {
      const parts = (partial + String(d)).split('\n');
      partial = parts.pop()!;
      for (const p of parts) if (p) lines.push(JSON.parse(p));
      if (lines.length >= 4) resolve();
    });
  });
  const call = (id: number, latencyMs: number) =>
    JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { latencyMs } } });
  proc.stdin?.write(`${call(1, 300)}\n${call(2, 0)}\nnot json\n{"jsonrpc":"1.0","id":4}\n`);
  await got;
  assert.equal(lines.length, 4);
  assert.equal(lines.find((l) => l.id === null)?.error?.code, -32700);
  assert.equal(lines.find((l) => l.id === 4)?.error?.code, -32600);
  assert.ok(
    lines.findIndex((l) => l.id === 2) < lines.findIndex((l) => l.id === 1),
    'the fast call overtook the slow one',
  );
  proc.stdin?.end();
  assert.equal((await proc).exitCode, 0);
});
