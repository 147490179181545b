/**
 * stdio → Streamable HTTP: `mcp-perf proxy --stdio --upstream URL` (what mcp-remote does). A client that can only
 * spawn stdio servers talks newline-delimited JSON-RPC to us; we speak Streamable HTTP to the upstream.
 *
 * Each client message becomes a POST. The Mcp-Session-Id the upstream issues at initialize, and the negotiated
 * protocol revision, go on every later request; messages the client sends while initialize is in flight wait for
 * it. Answers come back as JSON or as an SSE stream (whose events — the answer, and any requests or notifications
 * the server sends first — are written to stdout as they arrive). After initialization a GET stream carries what the
 * server starts on its own; it is reopened (with Last-Event-ID) if it drops. A failed POST is answered with a
 * JSON-RPC error for its request. When the client closes stdin the session is DELETEd upstream and we exit.
 */
import { createParser } from 'eventsource-parser';
import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import { classify, RpcErrorCode, rpcError, type Classified, type JsonRpcId } from '../../mock-upstreams/jsonrpc.js';
import type { ProxyConfig } from '../config.js';
import { LineSplitter } from '../framing.js';
import type { Logger } from '../log.js';
import type { StdioIo } from './stdio.js';

const NEWLINE = Buffer.from('\n');

export function runStdioToHttp(config: ProxyConfig, log: Logger, io: StdioIo): Promise<number> {
  const upstream = config.upstreams[0]!;
  const pool = new Pool(upstream.origin, { connections: null, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: config.upstreamTimeoutMs, bodyTimeout: 0 });
  let sessionId: string | undefined;
  let protocolVersion: string | undefined;
  /** Set while initialize is in flight: later messages wait for the session id it brings. */
  let initializing: Promise<void> | undefined;
  let stream: AbortController | undefined;
  let lastEventId: string | undefined;
  let ended = false;
  const inFlight = new Set<Promise<void>>();

  const write = (line: string | Buffer): void => {
    io.stdout.write(line);
    io.stdout.write(NEWLINE);
  };

  const headers = (extra: Record<string, string> = {}): Record<string, string> => ({
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    ...(sessionId ? { 'mcp-session-id': sessionId } : {}),
    ...(protocolVersion ? { 'mcp-protocol-version': protocolVersion } : {}),
    ...extra,
  });

  /** Writes each SSE event's data (one JSON-RPC message) to stdout as it arrives. */
  async function relaySse(body: Dispatcher.ResponseData['body'], onMessage?: (data: string) => void): Promise<void> {
    const parser = createParser({
      onEvent(event) {
        if (event.id) lastEventId = event.id;
        if (event.data === '') return;
        onMessage?.(event.data);
        write(event.data);
      },
    });
    for await (const chunk of body) parser.feed(String(chunk));
  }

  async function post(line: Buffer, message: Classified): Promise<void> {
    const id: JsonRpcId = message.kind === 'request' ? message.message.id : null;
    const isInitialize = message.kind === 'request' && message.message.method === 'initialize';
    try {
      const res = await pool.request({ path: upstream.pathname + upstream.search, method: 'POST', headers: headers(), body: line });
      const type = String(res.headers['content-type'] ?? '');
      if (isInitialize && typeof res.headers['mcp-session-id'] === 'string') sessionId = res.headers['mcp-session-id'];
      if (res.statusCode === 202) return void (await res.body.dump());
      if (type.startsWith('text/event-stream')) {
        await relaySse(res.body, isInitialize ? noteVersion : undefined);
        return;
      }
      const text = await res.body.text();
      if (res.statusCode >= 200 && res.statusCode < 300) {
        if (isInitialize) noteVersion(text);
        return write(text);
      }
      // An HTTP error: pass on the upstream's JSON-RPC error if it wrote one, else make one for the request.
      const answer = safeParse(text);
      if (id !== null) write(answer && 'error' in answer ? JSON.stringify({ ...answer, id }) : JSON.stringify(rpcError(id, RpcErrorCode.SERVER_ERROR, `upstream answered HTTP ${res.statusCode}`)));
      if (res.statusCode === 404 && sessionId !== undefined) log.warn('upstream says the session is gone', { session: sessionId });
    } catch (err) {
      const timedOut = err instanceof undiciErrors.HeadersTimeoutError;
      log.warn('upstream request failed', { error: (err as NodeJS.ErrnoException).code ?? (err as Error).message });
      if (id !== null) write(JSON.stringify(rpcError(id, RpcErrorCode.SERVER_ERROR, timedOut ? `upstream did not answer within ${config.upstreamTimeoutMs} ms` : `upstream unavailable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)));
    }
  }

  function noteVersion(text: string): void {
    const v = (safeParse(text) as { result?: { protocolVersion?: unknown } } | undefined)?.result?.protocolVersion;
    if (typeof v === 'string') protocolVersion = v;
  }

  /** The standalone GET stream for what the server starts on its own. 405 means the server offers none. */
  async function openStream(attempt = 0): Promise<void> {
    if (ended || sessionId === undefined) return;
    stream = new AbortController();
    try {
      const res = await pool.request({ path: upstream.pathname + upstream.search, method: 'GET', headers: headers({ accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) }), signal: stream.signal });
      if (res.statusCode !== 200) {
        await res.body.dump();
        if (res.statusCode !== 405) log.warn('upstream refused the GET stream', { status: res.statusCode });
        return;
      }
      await relaySse(res.body);
      attempt = 0;
    } catch (err) {
      if (ended) return;
      log.debug('GET stream dropped', { error: (err as Error).message });
    }
    if (!ended && attempt < 5) setTimeout(() => void openStream(attempt + 1), 250 * 2 ** attempt).unref();
  }

  const splitter = new LineSplitter(config.maxLineBytes, {
    onLine: (line) => {
      const parsed = safeParse(line.toString('utf8'));
      if (parsed === undefined) return write(JSON.stringify(rpcError(null, RpcErrorCode.PARSE_ERROR, 'parse error: the line is not valid JSON')));
      const message = classify(parsed);
      if (message.kind === 'invalid') return write(JSON.stringify(rpcError(message.id, RpcErrorCode.INVALID_REQUEST, `invalid request: ${message.reason}`)));
      const copy = Buffer.from(line); // the line may be a view of a chunk that is reused
      const send = async (): Promise<void> => {
        if (initializing !== undefined && !(message.kind === 'request' && message.message.method === 'initialize')) await initializing;
        await post(copy, message);
        if (message.kind === 'notification' && message.message.method === 'notifications/initialized') void openStream();
      };
      const p = message.kind === 'request' && message.message.method === 'initialize' ? (initializing = send()) : send();
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    },
    onOversize: (bytes) => write(JSON.stringify(rpcError(null, RpcErrorCode.INVALID_REQUEST, `message of ${bytes}+ bytes exceeds --max-line-bytes ${config.maxLineBytes}`))),
  });

  return new Promise<number>((resolve) => {
    const finish = async (why: string): Promise<void> => {
      if (ended) return;
      ended = true;
      log.info(`${why}; ending the session upstream`);
      stream?.abort();
      await Promise.race([Promise.allSettled([...inFlight]), new Promise((r) => setTimeout(r, 2_000))]);
      if (sessionId !== undefined) {
        await pool.request({ path: upstream.pathname + upstream.search, method: 'DELETE', headers: headers(), headersTimeout: 2_000 }).then((r) => r.body.dump(), () => {});
      }
      await pool.destroy();
      resolve(0);
    };
    io.stdin.on('data', (chunk: Buffer) => splitter.push(chunk));
    io.stdin.once('end', () => void finish('client closed stdin'));
    process.once('SIGTERM', () => void finish('SIGTERM'));
    process.once('SIGINT', () => void finish('SIGINT'));
  });
}

function safeParse(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
