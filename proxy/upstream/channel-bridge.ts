/**
 * Serves an upstream reached through per-session channels over Streamable HTTP: the HTTP → stdio bridge (a channel
 * is a stdio child) and the bridge to a legacy HTTP+SSE server (a channel is an SSE client session). Each MCP session
 * gets one long-lived channel, opened (or taken from the warm pool) at initialize and used for every request of that
 * session — never a child per request. A session ends on DELETE, idle expiry or shutdown, and its channel with it (a
 * child: stdin close → SIGTERM → SIGKILL). A channel that dies fails its session's pending requests with JSON-RPC
 * errors and ends only that session.
 *
 * Routing inside a session: a request's answer is matched to its POST by JSON-RPC id and returned as the POST's JSON
 * body (the child's bytes, not re-serialised). Requests and notifications the child starts (sampling, elicitation,
 * progress, logs) go out on the session's GET stream, queued until one is open — up to --max-queue-bytes per
 * session, oldest dropped first (and counted), as are messages for a stream whose reader lags that far behind. A POST
 * whose client disconnects before its answer sends `notifications/cancelled` to the child. An answer that cannot be
 * passed on (over the line limit, not JSON, not valid JSON-RPC) fails its request at once when its id can be told.
 *
 * A session belongs to the principal that opened it (the session table checks): another principal gets 404.
 *
 * Requests of the stateless revision (2026-07-28) have no session: they share a few channels, round-robin, each
 * request renumbered on its way to the child and given its own id back (#stateless).
 */
import { randomUUID } from 'node:crypto';
import { classify, RpcErrorCode, type JsonRpcId } from '../../core/protocol/jsonrpc.js';
import type { Exchange, Handler } from '../exchange.js';
import type { ProxyResponse } from '../http1/server.js';
import { replyError } from '../exchange.js';
import type { Logger } from '../log.js';
import type { ProxyMetrics } from '../metrics.js';
import type { EndReason, SessionTable } from '../sessions.js';
import type { Channel, ChannelClose, ChannelFactory } from './channel.js';
import { sniffRpcId } from '../../core/protocol/framing.js';
import { STATELESS } from '../../core/protocol/revisions.js';
import { createdTaskId, declaredRevision, TASK_METHODS } from '../../core/protocol/stateless.js';
import { TaskRoutes } from './task-routes.js';

export interface BridgeOptions {
  readonly open: ChannelFactory;
  /** Channels opened ahead of need, so initialize does not pay for a spawn. */
  readonly poolSize: number;
  readonly upstreamTimeoutMs: number;
  /** Bytes of server → client messages held per session (queued, or buffered for a slow stream reader). */
  readonly maxQueueBytes: number;
  readonly log: Logger;
  readonly metrics: ProxyMetrics;
}

export class BridgeSession {
  readonly pending = new Map<string, Exchange>();
  /** A shared channel of the stateless revision: the ids its requests had before the bridge renumbered them. */
  readonly originalIds: Map<string, JsonRpcId> | undefined;
  readonly streams = new Set<ProxyResponse>();
  readonly queue: Buffer[] = [];
  queuedBytes = 0;
  ended = false;

  constructor(
    readonly id: string,
    readonly channel: Channel,
    shared = false,
  ) {
    this.originalIds = shared ? new Map() : undefined;
  }
}

/** Children shared by the stateless revision's requests (round-robin), at least this many. */
const MIN_SHARED_CHANNELS = 2;

/** A request of the stateless revision (2026-07-28): it says so in its header or in its _meta. */
function isStateless(ex: Exchange): boolean {
  const message = ex.message;
  if (ex.req.headers['mcp-protocol-version'] === STATELESS) return true;
  return message?.kind === 'request' && declaredRevision(message.message.params) === STATELESS;
}

function idKey(id: JsonRpcId): string {
  return typeof id === 'number' ? `n${id}` : `s${String(id)}`;
}

export class ChannelBridge {
  readonly #options: BridgeOptions;
  readonly #warm: Channel[] = [];
  /** Channel → the session it serves, to route its output. */
  readonly #byChannel = new Map<Channel, BridgeSession>();
  #sessions!: SessionTable<BridgeSession>;
  /** Children being ended, so close() can wait for every one of them. */
  readonly #ending = new Set<Promise<unknown>>();
  #closed = false;
  #quickDeaths = 0;
  /** Channels serving stateless requests (2026-07-28): any of them may answer any request. */
  readonly #shared: BridgeSession[] = [];
  /** Which shared child made each task whose handle passed through. */
  readonly #taskRoutes = new TaskRoutes<BridgeSession>();
  #nextShared = 0;
  #sharedSeq = 0;

  constructor(options: BridgeOptions) {
    this.#options = options;
  }

