/** Upstreams built with the official SDK's McpServer: Streamable HTTP (one transport per session) and legacy SSE. */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CreateMessageResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

/** Tools: add (with a mid-call log notification) and ask (a sampling request to the client). */
function sdkServer(name: string): McpServer {
  const mcp = new McpServer({ name, version: '1.0.0' }, { capabilities: { logging: {} } });
  mcp.registerTool(
    'add',
    { description: 'adds', inputSchema: { a: z.number(), b: z.number() } },
    async ({ a, b }, extra) => {
      // A server → client notification in the middle of a call.
      await extra.sendNotification({
        method: 'notifications/message',
        params: { level: 'info', data: `adding ${a} and ${b}` },
      });
      return { content: [{ type: 'text', text: String(a + b) }] };
    },
  );
  mcp.registerTool(
    'ask',
    { description: 'asks the client to sample', inputSchema: { question: z.string() } },
    async ({ question }, extra) => {
      const answer = await extra.sendRequest(
        {
          method: 'sampling/createMessage',
          params: { messages: [{ role: 'user', content: { type: 'text', text: question } }], maxTokens: 10 },
        },
        CreateMessageResultSchema,
      );
      return { content: [{ type: 'text', text: `client said: ${(answer.content as { text: string }).text}` }] };
    },
  );
  return mcp;
}

async function listen(
  server: http.Server,
  path: string,
  close: () => Promise<void>,
): Promise<{ url: string; close(): Promise<void> }> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    async close() {
      await close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

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
        await sdkServer('sdk-upstream').connect(transport);
      }
      await transport.handleRequest(req, res);
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
    });
  });
  return listen(server, '/mcp', async () => {
    for (const t of transports.values()) await t.close();
  });
}

/** A legacy HTTP+SSE (2024-11-05) server: GET /sse, POST /messages?sessionId=…. */
export async function startSdkLegacyUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const transports = new Map<string, SSEServerTransport>();
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.method === 'GET' && url.pathname === '/sse') {
        const transport = new SSEServerTransport('/messages', res);
        transports.set(transport.sessionId, transport);
        res.on('close', () => transports.delete(transport.sessionId));
        await sdkServer('sdk-legacy-upstream').connect(transport);
        return;
      }
      const transport = transports.get(url.searchParams.get('sessionId') ?? '');
      if (req.method === 'POST' && url.pathname === '/messages' && transport !== undefined)
        return void (await transport.handlePostMessage(req, res));
      res.writeHead(404).end();
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
    });
  });
  return listen(server, '/sse', async () => {
    for (const t of transports.values()) await t.close();
  });
}
