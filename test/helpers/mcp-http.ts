/** Small MCP-over-HTTP steps for proxy tests, with fetch and with raw sockets. */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';

export const HEADERS = Object.freeze({
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
});

export const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
});

/** initialize, then the session id the proxy handed back (throws when it did not). */
export async function openSession(url: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(url, { method: 'POST', headers: { ...HEADERS, ...headers }, body: INIT });
  await res.arrayBuffer();
  const session = res.headers.get('mcp-session-id');
  if (res.status !== 200 || session === null) throw new Error(`initialize answered ${res.status} without a session`);
  return session;
}

/** tools/call `name` in a session; resolves with the status and the parsed body (or its text). */
export async function callTool(
  url: string,
  session: string | undefined,
  name: string,
  args: Record<string, unknown> = {},
  headers: Record<string, string> = {},
  id: string | number = Math.floor(Math.random() * 1e9),
): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      ...HEADERS,
      ...(session === undefined ? {} : { 'mcp-session-id': session }),
      'mcp-protocol-version': '2025-11-25',
      ...headers,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } }),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the text is the body
  }
  return { status: res.status, body };
}

/** The text of an echo answer. */
export const answerText = (body: any): string => body?.result?.content?.[0]?.text;

export function portOf(url: string): number {
  return Number(new URL(url).port);
}

/**
 * Sends raw bytes on one connection (in pieces, `gapMs` apart) and collects what comes back until the connection
 * closes, `until` matches, or `timeoutMs` passes.
 */
export function rawExchange(
  port: number,
  pieces: readonly (string | Buffer)[],
  options: { until?: (text: string) => boolean; gapMs?: number; timeoutMs?: number } = {},
): Promise<{ text: string; closed: boolean; timedOut: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let settled = false;
    const done = (closed: boolean, timedOut = false): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed, timedOut });
    };
    const timer = setTimeout(() => done(false, true), options.timeoutMs ?? 10_000);
    socket.on('data', (d) => {
      text += d.toString('latin1');
      if (options.until?.(text)) done(false);
    });
    socket.on('close', () => done(true));
    socket.on('error', () => done(true));
    void (async () => {
      for (const piece of pieces) {
        if (socket.destroyed) return;
        socket.write(piece);
        if ((options.gapMs ?? 0) > 0) await new Promise((r) => setTimeout(r, options.gapMs));
      }
    })();
  });
}

/** A process's resident set in bytes, from /proc. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** Whether a process is running (a zombie is not). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** A node:http server on a free loopback port; resolves with its /mcp URL and how to close it. */
export async function listenHttp(handler: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
