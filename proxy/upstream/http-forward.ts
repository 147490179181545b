/**
 * The reverse proxy's last stage: forward the exchange to a Streamable HTTP upstream. Method, body bytes and
 * end-to-end headers (Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID, Accept, Content-Type, Mcp-Method,
 * Mcp-Name, …) go through unchanged. Responses are streamed with `pool.dispatch`: each upstream chunk is written
 * into our ServerResponse as it arrives, so an SSE stream is never buffered whole. Upstream refused → 502,
 * no response headers within the timeout → 504, both with a JSON-RPC error body.
 *
 * Sessions: the session id an upstream issues at initialize binds the session to that upstream in the proxy's
 * table; a request naming a session the table does not know is answered 404 here.
 */
import type http from 'node:http';
import { errors as undiciErrors, type Client, type Dispatcher } from 'undici';
import { RpcErrorCode } from '../../mock-upstreams/jsonrpc.js';
import type { Exchange, Handler } from '../exchange.js';
import { replyError } from '../exchange.js';
import type { Logger } from '../log.js';
import type { ProxyMetrics } from '../metrics.js';
import type { SessionTable } from '../sessions.js';
import type { HttpUpstream, UpstreamSet } from './http-upstreams.js';

/** RFC 9110 §7.6.1 hop-by-hop headers, plus host: never forwarded in either direction. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

export function endToEnd(headers: http.IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

export interface ForwardContext {
  readonly upstreams: UpstreamSet;
  readonly sessions: SessionTable<HttpUpstream>;
  readonly timeoutMs: number;
  readonly metrics: ProxyMetrics;
  readonly log: Logger;
  /** Counts open SSE streams for /metrics. */
  readonly streams: { open: number };
}

export function httpForwarder(ctx: ForwardContext): Handler {
  return (ex) => {
    const sessionId = ex.req.headers['mcp-session-id'];
    let upstream: HttpUpstream | undefined;
    if (typeof sessionId === 'string') {
      upstream = ctx.sessions.touch(sessionId)?.binding;
      if (upstream === undefined) {
        ctx.metrics.rejected.inc({ reason: 'unknown_session' });
        return replyError(ex.res, 404, ex.rpcId, 'unknown or expired session', RpcErrorCode.INVALID_REQUEST);
      }
    } else {
      const initialize = ex.message?.kind === 'request' && ex.message.message.method === 'initialize';
      if (initialize && ctx.sessions.full) {
        ctx.metrics.rejected.inc({ reason: 'max_sessions' });
        return replyError(ex.res, 503, ex.rpcId, 'session limit reached (--max-sessions)', RpcErrorCode.SERVER_ERROR, { 'Retry-After': '1' });
      }
      upstream = ctx.upstreams.pick();
      if (upstream === undefined) return replyError(ex.res, 502, ex.rpcId, 'no healthy upstream');
    }
    upstream.pending++;
    const search = ex.req.url?.includes('?') ? ex.req.url.slice(ex.req.url.indexOf('?')) : '';
    // A GET opens a stream that may stay open for hours: it gets a connection of its own, ended with it.
    const own = ex.req.method === 'GET' ? upstream.streamClient() : undefined;
    (own ?? upstream.pool).dispatch(
      { path: upstream.url.pathname + search, method: ex.req.method as 'GET', headers: endToEnd(ex.req.headers), body: ex.body.length > 0 ? ex.body : null },
      new ForwardHandler(ex, upstream, ctx, typeof sessionId === 'string' ? sessionId : undefined, own),
    );
  };
}

/**
 * Writes the upstream response straight into our ServerResponse as undici parses it: no intermediate stream, one
 * object per request. Backpressure both ways: a slow client pauses the upstream read; a client that goes away
 * aborts the upstream request.
 */
class ForwardHandler implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  #done = false;

  constructor(
    private readonly ex: Exchange,
    private readonly upstream: HttpUpstream,
    private readonly ctx: ForwardContext,
    private readonly sessionId: string | undefined,
    private readonly ownClient: Client | undefined,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    this.ex.res.once('close', this.#onClientClose);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: http.IncomingHttpHeaders): void {
    const { res, req } = this.ex;
    this.#track(statusCode, headers);
    res.writeHead(statusCode, endToEnd(headers));
    // An SSE client must see its stream open before the first event; a JSON answer goes out headers and body in
    // one write.
    if (String(headers['content-type'] ?? '').startsWith('text/event-stream')) {
      res.flushHeaders();
      if (req.method === 'GET') {
        this.ctx.streams.open++;
        res.once('close', () => this.ctx.streams.open--);
      }
    }
    res.on('drain', () => controller.resume());
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.ex.res.write(chunk)) controller.pause();
  }

  onResponseEnd(): void {
    this.#finish();
    this.ex.res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.#finish();
    const { res, rpcId } = this.ex;
    if (res.destroyed) return; // the client is gone; nobody to tell
    const timedOut = err instanceof undiciErrors.HeadersTimeoutError;
    const code = (err as NodeJS.ErrnoException).code ?? err.name;
    this.ctx.metrics.upstreamErrors.inc({ kind: timedOut ? 'timeout' : code });
    if (code === 'ECONNREFUSED') this.ctx.upstreams.markDown(this.upstream, code);
    if (res.headersSent) return void res.destroy(err);
    replyError(res, timedOut ? 504 : 502, rpcId, timedOut ? `upstream did not answer within ${this.ctx.timeoutMs} ms` : `upstream unavailable: ${code}`);
  }

  /** Keeps the session table in step with what the upstream said. */
  #track(status: number, headers: http.IncomingHttpHeaders): void {
    const { sessions } = this.ctx;
    const issued = headers['mcp-session-id'];
    if (this.sessionId === undefined && typeof issued === 'string' && status >= 200 && status < 300) {
      if (!sessions.add(issued, this.upstream)) this.ctx.log.warn('session table full; upstream session not tracked', { session: issued });
    } else if (this.sessionId !== undefined && (status === 404 || (this.ex.req.method === 'DELETE' && status >= 200 && status < 300))) {
      sessions.end(this.sessionId, status === 404 ? 'upstream-gone' : 'deleted');
    }
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    this.upstream.pending--;
    if (this.ownClient !== undefined) this.upstream.releaseStreamClient(this.ownClient);
  }

  readonly #onClientClose = (): void => {
    // The client went away before its answer was complete: stop the upstream request too.
    if (this.ex.res.writableFinished || this.#done) return;
    this.ctx.metrics.cancelled.inc();
    this.#controller?.abort(new Error('client closed the connection'));
  };
}
