/**
 * A minimal MCP-over-HTTP endpoint whose answers a test controls: notifications get 202, and each request is
 * handed to `answer` with a reply function. For driving the load drivers against misbehaviour a real server
 * would not show on demand (wrong ids, stalls, sudden death).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTargetPool, type SessionTarget } from '../../harness/load/mcp-session.js';

export interface TinyRequest {
  readonly id: number;
  readonly method: string;
  /** tools/call: the echo's text argument, where the load puts its per-call token. */
  readonly text: string;
}

export type Reply = (body: { id: unknown; result?: unknown; error?: unknown }) => void;

export async function startTinyServer(
  answer: (request: TinyRequest, reply: Reply) => void,
): Promise<{ target: SessionTarget; server: http.Server; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const msg = JSON.parse(Buffer.concat(chunks).toString()) as {
        id?: number;
        method: string;
        params?: { arguments?: { text?: unknown } };
      };
      if (msg.id === undefined) return void res.writeHead(202).end();
      const text = msg.params?.arguments?.text;
      answer({ id: msg.id, method: msg.method, text: typeof text === 'string' ? text : '' }, (body) => {
        res
          .writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 's1' })
          .end(JSON.stringify({ jsonrpc: '2.0', ...body }));
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
  const target = { url, pool: createTargetPool(url, 64), requestTimeoutMs: 5_000 };
  return {
    target,
    server,
    async close() {
      await target.pool.destroy();
      server.closeAllConnections();
      if (server.listening) await new Promise((r) => server.close(r));
    },
  };
}

/** What `initialize` needs to return for McpHttpSession.open to accept it. */
export const INITIALIZE_RESULT = {
  protocolVersion: '2025-11-25',
  capabilities: {},
  serverInfo: { name: 'tiny', version: '1' },
};

/** The answer a well-behaved server gives: initialize's result, or the echo tool's (its text, so the token checks). */
export function resultFor(request: TinyRequest): object {
  return request.method === 'initialize' ? INITIALIZE_RESULT : { content: [{ type: 'text', text: request.text }] };
}