  /** The table is created by the front (it owns expiry); the bridge ends children when it says so. */
  attach(sessions: SessionTable<BridgeSession>): void {
    this.#sessions = sessions;
    this.#refill();
  }

  /** Channels open: in sessions and in the warm pool. */
  get channels(): number {
    return this.#byChannel.size + this.#warm.length;
  }

  /** Tasks whose handles passed through a shared child, still routed to it. */
  get taskRoutes(): number {
    return this.#taskRoutes.size;
  }

  get warm(): number {
    return this.#warm.length;
  }

  /** Requests waiting for their answer, across sessions. */
  get inFlight(): number {
    let n = 0;
    for (const s of this.#byChannel.values()) n += s.pending.size;
    return n;
  }

  /** Called by the session table when a session ends for any reason. */
  onSessionEnd(session: BridgeSession, reason: EndReason): void {
    session.ended = true;
    for (const stream of session.streams) stream.end();
    for (const ex of session.pending.values()) replyError(ex.res, 502, ex.rpcId, `session ended (${reason})`);
    session.pending.clear();
    this.#byChannel.delete(session.channel);
    const ending = session.channel.close();
    this.#ending.add(ending);
    void ending.then(() => this.#ending.delete(ending));
  }

  handler(): Handler {
    return (ex) => {
      const sessionId = ex.req.headers['mcp-session-id'];
      const message = ex.message;
      if (
        ex.req.method === 'POST' &&
        typeof sessionId !== 'string' &&
        message?.kind === 'request' &&
        message.message.method === 'initialize'
      ) {
        return this.#initialize(ex);
      }
      if (ex.req.method === 'POST' && typeof sessionId !== 'string' && isStateless(ex)) return this.#stateless(ex);
      if (typeof sessionId !== 'string' || sessionId === '') {
        return replyError(ex.res, 400, ex.rpcId, 'missing Mcp-Session-Id header', RpcErrorCode.INVALID_REQUEST);
      }
      const entry = this.#sessions.touch(sessionId, ex.principal);
      if (entry === undefined) {
        this.#options.metrics.rejected.inc({ reason: 'unknown_session' });
        return replyError(ex.res, 404, ex.rpcId, 'unknown or expired session', RpcErrorCode.INVALID_REQUEST);
      }
      const session = entry.binding;
      switch (ex.req.method) {
        case 'POST':
          return this.#post(ex, session);
        case 'GET':
          return this.#openStream(ex, session);
        case 'DELETE':
          this.#sessions.end(session.id, 'deleted');
          return void ex.res.writeHead(200).end();
        default:
          ex.res.setHeader('Allow', 'GET, POST, DELETE');
          return replyError(ex.res, 405, null, `method ${ex.req.method} not allowed`, RpcErrorCode.INVALID_REQUEST);
      }
    };
  }

  #initialize(ex: Exchange): void {
    if (this.#sessions.full) {
      this.#options.metrics.rejected.inc({ reason: 'max_sessions' });
      return replyError(ex.res, 503, ex.rpcId, 'session limit reached (--max-sessions)', RpcErrorCode.SERVER_ERROR, {
        'Retry-After': '1',
      });
    }
    const channel = this.#warm.shift() ?? this.#open();
    setImmediate(() => this.#refill());
    const session = new BridgeSession(randomUUID(), channel);
    this.#byChannel.set(channel, session);
    this.#sessions.add(session.id, session, ex.principal);
    ex.res.setHeader('Mcp-Session-Id', session.id);
    this.#post(ex, session);
  }

  /**
   * A request of the stateless revision: no session, so it goes to the next shared channel in turn. Requests from
   * many clients meet on one child, and clients may all use the same ids (some send `id: 1` every time): each is
   * renumbered on the way in (`mcp-perf-<n>`) and given its own id back on the way out, so an answer can only reach
   * the request it answers. Notifications are accepted and not passed on (there is no session to tie them to).
   */
  #stateless(ex: Exchange): void {
    const message = ex.message;
    if (message?.kind !== 'request') return void ex.res.writeHead(202).end();
    // A request about a task goes to the child that made it (task-routes.ts); anything else to the next in turn.
    const taskId = TASK_METHODS.has(message.message.method) ? message.message.params?.taskId : undefined;
    const route = typeof taskId === 'string' ? this.#taskRoutes.find(taskId) : undefined;
    if (route !== undefined && route.owner !== ex.principal) {
      this.#options.metrics.rejected.inc({ reason: 'foreign_task' });
      return replyError(ex.res, 404, ex.rpcId, 'unknown or expired task', RpcErrorCode.INVALID_PARAMS);
    }
    const session = route?.target ?? this.#sharedChannel();
    const proxyId = `mcp-perf-${++this.#sharedSeq}`;
    const key = idKey(proxyId);
    session.originalIds!.set(key, message.message.id);
    session.pending.set(key, ex);
    this.#await(ex, session, key, proxyId);
    session.channel.send(Buffer.from(JSON.stringify({ ...message.message, id: proxyId })));
  }

  #sharedChannel(): BridgeSession {
    const want = Math.max(MIN_SHARED_CHANNELS, this.#options.poolSize);
    if (this.#shared.length < want) {
      const session = new BridgeSession(
        `stateless-${this.#shared.length + 1}`,
        this.#warm.shift() ?? this.#open(),
        true,
      );
      setImmediate(() => this.#refill());
      this.#byChannel.set(session.channel, session);
      this.#shared.push(session);
      return session;
    }
    return this.#shared[this.#nextShared++ % this.#shared.length]!;
  }

  /** The answer to `key` is awaited: a timeout, and a client that leaves first, cancel it upstream. */
  #await(ex: Exchange, session: BridgeSession, key: string, upstreamId: JsonRpcId): void {
    const timer = setTimeout(() => {
      if (session.pending.get(key) !== ex) return;
      session.pending.delete(key);
      session.originalIds?.delete(key);
      this.#options.metrics.upstreamErrors.inc({ kind: 'timeout' });
      replyError(ex.res, 504, ex.rpcId, `upstream did not answer within ${this.#options.upstreamTimeoutMs} ms`);
    }, this.#options.upstreamTimeoutMs);
    timer.unref();
    ex.res.once('close', () => {
      clearTimeout(timer);
      if (session.pending.get(key) !== ex) return;
      // The client left before its answer: tell the server to stop working on it.
      session.pending.delete(key);
      session.originalIds?.delete(key);
      this.#options.metrics.cancelled.inc();
      session.channel.send(
        Buffer.from(
          JSON.stringify({
            jsonrpc: '2.0',
            method: 'notifications/cancelled',
            params: { requestId: upstreamId, reason: 'client disconnected' },
          }),
        ),
      );
    });
  }

  #post(ex: Exchange, session: BridgeSession): void {
    const message = ex.message!;
    if (message.kind !== 'request') {
      // Notifications and the client's answers to the child's requests: pass on, 202.
      session.channel.send(ex.body);
      return void ex.res.writeHead(202).end();
    }
    const key = idKey(message.message.id);
    if (session.pending.has(key)) {
      return replyError(
        ex.res,
        400,
        ex.rpcId,
        `request id ${JSON.stringify(message.message.id)} is already in flight in this session`,
        RpcErrorCode.INVALID_REQUEST,
      );
    }
    session.pending.set(key, ex);
    // In flight: the session is not idle until its answer has gone (or the client has left).
    ex.res.once('close', this.#sessions.hold(session.id));
    this.#await(ex, session, key, message.message.id);
    session.channel.send(ex.body);
  }

  #openStream(ex: Exchange, session: BridgeSession): void {
    if (!String(ex.req.headers.accept ?? '').includes('text/event-stream')) {
      return replyError(ex.res, 406, null, 'GET needs Accept: text/event-stream', RpcErrorCode.INVALID_REQUEST);
    }
    ex.res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    ex.res.write(': stream open\n\n');
    session.streams.add(ex.res);
    ex.res.once('close', () => session.streams.delete(ex.res));
    const queued = session.queue.splice(0);
    session.queuedBytes = 0;
    for (const line of queued) this.#toStream(session, line);
  }

  /** A line from a channel: an answer goes to its POST; anything else to the session's stream. */
  #fromChannel(channel: Channel, line: Buffer): void {
    const session = this.#byChannel.get(channel);
    if (session === undefined) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line.toString('utf8'));
    } catch {
      this.#options.log.warn('upstream wrote a message that is not JSON; dropped', {
        upstream: channel.label,
        session: session.id,
      });
      return this.#failAnswer(
        session,
        sniffRpcId(line.subarray(0, 256), line.subarray(-256)),
        'upstream answered with a message that is not JSON',
      );
    }
    const message = classify(parsed);
    if (message.kind === 'response') {
      const key = idKey(message.message.id);
      const ex = session.pending.get(key);
      if (ex === undefined) return; // cancelled or timed out meanwhile
      session.pending.delete(key);
      let body = line;
      if (session.originalIds !== undefined) {
        // A shared channel: the answer goes back under the id its client sent.
        body = Buffer.from(JSON.stringify({ ...message.message, id: session.originalIds.get(key) ?? null }));
        session.originalIds.delete(key);
        const result = 'result' in message.message ? (message.message.result as { ttlMs?: unknown }) : undefined;
        const taskId = createdTaskId(result);
        if (taskId !== undefined) this.#taskRoutes.remember(taskId, session, result?.ttlMs, ex.principal);
      }
      ex.res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
      ex.res.end(body);
      return;
    }
    if (message.kind === 'invalid') {
      this.#options.log.warn('upstream wrote an invalid JSON-RPC message; dropped', {
        upstream: channel.label,
        session: session.id,
        reason: message.reason,
      });
      return this.#failAnswer(
        session,
        message.id ?? undefined,
        `upstream answered with an invalid JSON-RPC message (${message.reason})`,
      );
    }
    if (session.originalIds !== undefined) return; // a shared channel has no session stream to send this on
    this.#toStream(session, line);
  }

  /** An answer that cannot be passed on: its request, if it can be told, gets a 502 now rather than the timeout. */
  #failAnswer(session: BridgeSession, id: string | number | undefined, reason: string): void {
    if (id === undefined) return;
    const key = idKey(id);
    const ex = session.pending.get(key);
    if (ex === undefined) return;
    session.pending.delete(key);
    session.originalIds?.delete(key);
    this.#options.metrics.upstreamErrors.inc({ kind: 'bad_answer' });
    replyError(ex.res, 502, ex.rpcId, reason);
  }

  #toStream(session: BridgeSession, line: Buffer): void {
    const max = this.#options.maxQueueBytes;
    const stream = session.streams.values().next().value as ProxyResponse | undefined;
    if (stream !== undefined) {
      // A reader that lags by more than the bound loses messages rather than the proxy its memory.
      const lag = stream.bufferedBytes;
      if (lag > 0 && lag + line.length > max) return this.#drop('slow_stream');
      stream.write(`event: message\ndata: ${line.toString('utf8')}\n\n`);
      return;
    }
    // No stream open: hold the newest messages up to the bound (at least the newest one), dropping the oldest.
    const copy = Buffer.from(line); // `line` may be a view into a larger chunk: do not pin that
    session.queue.push(copy);
    session.queuedBytes += copy.length;
    while (session.queuedBytes > max && session.queue.length > 1) {
      session.queuedBytes -= session.queue.shift()!.length;
      this.#drop('queue_full');
    }
  }

  #drop(reason: 'slow_stream' | 'queue_full'): void {
    this.#options.metrics.dropped.inc({ reason });
  }

  #onChannelClose(channel: Channel, close: ChannelClose): void {
    const warmIndex = this.#warm.indexOf(channel);
    if (warmIndex >= 0) this.#warm.splice(warmIndex, 1);
    if (close.expected || this.#closed) return;
    this.#options.log.warn('upstream channel ended', { upstream: channel.label, reason: close.reason });
    this.#options.metrics.upstreamErrors.inc({ kind: 'child_exit' });
    const session = this.#byChannel.get(channel);
    if (session?.originalIds !== undefined) {
      // A shared channel: its requests fail; the next stateless request opens a new one.
      for (const ex of session.pending.values()) replyError(ex.res, 502, ex.rpcId, close.reason);
      session.pending.clear();
      session.originalIds.clear();
      this.#byChannel.delete(channel);
      this.#shared.splice(this.#shared.indexOf(session), 1);
      this.#taskRoutes.forget(session); // its tasks died with it: asked again, the next child says they are unknown
    } else if (session !== undefined) {
      for (const ex of session.pending.values()) replyError(ex.res, 502, ex.rpcId, close.reason);
      session.pending.clear();
      this.#sessions.end(session.id, 'upstream-gone');
    } else if (warmIndex >= 0) {
      // A warm channel died before use: the upstream may be broken; do not reopen in a tight loop.
      this.#quickDeaths++;
      if (this.#quickDeaths <= 3) setTimeout(() => this.#refill(), 200 * this.#quickDeaths).unref();
      else this.#options.log.error('warm pool channels keep ending; not refilling', { reason: close.reason });
    }
  }

  #open(): Channel {
    const channel: Channel = this.#options.open({
      onLine: (line) => this.#fromChannel(channel, line),
      onDropped: (id, bytes) => {
        const session = this.#byChannel.get(channel);
        if (session !== undefined)
          this.#failAnswer(session, id, `upstream answer of ${bytes}+ bytes exceeds --max-line-bytes`);
      },
      onClose: (close) => this.#onChannelClose(channel, close),
    });
    return channel;
  }

  #refill(): void {
    while (!this.#closed && this.#warm.length < this.#options.poolSize && this.#quickDeaths <= 3)
      this.#warm.push(this.#open());
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#sessions.close();
    const warm = this.#warm.splice(0);
    const shared = this.#shared.splice(0).map((s) => {
      for (const ex of s.pending.values()) replyError(ex.res, 502, ex.rpcId, 'proxy shutting down');
      this.#byChannel.delete(s.channel);
      return s.channel;
    });
    await Promise.all([...[...warm, ...shared].map((c) => c.close()), ...this.#ending]);
  }
}
