/**
 * The Streamable HTTP adapter (spec revisions 2025-06-18 and 2025-11-25) around McpBehaviour.
 * One endpoint, /mcp: POST carries JSON-RPC, GET opens a standalone SSE stream, DELETE ends a session.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import {
  isCancelled,
  McpBehaviour,
  newCall,
  type CallState,
  type LiveKnobs,
  SUPPORTED_PROTOCOL_VERSIONS,
  type BehaviourOptions,
  type Peer,
} from './behaviour.js';
import { SequencedNotifier, type NotifyPattern } from './notify.js';
import { STATELESS } from '../core/protocol/revisions.js';
import {
  ALL_REVISIONS,
  META_PROTOCOL_VERSION,
  META_SUBSCRIPTION_ID,
  declaredRevision,
  routingMismatch,
} from '../core/protocol/stateless.js';
import { listenOn } from '../core/runtime/service.js';
import { classify, RpcErrorCode, rpcError, type JsonRpcId, type JsonRpcResponse } from '../core/protocol/jsonrpc.js';

export interface HttpMockOptions extends BehaviourOptions {
  /** Sequenced notifications per second on every open GET stream. @default 0 */
  readonly notifyRate?: number;
  /** Every stream in one tick, or each in its own phase of the period (mock-upstreams/notify.ts). @default 'broadcast' */
  readonly notifyPattern?: NotifyPattern;
  /** @default '127.0.0.1' */
  readonly host: string;
  /** 0 picks a free port. @default 0 */
  readonly port: number;
  /** How tools/call answers travel back: a JSON body or a one-event SSE stream. @default 'json' */
  readonly response: 'json' | 'sse';
  /** Serve POST /control: JSON {latencyMs?, errorRate?, errorKind?} changes those knobs while running. @default false */
  readonly control?: boolean;
  /** A connection idle this long is closed (and its Keep-Alive header says so). @default 30000 */
  readonly keepAliveMs?: number;
}

export const MCP_PATH = '/mcp';
export const CONTROL_PATH = '/control';
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * A GET stream of a session, kept across reconnects: its event ids are `<stream>:<n>`, the last events sent are kept,
 * and a client that comes back with Last-Event-ID gets what followed replayed, then the same stream continues (its
 * notification sequence included).
 */
interface StreamRecord {
  readonly id: number;
  next: number;
  readonly history: Array<{ n: number; data: string }>;
  readonly notify: { seq: number };
  res: http.ServerResponse | undefined;
}

const REPLAY_EVENTS = 1_000;
const KEPT_STREAMS = 8;

function writeEvent(stream: StreamRecord, data: string): void {
  const n = ++stream.next;
  stream.history.push({ n, data });
  if (stream.history.length > REPLAY_EVENTS) stream.history.shift();
  stream.res?.write(`id: ${stream.id}:${n}\nevent: message\ndata: ${data}\n\n`);
}

interface Session {
  readonly protocolVersion: string;
  readonly streams: Set<http.ServerResponse>;
  /** GET streams by number, open or waiting to be resumed (the last KEPT_STREAMS). */
  readonly records: Map<number, StreamRecord>;
  /** Our requests to the client (sampling, elicitation) awaiting its answer, by id. */
  readonly asked: Map<string | number, (answer: JsonRpcResponse) => void>;
  /** Tool calls in flight, by the client's id: what its notifications/cancelled ends. */
  readonly calls: Map<string | number, CallState>;
}

export interface RunningHttpMock {
  readonly url: string;
  readonly sessions: () => number;
  close(): Promise<void>;
}

