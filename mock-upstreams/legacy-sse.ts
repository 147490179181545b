/**
 * The legacy HTTP+SSE adapter (2024-11-05) around McpBehaviour: GET /sse opens a session's stream, whose first
 * event `endpoint` names /messages?sessionId=…; each message POSTed there is answered 202, and every reply,
 * notification and request of ours goes out as a `message` event on the stream.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { isCancelled, McpBehaviour, type Peer } from './behaviour.js';
import type { HttpMockOptions } from './http.js';
import { parseMessage, RpcErrorCode, rpcError, type JsonRpcResponse } from '../core/protocol/jsonrpc.js';
import { SequencedNotifier } from './notify.js';
import { listenOn } from '../core/runtime/service.js';

interface LegacySession {
  readonly stream: http.ServerResponse;
  readonly asked: Map<string | number, (answer: JsonRpcResponse) => void>;
  stopNotifying?: () => void;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

export async function startLegacySseMock(
  options: Omit<HttpMockOptions, 'response'>,
): Promise<{ url: string; close(): Promise<void> }> {
  const behaviour = new McpBehaviour(options);
  const notifier = new SequencedNotifier(options.notifyRate ?? 0, options.notifyPattern);
  const sessions = new Map<string, LegacySession>();
  let nextEventId = 1;
  let nextAsk = 1;

  const emit = (session: LegacySession, message: object | string): void => {
    session.stream.write(
      `id: ${nextEventId++}\nevent: message\ndata: ${typeof message === 'string' ? message : JSON.stringify(message)}\n\n`,
    );
  };
  const answer = (res: http.ServerResponse, status: number, body: string): void => {
    res.writeHead(status, { 'Content-Type': status === 202 ? 'text/plain' : 'application/json' }).end(body);
  };

  const server = http.createServer({ keepAliveTimeout: options.keepAliveMs ?? 30_000 }, (req, res) => {
    const url = new URL(req.url ?? '/', 'http://mock');
    if (req.method === 'GET' && url.pathname === '/sse') {
      const id = randomUUID();
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
      res.write(`event: endpoint\ndata: /messages?sessionId=${id}\n\n`);
      const session: LegacySession = { stream: res, asked: new Map() };
      sessions.set(id, session);
      res.on('close', () => {
        sessions.delete(id);
        session.stopNotifying?.();
        for (const [askId, resolve] of session.asked)
          resolve(rpcError(askId, RpcErrorCode.SERVER_ERROR, 'stream closed'));
      });
      return;
    }
    if (req.method !== 'POST' || url.pathname !== '/messages') {
      return answer(
        res,
        req.method === 'POST' || url.pathname === '/messages' ? 405 : 404,
        JSON.stringify(rpcError(null, RpcErrorCode.INVALID_REQUEST, 'use GET /sse and POST /messages?sessionId=')),
      );
    }
    const session = sessions.get(url.searchParams.get('sessionId') ?? '');
    if (session === undefined)
      return answer(
        res,
        url.searchParams.has('sessionId') ? 404 : 400,
        JSON.stringify(rpcError(null, RpcErrorCode.INVALID_REQUEST, 'unknown or missing sessionId')),
      );
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES)
        return answer(
          res,
          413,
          JSON.stringify(rpcError(null, RpcErrorCode.INVALID_REQUEST, `body exceeds ${MAX_BODY_BYTES} bytes`)),
        );
      const parsed = parseMessage(Buffer.concat(chunks).toString('utf8'));
      if ('error' in parsed) return answer(res, 400, JSON.stringify(parsed.error));
      answer(res, 202, 'Accepted');
      const message = parsed.message;
      if (message.kind === 'response') {
        const waiting = session.asked.get(message.message.id ?? '');
        session.asked.delete(message.message.id ?? '');
        return waiting?.(message.message);
      }
      if (message.kind === 'notification') {
        if (message.message.method === 'notifications/initialized' && session.stopNotifying === undefined) {
          session.stopNotifying = notifier.add((json) => emit(session, json));
        }
        return;
      }
      const peer: Peer = {
        notify: (m) => emit(session, m),
        request: (method, params) =>
          new Promise((resolve) => {
            const askId = `mock-${nextAsk++}`;
            session.asked.set(askId, resolve);
            emit(session, { jsonrpc: '2.0', id: askId, method, params });
          }),
      };
      void behaviour.handle(message.message, peer).then((response) => {
        if (!sessions.has(url.searchParams.get('sessionId')!) || isCancelled(response)) return;
        if (!('fault' in response)) return emit(session, response);
        if (response.fault === 'drop') return void session.stream.destroy();
        emit(
          session,
          rpcError(message.message.id, RpcErrorCode.INTERNAL_ERROR, 'injected error (--error-kind http500)'),
        );
      });
    });
  });

  const origin = await listenOn(server, options.host, options.port);
  return {
    url: `${origin}/sse`,
    close: () =>
      new Promise<void>((resolve) => {
        notifier.stop();
        for (const s of sessions.values()) s.stream.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
