/** An upstream built with the official SDK's McpServer over Streamable HTTP, one transport per session. */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CreateMessageResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

export async function startSdkUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const server = http.createServer((req, res) => {
    void (async () => {
      const sid = req.headers['mcp-session-id'];
      let transport = typeof sid === 'string' ? transports.get(sid) : undefined;
      if (transport === undefined) {
        const created = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => void transports.set(id, created),
        });
        transport = created;
        const mcp = new McpServer({ name: 'sdk-upstream', version: '1.0.0' }, { capabilities: { logging: {} } });
        mcp.registerTool('add', { description: 'adds', inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }, extra) => {
          // A server → client notification in the middle of a call: it travels in the POST's SSE stream.
          await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data: `adding ${a} and ${b}` } });
          return { content: [{ type: 'text', text: String(a + b) }] };
        });
        mcp.registerTool('ask', { description: 'asks the client to sample', inputSchema: { question: z.string() } }, async ({ question }, extra) => {
          const answer = await extra.sendRequest(
            { method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: question } }], maxTokens: 10 } },
            CreateMessageResultSchema,
          );
          return { content: [{ type: 'text', text: `client said: ${(answer.content as { text: string }).text}` }] };
        });
        await mcp.connect(transport);
      }
      await transport.handleRequest(req, res);
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    async close() {
      for (const t of transports.values()) await t.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
