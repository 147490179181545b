/** The three kinds of upstream channel. See channel.ts for the contract. */
import { createParser } from 'eventsource-parser';
import { createRequire } from 'node:module';
import type { Dispatcher, Pool } from 'undici';
import { classify, RpcErrorCode, rpcError, type JsonRpcId } from '../../core/protocol/jsonrpc.js';
import type { Logger } from '../log.js';
import type { ProxyMetrics } from '../metrics.js';
import type { Channel, ChannelEvents, ChannelFactory } from './channel.js';
import { StdioChild } from './stdio-child.js';

/**
 * undici is loaded when the first HTTP channel opens, not when the proxy starts: it was 43% of the proxy's start-up
 * (spawn → ready line ~420 ms on a 2-vCPU VM), and only the legacy front and the stdio → HTTP mode ever need it. The
 * first such channel pays its load once (~150 ms on that VM).
 */
let undici: typeof import('undici') | undefined;
function loadUndici(): typeof import('undici') {
  return (undici ??= createRequire(import.meta.url)('undici') as typeof import('undici'));
}

/**
 * One session's connections to its upstream (these channels carry a single client session each, off the reverse
 * proxy's hot path): the timeout bounds the wait for response headers only, since an SSE stream may stay quiet.
 */
function upstreamPool(origin: string, headersTimeoutMs: number): Pool {
  return new (loadUndici().Pool)(origin, {
    connections: null,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: headersTimeoutMs,
    bodyTimeout: 0,
  });
}

/** A stdio MCP server process per channel. */
export function stdioChannels(
  command: readonly string[],
  options: { maxLineBytes: number; log: Logger; metrics: ProxyMetrics },
): ChannelFactory {
  return (events) => {
    const child: StdioChild = new StdioChild(command, {
      maxLineBytes: options.maxLineBytes,
      log: options.log,
      onLine: events.onLine,
      onDropped: events.onDropped,
      onExit: (exit) =>
        events.onClose({
          expected: exit.expected,
          reason: `upstream process exited (code ${exit.code ?? 'none'}, signal ${exit.signal ?? 'none'})`,
        }),
    });
    options.metrics.childrenSpawned.inc();
    options.log.debug('spawned stdio upstream', { pid: child.pid });
    return {
      label: `pid ${child.pid}`,
      send: (line) => void child.write(line),
      close: async () => void (await child.close()),
    };
  };
}

interface HttpChannelOptions {
  readonly timeoutMs: number;
  readonly log: Logger;
  /** --upstream-header: sent with every request to the upstream. */
  readonly headers: Readonly<Record<string, string>>;
}