export async function startHttpMock(options: HttpMockOptions): Promise<RunningHttpMock> {
  const behaviour = new McpBehaviour(options);
  const sessions = new Map<string, Session>();
  const notifier = new SequencedNotifier(options.notifyRate ?? 0, options.notifyPattern);
  let nextEventId = 1;

  const server = http.createServer({ keepAliveTimeout: options.keepAliveMs ?? 30_000 }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === CONTROL_PATH && options.control === true && req.method === 'POST')
      return void readBody(req, res, async (body) => onControl(res, body));
    if (path !== MCP_PATH)
      return sendJson(
        res,
        404,
        rpcError(null, RpcErrorCode.INVALID_REQUEST, `no MCP endpoint at ${path}; use ${MCP_PATH}`),
      );

    const version = req.headers['mcp-protocol-version'];
    if (typeof version === 'string' && !ALL_REVISIONS.includes(version)) {
      return sendJson(
        res,
        400,
        rpcError(null, RpcErrorCode.INVALID_REQUEST, `unsupported MCP-Protocol-Version: ${version}`),
      );
    }

    switch (req.method) {
      case 'POST':
        return void readBody(req, res, (body) => onPost(req, res, body));
      case 'GET':
        return onGet(req, res);
      case 'DELETE':
        return onDelete(req, res);
      default:
        res.setHeader('Allow', 'GET, POST, DELETE');
        return sendJson(res, 405, rpcError(null, RpcErrorCode.INVALID_REQUEST, `method ${req.method} not allowed`));
    }
  });

  function onControl(res: http.ServerResponse, body: Buffer): void {
    let knobs: LiveKnobs;
    try {
      knobs = parseLiveKnobs(JSON.parse(body.toString('utf8')));
    } catch (err) {
      const text = JSON.stringify({ error: (err as Error).message });
      res.writeHead(400, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      return void res.end(text);
    }
    behaviour.reconfigure(knobs);
    res.writeHead(204).end();
  }

  /** Resolves the session a request names; answers 400/404 itself and returns undefined when there is none. */
  function sessionOf(req: http.IncomingMessage, res: http.ServerResponse, id: JsonRpcId): Session | undefined {
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId !== 'string' || sessionId === '') {
      sendJson(res, 400, rpcError(id, RpcErrorCode.INVALID_REQUEST, 'missing Mcp-Session-Id header'));
      return undefined;
    }
    const session = sessions.get(sessionId);
    if (session === undefined)
      sendJson(res, 404, rpcError(id, RpcErrorCode.INVALID_REQUEST, 'unknown or expired session'));
    return session;
  }

  async function onPost(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return sendJson(res, 400, rpcError(null, RpcErrorCode.PARSE_ERROR, 'parse error: body is not valid JSON'));
    }
    const message = classify(parsed);
    if (message.kind === 'invalid')
      return sendJson(res, 400, rpcError(message.id, RpcErrorCode.INVALID_REQUEST, message.reason));

    // The stateless revision: no session; the request says its revision in _meta, its headers what it carries.
    const stateless =
      req.headers['mcp-protocol-version'] === STATELESS ||
      (message.kind === 'request' && declaredRevision(message.message.params) === STATELESS);
    if (stateless) return onStatelessPost(req, res, message);

    if (message.kind === 'request' && message.message.method === 'initialize') {
      const response = (await behaviour.handle(message.message)) as JsonRpcResponse; // initialize never faults
      const sessionId = randomUUID();
      const protocolVersion =
        'result' in response
          ? (response.result as { protocolVersion: string }).protocolVersion
          : SUPPORTED_PROTOCOL_VERSIONS[0]!;
      sessions.set(sessionId, {
        protocolVersion,
        streams: new Set(),
        records: new Map(),
        asked: new Map(),
        calls: new Map(),
      });
      res.setHeader('Mcp-Session-Id', sessionId);
      return sendJson(res, 200, response);
    }

    const session = sessionOf(req, res, message.kind === 'request' ? message.message.id : null);
    if (session === undefined) return;
    if (message.kind !== 'request') {
      if (message.kind === 'response') {
        const waiting = session.asked.get(message.message.id ?? '');
        session.asked.delete(message.message.id ?? '');
        waiting?.(message.message);
      } else if (message.message.method === 'notifications/cancelled') {
        const requestId = (message.message.params as { requestId?: unknown } | undefined)?.requestId;
        const call =
          typeof requestId === 'string' || typeof requestId === 'number' ? session.calls.get(requestId) : undefined;
        if (call !== undefined) behaviour.cancel(call);
      }
      res.writeHead(202).end(); // notifications and client responses are accepted without a body
      return;
    }
    // In SSE mode the answer's stream opens now and carries whatever the call sends the client first; in JSON mode
    // that goes out on the session's GET stream.
    const sse = options.response === 'sse';
    if (sse) res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    const toClient = (m: object): boolean => {
      if (sse) {
        if (res.destroyed) return false;
        res.write(`id: ${nextEventId++}\nevent: message\ndata: ${JSON.stringify(m)}\n\n`);
        return true;
      }
      const record = [...session.records.values()].find((r) => r.res !== undefined && !r.res.destroyed);
      if (record === undefined) return false;
      writeEvent(record, JSON.stringify(m));
      return true;
    };
    let asks = 0;
    const peer: Peer = {
      notify: (m) => void toClient(m),
      request: (method, params) =>
        new Promise((resolve) => {
          const askId = `mock-${++asks}-${message.message.id}`;
          session.asked.set(askId, resolve);
          if (!toClient({ jsonrpc: '2.0', id: askId, method, params })) {
            session.asked.delete(askId);
            resolve(
              rpcError(
                askId,
                RpcErrorCode.SERVER_ERROR,
                'no stream open to reach the client (open a GET stream, or use --response sse)',
              ),
            );
          }
        }),
    };
    // Before 2026-07-28 a closed connection is not a cancel (the spec: the client sends notifications/cancelled).
    const { id } = message.message;
    const call = message.message.method === 'tools/call' ? newCall() : undefined;
    if (call !== undefined) session.calls.set(id, call);
    const response = await behaviour.handle(message.message, peer, call);
    if (call !== undefined) session.calls.delete(id);
    if (isCancelled(response)) return void res.end(); // a cancelled request is not answered: 200, no events
    if (res.destroyed) return; // the client went away while we waited
    if ('fault' in response) {
      if (response.fault === 'drop' || sse) return void res.socket?.destroy(); // an open SSE stream cannot turn into a 500
      return sendJson(
        res,
        500,
        rpcError(message.message.id, RpcErrorCode.INTERNAL_ERROR, 'injected HTTP 500 (--error-kind http500)'),
      );
    }
    if (sse) {
      res.end(`id: ${nextEventId++}\nevent: message\ndata: ${JSON.stringify(response)}\n\n`);
    } else {
      sendJson(res, 200, response);
    }
  }

  /** A POST of the stateless revision: checked, answered on its own, nothing kept. */
  async function onStatelessPost(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    message: Exclude<ReturnType<typeof classify>, { kind: 'invalid' }>,
  ): Promise<void> {
    if (message.kind !== 'request') return void res.writeHead(202).end();
    const { id, method, params } = message.message;
    const refuse = (reason: string): void => sendJson(res, 400, rpcError(id, RpcErrorCode.INVALID_REQUEST, reason));
    if (req.headers['mcp-protocol-version'] !== STATELESS)
      return refuse(`a ${STATELESS} request needs MCP-Protocol-Version: ${STATELESS}`);
    if (declaredRevision(params) !== STATELESS)
      return refuse(`a ${STATELESS} request carries its revision in params._meta["${META_PROTOCOL_VERSION}"]`);
    if (method === 'initialize') return refuse(`there is no initialize in ${STATELESS}: use server/discover`);
    const mismatch = routingMismatch(req.headers, method, params, true);
    if (mismatch !== undefined) return refuse(mismatch);
    if (method === 'subscriptions/listen') return listen(res, id, params, refuse);
    // 2026-07-28: closing a request's response stream cancels the request.
    const call = method === 'tools/call' ? newCall() : undefined;
    if (call !== undefined) res.once('close', () => behaviour.cancel(call));
    const response = await behaviour.handle(message.message, undefined, call);
    if (isCancelled(response) || res.destroyed) return;
    if ('fault' in response) {
      if (response.fault === 'drop') return void res.socket?.destroy();
      return sendJson(res, 500, rpcError(id, RpcErrorCode.INTERNAL_ERROR, 'injected HTTP 500 (--error-kind http500)'));
    }
    if (options.response === 'sse') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
      return void res.end(`event: message\ndata: ${JSON.stringify(response)}\n\n`);
    }
    sendJson(res, 200, response);
  }

  /**
   * `subscriptions/listen`, the stateless revision's replacement of the GET stream: a long-lived POST answered with
   * an SSE stream that opens with `notifications/subscriptions/acknowledged` (what of the asked-for filter the mock
   * honours: `toolsListChanged`), then, with --notify-rate, sequenced `notifications/tools/list_changed` — each
   * tagged with the subscription's id, and with the sequence number and send time in `_meta` (`mcp-perf/seq`,
   * `mcp-perf/sentAtUs`), so a receiver counts loss and times delivery as on a GET stream. Closing it is the end.
   */
  function listen(res: http.ServerResponse, id: JsonRpcId, params: unknown, refuse: (reason: string) => void): void {
    const wanted = (params as { notifications?: { toolsListChanged?: unknown } } | undefined)?.notifications;
    if (wanted === null || typeof wanted !== 'object')
      return refuse('subscriptions/listen needs params.notifications, the filter of what to send');
    const subscription = { [META_SUBSCRIPTION_ID]: id };
    const honoured = { toolsListChanged: wanted.toolsListChanged === true };
    const send = (m: object): void => void res.write(`event: message\ndata: ${JSON.stringify(m)}\n\n`);
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    send({
      jsonrpc: '2.0',
      method: 'notifications/subscriptions/acknowledged',
      params: { _meta: subscription, notifications: honoured },
    });
    if (!honoured.toolsListChanged) return;
    const stop = notifier.add((json) => {
      const data = (JSON.parse(json) as { params: { data: { seq: number; sentAtUs: number } } }).params.data;
      send({
        jsonrpc: '2.0',
        method: 'notifications/tools/list_changed',
        params: { _meta: { ...subscription, 'mcp-perf/seq': data.seq, 'mcp-perf/sentAtUs': data.sentAtUs } },
      });
    });
    res.on('close', stop);
  }

  function onGet(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (!String(req.headers.accept ?? '').includes('text/event-stream')) {
      return sendJson(res, 406, rpcError(null, RpcErrorCode.INVALID_REQUEST, 'GET needs Accept: text/event-stream'));
    }
    const session = sessionOf(req, res, null);
    if (session === undefined) return;
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    res.write(': stream open\n\n');
    session.streams.add(res);
    // Resume the stream Last-Event-ID names, replaying what followed it; otherwise start a new one.
    const [streamId, after] = String(req.headers['last-event-id'] ?? '')
      .split(':')
      .map(Number);
    let record = streamId !== undefined && after !== undefined ? session.records.get(streamId) : undefined;
    if (record !== undefined) {
      record.res?.end();
      record.res = res;
      for (const e of record.history)
        if (e.n > after!) res.write(`id: ${record.id}:${e.n}\nevent: message\ndata: ${e.data}\n\n`);
    } else {
      record = {
        id: session.records.size === 0 ? 1 : Math.max(...session.records.keys()) + 1,
        next: 0,
        history: [],
        notify: { seq: 0 },
        res,
      };
      session.records.set(record.id, record);
      if (session.records.size > KEPT_STREAMS) session.records.delete(Math.min(...session.records.keys()));
    }
    const current = record;
    const stopNotifying = notifier.add((json) => writeEvent(current, json), current.notify);
    res.on('close', () => {
      session.streams.delete(res);
      if (current.res === res) current.res = undefined;
      stopNotifying();
    });
  }

  function onDelete(req: http.IncomingMessage, res: http.ServerResponse): void {
    const session = sessionOf(req, res, null);
    if (session === undefined) return;
    sessions.delete(String(req.headers['mcp-session-id']));
    for (const stream of session.streams) stream.end();
    for (const [id, resolve] of session.asked) resolve(rpcError(id, RpcErrorCode.SERVER_ERROR, 'session ended'));
    res.writeHead(200).end();
  }

  const origin = await listenOn(server, options.host, options.port);

  return {
    url: `${origin}${MCP_PATH}`,
    sessions: () => sessions.size,
    close: () =>
      new Promise<void>((resolve) => {
        notifier.stop();
        for (const session of sessions.values()) for (const stream of session.streams) stream.end();
        sessions.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function sendJson(res: http.ServerResponse, status: number, body: JsonRpcResponse): void {
  if (res.headersSent) return void res.destroy();
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Reads a request body up to MAX_BODY_BYTES; a larger one is answered 413 and dropped. */
function readBody(req: http.IncomingMessage, res: http.ServerResponse, onBody: (body: Buffer) => Promise<void>): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      if (!tooLarge)
        sendJson(res, 413, rpcError(null, RpcErrorCode.INVALID_REQUEST, `body exceeds ${MAX_BODY_BYTES} bytes`));
      tooLarge = true;
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (!tooLarge)
      onBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).catch((err: unknown) => {
        sendJson(res, 500, rpcError(null, RpcErrorCode.INTERNAL_ERROR, `mock failure: ${String(err)}`));
      });
  });
}

/** Validates a POST /control body: only the live knobs, each in its range; anything else is an error. */
export function parseLiveKnobs(value: unknown): LiveKnobs {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new Error('the body must be a JSON object');
  const out: { -readonly [K in keyof LiveKnobs]: LiveKnobs[K] } = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'latencyMs' && typeof v === 'number' && v >= 0 && v <= 600_000) out.latencyMs = v;
    else if (key === 'errorRate' && typeof v === 'number' && v >= 0 && v <= 1) out.errorRate = v;
    else if (key === 'errorKind' && (v === 'rpc' || v === 'http500' || v === 'drop')) out.errorKind = v;
    else
      throw new Error(
        `unknown or out-of-range knob "${key}": ${JSON.stringify(v)} (latencyMs 0..600000, errorRate 0..1, errorKind rpc|http500|drop)`,
      );
  }
  return out;
}
