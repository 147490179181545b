/**
 * The reverse proxy's last stage: forward the exchange to a Streamable HTTP upstream. Method, body bytes and
 * end-to-end headers (Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID, Accept, Content-Type, Mcp-Method,
 * Mcp-Name, …) go through unchanged. Responses are streamed: each upstream chunk is written into the client's
 * response as it arrives, so an SSE stream is never buffered whole. Upstream refused → 502,
 * no response headers within the timeout → 504, both with a JSON-RPC error body.
 *
 * Sessions: the session id an upstream issues at initialize binds the session to that upstream in the proxy's
 * table; a request naming a session the table does not know is answered 404 here.
 */
import { RpcErrorCode } from '../../mock-upstreams/jsonrpc.js';
import type { Exchange, Handler } from '../exchange.js';
import { replyError } from '../exchange.js';
import type { ResponseHandler, UpstreamError, UpstreamExchange } from '../http1/client.js';
import type { Headers } from '../http1/parse.js';
import type { Logger } from '../log.js';
import type { ProxyMetrics } from '../metrics.js';
import type { SessionTable } from '../sessions.js';
import type { HttpUpstream, UpstreamSet } from './http-upstreams.js';

/** RFC 9110 §7.6.1 hop-by-hop headers, plus host: never forwarded in either direction. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);
/** A request's framing and Expect were dealt with by our server; the upstream request gets its own. */
const REQUEST_ONLY = new Set([...HOP_BY_HOP, 'content-length', 'expect']);

function copyExcept(headers: Headers, drop: ReadonlySet<string>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && !drop.has(name)) out[name] = value;
  }
  return out;
}

/** A response's end-to-end headers (Content-Length included: it frames the answer to the client too). */
export function endToEnd(headers: Headers): Record<string, string | string[]> {
  return copyExcept(headers, HOP_BY_HOP);
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
    const url = ex.req.url;
    const q = url.indexOf('?');
    const handler = new ForwardHandler(ex, upstream, ctx, typeof sessionId === 'string' ? sessionId : undefined);
    handler.start(
      upstream.pool.dispatch(
        {
          path: q === -1 ? upstream.url.pathname : upstream.url.pathname + url.slice(q),
          method: ex.req.method,
          headers: copyExcept(ex.req.headers, REQUEST_ONLY),
          body: ex.body.length > 0 ? ex.body : null,
          // Bounds the wait for the response head only: an SSE stream may then stay quiet for a long time (a client
          // disconnect ends it instead).
          headersTimeoutMs: ctx.timeoutMs,
        },
        handler,
      ),
    );
  };
}

/**
 * Writes the upstream response straight into the client's response as it is read: no intermediate stream, one
 * object per request. Backpressure both ways: a slow client pauses the upstream read; a client that goes away
 * aborts the upstream request.
 */
class ForwardHandler implements ResponseHandler {
  #exchange: UpstreamExchange | undefined;
  #done = false;
  #waitsForDrain = false;

  constructor(
    private readonly ex: Exchange,
    private readonly upstream: HttpUpstream,
    private readonly ctx: ForwardContext,
    private readonly sessionId: string | undefined,
  ) {}

  start(exchange: UpstreamExchange): void {
    if (this.#done) return; // failed at once (a closed pool)
    this.#exchange = exchange;
    this.ex.res.on('close', this.#onClientClose); // 'close' comes once, after the answer or instead of it
  }

  onResponseStart(statusCode: number, headers: Headers): void {
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
  }

  onResponseData(chunk: Buffer): boolean {
    const res = this.ex.res;
    if (res.write(chunk)) return true;
    // A slow client: the upstream read stops until the client's socket drains.
    if (!this.#waitsForDrain) {
      this.#waitsForDrain = true;
      res.on('drain', () => this.#exchange?.resume());
    }
    return false;
  }

  onResponseEnd(): void {
    this.#finish();
    this.ex.res.end();
  }

  onResponseError(err: UpstreamError): void {
    this.#finish();
    const { res, rpcId } = this.ex;
    if (res.destroyed) return; // the client is gone; nobody to tell
    const timedOut = err.code === 'HEADERS_TIMEOUT';
    this.ctx.metrics.upstreamErrors.inc({ kind: timedOut ? 'timeout' : err.code });
    if (err.code === 'ECONNREFUSED') this.ctx.upstreams.markDown(this.upstream, err.code);
    if (res.headersSent) return void res.destroy(err);
    replyError(res, timedOut ? 504 : 502, rpcId, timedOut ? `upstream did not answer within ${this.ctx.timeoutMs} ms` : `upstream unavailable: ${err.code}`);
  }

  /** Keeps the session table in step with what the upstream said. */
  #track(status: number, headers: Headers): void {
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
  }

  readonly #onClientClose = (): void => {
    // The client went away before its answer was complete: stop the upstream request too.
    if (this.ex.res.writableFinished || this.#done) return;
    this.#finish();
    this.ctx.metrics.cancelled.inc();
    this.#exchange?.abort();
  };
}
