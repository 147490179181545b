/**
 * The reverse proxy's last stage: forward the exchange to a Streamable HTTP upstream. Method, body bytes and
 * end-to-end headers (Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID, Accept, Content-Type, Mcp-Method,
 * Mcp-Name, …) go through unchanged. Responses are streamed: each upstream chunk is written into the client's
 * response as it arrives, so an SSE stream is never buffered whole. Upstream refused → 502,
 * no response headers within the timeout → 504, both with a JSON-RPC error body.
 *
 * Sessions: the session id an upstream issues at initialize binds the session to that upstream, and to the principal
 * that opened it, in the proxy's table; a request naming a session the table does not know — or another principal's
 * — is answered 404 here. An initialize holds a slot in the table from the moment it is forwarded, so a burst of
 * them cannot open more than --max-sessions.
 *
 * Credentials: the client's Authorization and Cookie are the client's credentials for this proxy, never passed on
 * (MCP's authorization spec forbids token passthrough); --upstream-header sets what the upstream gets instead.
 */
import { RpcErrorCode } from '../../core/protocol/jsonrpc.js';
import type { Exchange, Handler } from '../exchange.js';
import { replyError } from '../exchange.js';
import type { ResponseHandler, UpstreamError, UpstreamExchange } from '../http1/client.js';
import { ONE_STRING_MAX } from '../http1/write.js';
import { HOP_BY_HOP, REQUEST_ONLY, type Headers } from '../../core/protocol/http1-parse.js';
import type { Logger } from '../log.js';
import type { ProxyMetrics } from '../metrics.js';
import type { SessionEntry, SessionTable } from '../sessions.js';
import type { HttpUpstream, UpstreamSet } from './http-upstreams.js';
import { createdTaskId, TASK_METHODS } from '../../core/protocol/stateless.js';
import type { TaskRoute } from './task-routes.js';

export interface ForwardContext {
  readonly upstreams: UpstreamSet;
  readonly sessions: SessionTable<HttpUpstream>;
  readonly timeoutMs: number;
  readonly metrics: ProxyMetrics;
  readonly log: Logger;
  /** Counts open SSE streams for /metrics. */
  readonly streams: { open: number };
  /** Headers every upstream request carries (--upstream-header), set over the client's. */
  readonly upstreamHeaders: Readonly<Record<string, string>>;
  /** POSTs in flight to one upstream beyond which one more gets 503 (--max-in-flight-per-upstream); 0: no limit. */
  readonly maxInFlightPerUpstream?: number;
}