function safeParse(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function failureLine(id: JsonRpcId, err: unknown, timeoutMs: number): Buffer {
  const timedOut = err instanceof loadUndici().errors.HeadersTimeoutError;
  const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  return Buffer.from(
    JSON.stringify(
      rpcError(
        id,
        RpcErrorCode.SERVER_ERROR,
        timedOut ? `upstream did not answer within ${timeoutMs} ms` : `upstream unavailable: ${code}`,
      ),
    ),
  );
}

/**
 * One Streamable HTTP client session. Each message sent becomes a POST carrying the session id and the negotiated
 * revision; messages sent while initialize is in flight wait for it. JSON answers and SSE events come out as lines;
 * after notifications/initialized a GET stream carries what the server starts, reopened with Last-Event-ID if it
 * drops. A failed POST yields a JSON-RPC error line for its request. close() DELETEs the session.
 */
export class StreamableHttpChannel implements Channel {
  readonly label: string;
  readonly #url: URL;
  readonly #pool: Pool;
  readonly #options: HttpChannelOptions;
  readonly #events: ChannelEvents;
  readonly #inFlight = new Set<Promise<void>>();
  #sessionId: string | undefined;
  #protocolVersion: string | undefined;
  #initializing: Promise<void> | undefined;
  #stream: AbortController | undefined;
  #lastEventId: string | undefined;
  #closed = false;

  constructor(url: URL, options: HttpChannelOptions, events: ChannelEvents) {
    this.label = url.href;
    this.#url = url;
    this.#options = options;
    this.#events = events;
    this.#pool = upstreamPool(url.origin, options.timeoutMs);
  }

  send(line: Buffer): void {
    const message = classify(safeParse(line.toString('utf8')));
    const isInitialize = message.kind === 'request' && message.message.method === 'initialize';
    const copy = Buffer.from(line); // the caller's buffer may be a view of a chunk that is reused
    const run = async (): Promise<void> => {
      if (this.#initializing !== undefined && !isInitialize) await this.#initializing;
      await this.#post(copy, message.kind === 'request' ? message.message.id : null, isInitialize);
      if (message.kind === 'notification' && message.message.method === 'notifications/initialized')
        void this.#openStream();
    };
    const p = isInitialize ? (this.#initializing = run()) : run();
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
  }

  #headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(this.#sessionId ? { 'mcp-session-id': this.#sessionId } : {}),
      ...(this.#protocolVersion ? { 'mcp-protocol-version': this.#protocolVersion } : {}),
      ...this.#options.headers,
      ...extra,
    };
  }

  async #relaySse(body: Dispatcher.ResponseData['body'], onData?: (data: string) => void): Promise<void> {
    const parser = createParser({
      onEvent: (event) => {
        if (event.id) this.#lastEventId = event.id;
        if (event.data === '') return;
        onData?.(event.data);
        this.#events.onLine(Buffer.from(event.data));
      },
    });
    for await (const chunk of body) parser.feed(String(chunk));
  }

  #noteVersion = (text: string): void => {
    const v = (safeParse(text) as { result?: { protocolVersion?: unknown } } | undefined)?.result?.protocolVersion;
    if (typeof v === 'string') this.#protocolVersion = v;
  };

  async #post(body: Buffer, id: JsonRpcId, isInitialize: boolean): Promise<void> {
    try {
      const res = await this.#pool.request({
        path: this.#url.pathname + this.#url.search,
        method: 'POST',
        headers: this.#headers(),
        body,
      });
      if (isInitialize && typeof res.headers['mcp-session-id'] === 'string')
        this.#sessionId = res.headers['mcp-session-id'];
      if (res.statusCode === 202) return void (await res.body.dump());
      if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream'))
        return await this.#relaySse(res.body, isInitialize ? this.#noteVersion : undefined);
      const text = await res.body.text();
      if (res.statusCode >= 200 && res.statusCode < 300) {
        if (isInitialize) this.#noteVersion(text);
        return this.#events.onLine(Buffer.from(text));
      }
      // An HTTP error: pass on the upstream's JSON-RPC error if it wrote one, else make one for the request.
      const answer = safeParse(text);
      if (id !== null) {
        this.#events.onLine(
          Buffer.from(
            answer && 'error' in answer
              ? JSON.stringify({ ...answer, id })
              : JSON.stringify(rpcError(id, RpcErrorCode.SERVER_ERROR, `upstream answered HTTP ${res.statusCode}`)),
          ),
        );
      }
      if (res.statusCode === 404 && this.#sessionId !== undefined)
        this.#options.log.warn('upstream says the session is gone', { session: this.#sessionId });
    } catch (err) {
      this.#options.log.warn('upstream request failed', {
        upstream: this.label,
        error: (err as NodeJS.ErrnoException).code ?? (err as Error).message,
      });
      if (id !== null) this.#events.onLine(failureLine(id, err, this.#options.timeoutMs));
    }
  }

  /** The standalone GET stream for what the server starts on its own. 405 means the server offers none. */
  async #openStream(attempt = 0): Promise<void> {
    if (this.#closed || this.#sessionId === undefined) return;
    this.#stream = new AbortController();
    try {
      const res = await this.#pool.request({
        path: this.#url.pathname + this.#url.search,
        method: 'GET',
        headers: this.#headers({
          accept: 'text/event-stream',
          ...(this.#lastEventId ? { 'last-event-id': this.#lastEventId } : {}),
        }),
        signal: this.#stream.signal,
      });
      if (res.statusCode !== 200) {
        await res.body.dump();
        if (res.statusCode !== 405)
          this.#options.log.warn('upstream refused the GET stream', { status: res.statusCode });
        return;
      }
      await this.#relaySse(res.body);
      attempt = 0;
    } catch (err) {
      if (this.#closed) return;
      this.#options.log.debug('GET stream dropped', { error: (err as Error).message });
    }
    if (!this.#closed && attempt < 5) setTimeout(() => void this.#openStream(attempt + 1), 250 * 2 ** attempt).unref();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stream?.abort();
    await Promise.race([Promise.allSettled([...this.#inFlight]), new Promise((r) => setTimeout(r, 2_000))]);
    if (this.#sessionId !== undefined) {
      await this.#pool
        .request({
          path: this.#url.pathname + this.#url.search,
          method: 'DELETE',
          headers: this.#headers(),
          headersTimeout: 2_000,
        })
        .then(
          (r) => r.body.dump(),
          () => {},
        );
    }
    await this.#pool.destroy();
    this.#events.onClose({ expected: true, reason: 'closed' });
  }
}

/**
 * One legacy HTTP+SSE (2024-11-05) client session: GET the SSE endpoint, wait for its `endpoint` event, then POST
 * each message to that URL; everything the server says comes back as `message` events on the stream. The endpoint
 * must be on the same origin as the SSE URL (load never follows a server elsewhere).
 */
export class LegacySseChannel implements Channel {
  readonly label: string;
  readonly #sseUrl: URL;
  readonly #pool: Pool;
  readonly #options: HttpChannelOptions;
  readonly #events: ChannelEvents;
  readonly #abort = new AbortController();
  readonly #endpoint: Promise<URL>;
  #closing = false;

  constructor(sseUrl: URL, options: HttpChannelOptions, events: ChannelEvents) {
    this.label = sseUrl.href;
    this.#sseUrl = sseUrl;
    this.#options = options;
    this.#events = events;
    this.#pool = upstreamPool(sseUrl.origin, options.timeoutMs);
    let found: (url: URL) => void;
    let failed: (err: Error) => void;
    this.#endpoint = new Promise<URL>((resolve, reject) => {
      found = resolve;
      failed = reject;
    });
    this.#endpoint.catch(() => {}); // observed by send(); an unhandled rejection must not end the process
    void this.#listen(found!, failed!);
  }

  async #listen(found: (url: URL) => void, failed: (err: Error) => void): Promise<void> {
    let reason = 'SSE stream closed';
    try {
      const res = await this.#pool.request({
        path: this.#sseUrl.pathname + this.#sseUrl.search,
        method: 'GET',
        headers: { ...this.#options.headers, accept: 'text/event-stream' },
        signal: this.#abort.signal,
      });
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw new Error(`SSE endpoint answered HTTP ${res.statusCode}`);
      }
      const parser = createParser({
        onEvent: (event) => {
          if (event.event === 'endpoint') {
            const url = new URL(event.data, this.#sseUrl);
            if (url.origin !== this.#sseUrl.origin)
              return failed(new Error(`endpoint ${url.href} is not on ${this.#sseUrl.origin}`));
            return found(url);
          }
          if (event.data !== '') this.#events.onLine(Buffer.from(event.data));
        },
      });
      for await (const chunk of res.body) parser.feed(String(chunk));
    } catch (err) {
      reason = `SSE stream failed: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
      failed(err as Error);
    }
    failed(new Error(reason));
    void this.#pool.destroy();
    this.#events.onClose({ expected: this.#closing, reason });
  }

  send(line: Buffer): void {
    const copy = Buffer.from(line);
    void this.#endpoint.then(
      async (endpoint) => {
        try {
          const res = await this.#pool.request({
            path: endpoint.pathname + endpoint.search,
            method: 'POST',
            headers: { ...this.#options.headers, 'content-type': 'application/json' },
            body: copy,
          });
          await res.body.dump();
          if (res.statusCode >= 300) this.#reject(copy, new Error(`upstream answered HTTP ${res.statusCode}`));
        } catch (err) {
          this.#reject(copy, err);
        }
      },
      (err: unknown) => this.#reject(copy, err),
    );
  }

  #reject(line: Buffer, err: unknown): void {
    const message = classify(safeParse(line.toString('utf8')));
    if (message.kind === 'request') this.#events.onLine(failureLine(message.message.id, err, this.#options.timeoutMs));
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#abort.abort();
  }
}