export function httpForwarder(ctx: ForwardContext): Handler {
  // No --upstream-header (the usual case): nothing for the head to look each client field up in.
  const extra = Object.keys(ctx.upstreamHeaders).length > 0 ? ctx.upstreamHeaders : undefined;
  return (ex) => {
    const sessionId = ex.req.headers['mcp-session-id'];
    let upstream: HttpUpstream | undefined;
    let session: SessionEntry<HttpUpstream> | undefined;
    let reserved = false;
    let method: string | undefined;
    // Task handles are noted when there is a choice of upstream to make, or an owner to bind them to.
    const tracked = ctx.upstreams.upstreams.length > 1 || ex.principal !== undefined;
    if (typeof sessionId === 'string') {
      session = ctx.sessions.touch(sessionId, ex.principal);
      upstream = session?.binding;
      if (upstream === undefined) {
        ctx.metrics.rejected.inc({ reason: 'unknown_session' });
        return replyError(ex.res, 404, ex.rpcId, 'unknown or expired session', RpcErrorCode.INVALID_REQUEST);
      }
    } else {
      // No session: the next upstream in turn — unless the request asks about a task, which only its maker knows.
      method = requestMethod(ex);
      if (tracked && method !== undefined && TASK_METHODS.has(method)) {
        const route = taskRoute(ctx, ex);
        if (route !== undefined && route.owner !== ex.principal) {
          ctx.metrics.rejected.inc({ reason: 'foreign_task' });
          return replyError(ex.res, 404, ex.rpcId, 'unknown or expired task', RpcErrorCode.INVALID_PARAMS);
        }
        upstream = route?.target;
      }
      upstream ??= ctx.upstreams.pick();
      if (upstream === undefined) return replyError(ex.res, 502, ex.rpcId, 'no healthy upstream');
      if (ex.message?.kind === 'request' && ex.message.message.method === 'initialize') {
        if (!ctx.sessions.reserve()) {
          ctx.metrics.rejected.inc({ reason: 'max_sessions' });
          return replyError(
            ex.res,
            503,
            ex.rpcId,
            'session limit reached (--max-sessions)',
            RpcErrorCode.SERVER_ERROR,
            { 'Retry-After': '1' },
          );
        }
        reserved = true;
      }
    }
    const post = ex.req.method === 'POST';
    const perUpstream = ctx.maxInFlightPerUpstream ?? 0;
    if (post && perUpstream > 0 && upstream.posts >= perUpstream) {
      if (reserved) ctx.sessions.unreserve();
      ctx.metrics.rejected.inc({ reason: 'overloaded' });
      return replyError(
        ex.res,
        503,
        ex.rpcId,
        `overloaded: ${perUpstream} requests already in flight to this upstream (--max-in-flight-per-upstream)`,
        RpcErrorCode.SERVER_ERROR,
        { 'Retry-After': '1' },
      );
    }
    upstream.pending++;
    if (post) upstream.posts++;
    const handler = new ForwardHandler(
      ex,
      upstream,
      ctx,
      typeof sessionId === 'string' ? sessionId : undefined,
      // A POST in flight keeps its session from expiring as idle, however long the upstream takes.
      post ? session : undefined,
      reserved,
      // A sessionless call may be answered with a task handle: note where it lives, and whose it is.
      tracked && method === 'tools/call',
    );
    handler.start(
      upstream.pool.dispatch(
        {
          path: ex.req.query === '' ? upstream.path : upstream.path + ex.req.query,
          method: ex.req.method,
          // The client's fields, less its hop-by-hop ones and credentials, plus ours: written straight from the parsed
          // request (no copy), values unchecked again (our parser and the config checked them).
          headers: ex.req.headers,
          omit: REQUEST_ONLY,
          // Or, where no --upstream-header may replace one of them, its lines as they came.
          lines: extra === undefined ? ex.req.forwarded : undefined,
          extra,
          trusted: true,
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

/** The JSON-RPC method of a request: from its parsed body, else (routed on the headers, unparsed) its Mcp-Method. */
function requestMethod(ex: Exchange): string | undefined {
  if (ex.message !== undefined) return ex.message.kind === 'request' ? ex.message.message.method : undefined;
  const header = ex.req.headers['mcp-method'];
  return typeof header === 'string' ? header : undefined;
}

/** The note on the task a tasks/* request names (by params.taskId, else Mcp-Name), if one is known. */
function taskRoute(ctx: ForwardContext, ex: Exchange): TaskRoute<HttpUpstream> | undefined {
  const params = ex.message?.kind === 'request' ? ex.message.message.params : undefined;
  const taskId = typeof params?.taskId === 'string' ? params.taskId : ex.req.headers['mcp-name'];
  return typeof taskId === 'string' ? ctx.upstreams.tasks.find(taskId) : undefined;
}

/** A task handle is a small answer: one longer than this is not read for one. */
const TASK_WATCH_BYTES = 16 * 1024;

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
    /** The session this request keeps busy until it finishes (SessionTable.busy), if any. */
    private readonly held: SessionEntry<HttpUpstream> | undefined,
    /** This initialize holds a slot in the session table until the upstream's answer fills or frees it. */
    private reserved: boolean,
    watchForTask = false,
  ) {
    if (watchForTask) this.#watch = [];
    if (held !== undefined) ctx.sessions.busy(held);
    // 'close' comes once, after the answer or instead of it: whatever happens to the exchange, it is finished by then.
    ex.res.on('close', this.#onClientClose);
  }

  /** The answer so far, copied, while it may be a task handle (see #noteTask); undefined when not watched. */
  #watch: Buffer[] | undefined;
  #watched = 0;

  start(exchange: UpstreamExchange): void {
    if (this.#done) return; // failed at once (a closed pool)
    this.#exchange = exchange;
  }

  onResponseStart(statusCode: number, headers: Headers, forwarded: string): void {
    const { res, req } = this.ex;
    // The exchange may have been answered already — the server refused the rest of the request's body — or its
    // client may be gone: there is nobody to pass this answer to.
    const deliverable = !res.headersSent && !res.writableEnded && !res.destroyed;
    this.#track(statusCode, headers, deliverable);
    if (!deliverable) {
      this.#finish();
      this.#exchange?.abort();
      return;
    }
    res.writeHeadFrom(statusCode, headers, HOP_BY_HOP, forwarded);
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

  /** Chunks are written on before onResponseData returns (copied first when writeMessage would keep them). */
  readonly transientChunks = true;

  onResponseData(chunk: Buffer): boolean {
    const res = this.ex.res;
    if (this.#watch !== undefined) {
      this.#watched += chunk.length;
      if (this.#watched > TASK_WATCH_BYTES) this.#watch = undefined;
      else this.#watch.push(Buffer.from(chunk)); // a view into the pool's read buffer: copied
    }
    if (res.write(chunk.length > ONE_STRING_MAX ? Buffer.from(chunk) : chunk)) return true;
    // A slow client: the upstream read stops until the client's socket drains.
    if (!this.#waitsForDrain) {
      this.#waitsForDrain = true;
      res.on('drain', () => this.#exchange?.resume());
    }
    return false;
  }

  onResponseEnd(): void {
    this.#finish();
    // Noted before the client has the handle, so its first tasks/get finds the route.
    if (this.#watch !== undefined) this.#noteTask(Buffer.concat(this.#watch).toString('utf8'));
    this.ex.res.end();
  }

  /** A task handle in the answer (JSON, or SSE `data:` lines): its tasks/* requests will come to this upstream. */
  #noteTask(text: string): void {
    this.#watch = undefined;
    if (!text.includes('"task"')) return;
    const bodies = text.trimStart().startsWith('{')
      ? [text]
      : text.split('\n').flatMap((line) => (line.startsWith('data:') ? [line.slice(5)] : []));
    for (const body of bodies) {
      let result: { ttlMs?: unknown } | undefined;
      try {
        result = (JSON.parse(body) as { result?: { ttlMs?: unknown } }).result;
      } catch {
        continue; // not ours to judge: the client gets the answer as it came
      }
      const taskId = createdTaskId(result);
      if (taskId !== undefined)
        this.ctx.upstreams.tasks.remember(taskId, this.upstream, result?.ttlMs, this.ex.principal);
    }
  }

  onResponseError(err: UpstreamError): void {
    this.#finish();
    const { res, rpcId } = this.ex;
    if (res.destroyed) return; // the client is gone; nobody to tell
    const timedOut = err.code === 'HEADERS_TIMEOUT';
    this.ctx.metrics.upstreamErrors.inc({ kind: timedOut ? 'timeout' : err.code });
    if (err.code === 'ECONNREFUSED') this.ctx.upstreams.markDown(this.upstream, err.code);
    if (res.headersSent) return void res.destroy(err);
    replyError(
      res,
      timedOut ? 504 : 502,
      rpcId,
      timedOut ? `upstream did not answer within ${this.ctx.timeoutMs} ms` : `upstream unavailable: ${err.code}`,
    );
  }

  /** Keeps the session table in step with what the upstream said. */
  #track(status: number, headers: Headers, deliverable: boolean): void {
    const { sessions, log } = this.ctx;
    const issued = headers['mcp-session-id'];
    const reserved = this.reserved;
    this.reserved = false;
    if (this.sessionId === undefined && typeof issued === 'string' && status >= 200 && status < 300) {
      if (sessions.has(issued)) {
        // An upstream that hands out an id it already gave: ending it would end the first holder's session too.
        if (reserved) sessions.unreserve();
        return void log.warn('upstream issued a session id already in use; not tracked again', { session: issued });
      }
      // A session nobody will learn the id of, or one past the limit, is ended upstream at once rather than left there.
      if (!deliverable) {
        if (reserved) sessions.unreserve();
        return void this.upstream.deleteSession(issued);
      }
      if (!sessions.add(issued, this.upstream, this.ex.principal, reserved)) {
        log.warn('session table full; session ended upstream', { session: issued });
        this.upstream.deleteSession(issued);
      }
      return;
    }
    if (reserved) sessions.unreserve();
    if (
      this.sessionId !== undefined &&
      (status === 404 || (this.ex.req.method === 'DELETE' && status >= 200 && status < 300))
    ) {
      sessions.end(this.sessionId, status === 404 ? 'upstream-gone' : 'deleted');
    }
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    if (this.held !== undefined) this.ctx.sessions.idle(this.held);
    this.upstream.pending--;
    if (this.ex.req.method === 'POST') this.upstream.posts--;
    if (this.reserved) {
      this.reserved = false;
      this.ctx.sessions.unreserve(); // the initialize failed before an answer: its slot is free again
    }
  }

  readonly #onClientClose = (): void => {
    // The client went away, or its exchange was answered by someone else (a refusal of the rest of its body),
    // before the upstream's answer was complete: stop the upstream request too.
    if (this.#done) return;
    this.#finish();
    this.ctx.metrics.cancelled.inc();
    this.#exchange?.abort();
  };
}
