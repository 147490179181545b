/**
 * The proxy's HTTP/1.1 client for its upstreams: a keep-alive connection pool per origin on plain sockets, one
 * request per connection at a time, responses handed on chunk by chunk as they are read (an SSE stream is never
 * buffered). Written for the same reason as server.ts: on the request's critical path it runs far less code than
 * undici (see docs/proxy.md for the measurement).
 *
 * Idle connections are closed a second before the upstream's advertised keep-alive timeout (`Keep-Alive:
 * timeout=N`), or after 4 s without one, so a request is not written into a connection the upstream is closing;
 * at most `maxIdle` are kept. A connection that ended mid-exchange is never reused.
 */
import net from 'node:net';
import {
  BodyDecoder,
  BAD_HEAD,
  HttpParseError,
  keepAlive,
  parseResponseHead,
  responseFraming,
  scanHead,
  TOO_MANY_LINES,
  type Headers,
} from '../../core/protocol/http1-parse.js';
import { READ_BUFFERS, readView } from '../../core/protocol/head-scan.js';
import { writeMessage } from './write.js';
import { now, turn } from '../clock.js';

export interface UpstreamRequest {
  readonly method: string;
  /** Path and query. */
  readonly path: string;
  /** End-to-end fields only: the pool writes Host, Content-Length and nothing hop-by-hop. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /**
   * The same fields as lines to write as they are, in place of `headers` and `omit` (each line with its CRLF): a
   * request's as our server cut them out of its head (ProxyRequest.forwarded), which leaves out REQUEST_ONLY's.
   */
  readonly lines?: string;
  /** Names in `headers` not to write (a forwarded request's hop-by-hop fields and credentials). */
  readonly omit?: ReadonlySet<string>;
  /** Fields written after `headers`, replacing any of the same name there. */
  readonly extra?: Readonly<Record<string, string>>;
  /**
   * The values are known to hold no CR, LF or NUL (read by our parser, or checked when configured), so they are not
   * checked again here.
   */
  readonly trusted?: boolean;
  readonly body: Buffer | null;
  /** The response head must arrive within this long; 0 waits for ever. */
  readonly headersTimeoutMs: number;
}

export interface ResponseHandler {
  /** `forwarded`: the head's field lines as they came, but the hop-by-hop ones (ResponseHead.forwarded). */
  onResponseStart(status: number, headers: Headers, forwarded: string): void;
  /**
   * Return false to stop reading until the exchange's resume(). The chunk is the handler's to keep, unless
   * transientChunks is set.
   */
  onResponseData(chunk: Buffer): boolean;
  /**
   * Set when the handler is done with each chunk before onResponseData returns (it writes it on at once, or copies
   * it): the chunk may then be a view into the pool's read buffer, valid only during the call, and no copy is made.
   */
  readonly transientChunks?: boolean;
  onResponseEnd(): void;
  /** Called at most once, and never after onResponseEnd. */
  onResponseError(error: UpstreamError): void;
}

export type UpstreamErrorCode =
  'ECONNREFUSED' | 'HEADERS_TIMEOUT' | 'CLOSED' | 'BAD_RESPONSE' | 'POOL_CLOSED' | (string & {});

export class UpstreamError extends Error {
  constructor(
    readonly code: UpstreamErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

/** One request in flight. */
export interface UpstreamExchange {
  /** Stops the exchange: its connection is closed and the handler hears nothing more. */
  abort(): void;
  /** Reading continues after onResponseData returned false. */
  resume(): void;
}

export interface Http1PoolOptions {
  /** Idle connections kept for reuse. @default 1024 */
  readonly maxIdle?: number;
  /** How long an idle connection is kept when the upstream does not say. @default 4000 */
  readonly idleTimeoutMs?: number;
  /** A response handler threw (the exchange was failed and its connection closed). @default nothing */
  readonly onError?: (error: unknown) => void;
}

const MAX_HEAD_BYTES = 64 * 1024;
/**
 * Every upstream socket reads into this (one read is handled completely before the next), in the head scanner's
 * memory (core/protocol/head-scan.ts).
 */
const READ_BUFFER = READ_BUFFERS[1];
/** Its memory (each read of `.buffer` is a call into the runtime). */
const READ_MEMORY = READ_BUFFER.buffer;
const BAD_VALUE = /[\0\r\n]/;
const KEEP_ALIVE_TIMEOUT = /timeout=(\d+)/i;

class Exchange implements UpstreamExchange {
  decoder: BodyDecoder | undefined;
  done = false;

  constructor(
    readonly conn: Connection,
    readonly method: string,
    readonly handler: ResponseHandler,
  ) {}

  abort(): void {
    if (this.done) return;
    this.done = true;
    this.conn.destroy();
  }

  resume(): void {
    if (!this.done) this.conn.socket.resume();
  }

  fail(error: UpstreamError): void {
    if (this.done) return;
    this.done = true;
    try {
      this.handler.onResponseError(error);
    } catch (thrown) {
      this.conn.pool.onError(thrown);
    }
  }

  /** The response is complete (done is already set). */
  end(): void {
    try {
      this.handler.onResponseEnd();
    } catch (thrown) {
      this.conn.pool.onError(thrown);
    }
  }
}

class Connection {
  readonly socket: net.Socket;
  /** How long this connection may idle before reuse is unsafe, from the last response (ms). */
  keepMs = 0;
  /** When an idle connection must no longer be used (ms since epoch). */
  expires = 0;
  #buf: Buffer | undefined;
  #exchange: Exchange | undefined;
  #reusable = false;
  #error: NodeJS.ErrnoException | undefined;
  #dead = false;
  /** When the response head is due (ms since epoch); 0 when no head is awaited. */
  #deadline = 0;
  /**
   * One timer per connection, armed only when none is pending or the new deadline comes before it: when it fires
   * early (requests kept coming), it re-arms itself for what is left of the current wait; when no head is awaited it
   * lapses. A refresh() per request cost ~1.5% of the proxy's busy time at saturation (the timer list re-sorted on
   * every call), and a connection holding an SSE stream lets its timer lapse when the head's wait would have ended.
   */
  #timer: NodeJS.Timeout | undefined;
  /** When the pending timer fires (ms since epoch). */
  #timerDue = 0;
  #limitMs = 0;

  constructor(
    readonly pool: Http1Pool,
    url: URL,
  ) {
    this.socket = net.connect({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port || 80),
      noDelay: true,
      // Reads land in one shared buffer instead of a new Buffer and a trip through the stream machinery per read;
      // #onData copies whatever it keeps.
      // Each read is one turn of the proxy's clock (../clock.ts); pausing, when a slow client needs it, is done by the
      // decoder.
      onread: { buffer: READ_BUFFER, callback: (n: number) => turn(this.#read, n) },
    });
    this.socket.on('error', (error: NodeJS.ErrnoException) => (this.#error ??= error));
    this.socket.on('close', () => this.#onClose());
  }

  get dead(): boolean {
    return this.#dead;
  }

  send(request: UpstreamRequest, handler: ResponseHandler): Exchange {
    const ex = new Exchange(this, request.method, handler);
    this.#exchange = ex;
    let head = `${request.method} ${request.path} HTTP/1.1\r\nhost: ${this.pool.host}\r\n`;
    const { headers, omit, extra, lines } = request;
    const check = request.trusted !== true;
    if (lines !== undefined) head += lines;
    else
      for (const name in headers) {
        const value = headers[name];
        if (value === undefined || omit?.has(name) === true || (extra !== undefined && extra[name] !== undefined))
          continue;
        if (typeof value === 'string') head += check ? fieldLine(name, value) : `${name}: ${value}\r\n`;
        else for (const v of value) head += fieldLine(name, v);
      }
    if (extra !== undefined)
      for (const name in extra) head += check ? fieldLine(name, extra[name]!) : `${name}: ${extra[name]}\r\n`;
    const body = request.body;
    if (body !== null) head += `content-length: ${body.length}\r\n\r\n`;
    else
      head +=
        request.method === 'POST' || request.method === 'PUT' || request.method === 'PATCH'
          ? 'content-length: 0\r\n\r\n'
          : '\r\n';
    if (request.headersTimeoutMs > 0) this.#armTimeout(request.headersTimeoutMs);
    writeMessage(this.socket, head, body !== null && body.length > 0 ? body : undefined);
    return ex;
  }

  destroy(): void {
    this.#dead = true;
    this.socket.destroy();
  }

  #armTimeout(ms: number): void {
    const deadline = now() + ms;
    this.#deadline = deadline;
    this.#limitMs = ms;
    if (this.#timer !== undefined) {
      if (this.#timerDue <= deadline) return; // the common case: it fires first and re-arms for the rest
      clearTimeout(this.#timer);
    }
    this.#schedule(deadline, ms);
  }

  #schedule(due: number, ms: number): void {
    this.#timerDue = due;
    this.#timer = setTimeout(this.#onTimer, ms);
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    if (this.#deadline === 0 || this.#dead) return;
    const left = this.#deadline - now();
    if (left > 0) return this.#schedule(this.#deadline, left);
    this.#exchange?.fail(new UpstreamError('HEADERS_TIMEOUT', `no response head within ${this.#limitMs} ms`));
    this.destroy();
  };

  /**
   * The body decoder's sink, for the exchange in progress (one function per connection, not a closure per response).
   * `data` may be a view into the shared read buffer: a handler that keeps chunks is given a copy.
   */
  readonly #onBody = (data: Buffer): void => {
    const ex = this.#exchange;
    if (ex === undefined || ex.done) return;
    const handler = ex.handler;
    if (!handler.onResponseData(handler.transientChunks === true ? data : Buffer.from(data))) this.socket.pause();
  };

  readonly #read = (n: number): boolean => {
    this.#onData(readView(1, n));
    return true;
  };

  /** `chunk` is a view into READ_BUFFER: valid until this returns. */
  #onData(chunk: Buffer): void {
    if (this.#dead) return;
    this.#buf = this.#buf === undefined ? chunk : Buffer.concat([this.#buf, chunk]);
    try {
      this.#parse();
    } catch (error) {
      // A malformed response, or a handler that threw: either way this exchange and its connection are over, and
      // nothing thrown here may reach the socket's read callback (it would end the process).
      const ex = this.#exchange;
      this.destroy();
      const failure =
        error instanceof HttpParseError
          ? new UpstreamError('BAD_RESPONSE', `upstream sent a malformed response: ${error.message}`)
          : new UpstreamError('HANDLER_ERROR', `the response could not be passed on: ${(error as Error).message}`);
      ex?.fail(failure);
      if (!(error instanceof HttpParseError)) this.pool.onError(error);
    }
    if (this.#buf !== undefined && this.#buf.buffer === READ_MEMORY) this.#buf = Buffer.from(this.#buf); // kept: copy it out
  }

  #parse(): void {
    while (this.#buf !== undefined && !this.#dead) {
      const ex = this.#exchange;
      if (ex === undefined || ex.done) {
        // Bytes nobody asked for: the connection cannot be trusted.
        this.destroy();
        return;
      }
      if (ex.decoder === undefined) {
        const end = scanHead(this.#buf, MAX_HEAD_BYTES);
        if (end === BAD_HEAD)
          throw new HttpParseError(502, 'a control character, or a bare CR or LF, in the response head');
        if (end === TOO_MANY_LINES) throw new HttpParseError(502, 'too many header fields in the response head');
        if (end === -1) {
          if (this.#buf.length > MAX_HEAD_BYTES) throw new HttpParseError(502, 'response head too large');
          return;
        }
        const head = parseResponseHead(this.#buf, 0, end);
        if (head.status < 200) {
          if (head.status === 101) throw new HttpParseError(502, 'unexpected protocol switch');
          this.#consume(end);
          continue; // 100 Continue and other interim answers
        }
        const framing = responseFraming(head, ex.method);
        this.#deadline = 0;
        this.#reusable = framing.kind !== 'close' && keepAlive(head.minor, head.headers);
        if (this.#reusable) {
          this.keepMs = this.pool.keepMs(head.headers['keep-alive']);
          if (this.keepMs <= 0) this.#reusable = false;
        }
        ex.decoder = new BodyDecoder(framing, this.#onBody);
        ex.handler.onResponseStart(head.status, head.headers, head.forwarded);
        if (ex.done) return; // aborted by the handler
        // The body that came with the head is read from where the head ends; both are consumed together (one view of
        // the buffer fewer per response).
        this.#consume(end + ex.decoder.push(this.#buf, end));
      } else this.#consume(ex.decoder.push(this.#buf, 0));
      if (ex.done) return;
      if (!ex.decoder.done) return;
      this.#complete(ex);
    }
  }

  #complete(ex: Exchange): void {
    ex.done = true;
    this.#exchange = undefined;
    // A slow client may have paused reading during the last read of this response; its resume would never come
    // (the exchange is done), and a paused connection in the idle pool stalls the next request for the timeout.
    if (this.socket.isPaused()) this.socket.resume();
    if (this.#reusable && this.#buf === undefined) this.pool.release(this);
    else this.destroy();
    ex.end();
  }

  #consume(n: number): void {
    const buf = this.#buf!;
    this.#buf = n >= buf.length ? undefined : buf.subarray(n);
  }

  #onClose(): void {
    this.#dead = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.pool.forget(this);
    const ex = this.#exchange;
    this.#exchange = undefined;
    if (ex === undefined || ex.done) return;
    if (ex.decoder !== undefined && ex.decoder.end()) {
      ex.done = true;
      ex.end(); // a body delimited by the connection's end
      return;
    }
    const code = this.#error?.code ?? 'CLOSED';
    ex.fail(
      new UpstreamError(
        code,
        code === 'CLOSED'
          ? 'upstream closed the connection before the response was complete'
          : `upstream connection failed: ${code}`,
      ),
    );
  }
}

function fieldLine(name: string, value: string): string {
  if (BAD_VALUE.test(value)) throw new UpstreamError('BAD_REQUEST', `invalid character in header ${name}`);
  return `${name}: ${value}\r\n`;
}

/** Keep-alive connections to one origin. */
export class Http1Pool {
  readonly host: string;
  readonly idleTimeoutMs: number;
  readonly onError: (error: unknown) => void;
  readonly #url: URL;
  readonly #maxIdle: number;
  readonly #idle: Connection[] = [];
  readonly #all = new Set<Connection>();
  readonly #timer: NodeJS.Timeout;
  #closed = false;

  constructor(origin: URL, options: Http1PoolOptions = {}) {
    this.#url = origin;
    this.host = origin.host;
    this.#maxIdle = options.maxIdle ?? 1024;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 4_000;
    this.onError = options.onError ?? (() => {});
    this.#timer = setInterval(() => this.#sweep(), 1_000);
    this.#timer.unref();
  }

  #keepHint: string | undefined;
  #keepHintMs = 0;

  /** @internal How long a connection may idle after a response with this Keep-Alive field (the last one is kept). */
  keepMs(hint: string | string[] | undefined): number {
    if (hint === undefined) return this.idleTimeoutMs;
    const text = String(hint);
    if (text !== this.#keepHint) {
      const timeout = KEEP_ALIVE_TIMEOUT.exec(text);
      this.#keepHint = text;
      this.#keepHintMs = timeout === null ? this.idleTimeoutMs : Number(timeout[1]) * 1000 - 1000;
    }
    return this.#keepHintMs;
  }

  /** Connections open, busy or idle. */
  get connections(): number {
    return this.#all.size;
  }

  get idle(): number {
    return this.#idle.length;
  }

  dispatch(request: UpstreamRequest, handler: ResponseHandler): UpstreamExchange {
    if (this.#closed) {
      const ex = { abort() {}, resume() {} };
      queueMicrotask(() => handler.onResponseError(new UpstreamError('POOL_CLOSED', 'the upstream pool is closed')));
      return ex;
    }
    return this.#acquire().send(request, handler);
  }

  /** A whole small exchange, for health checks and clean-up requests: status and body. */
  request(request: UpstreamRequest): Promise<{ status: number; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let status = 0;
      this.dispatch(request, {
        onResponseStart: (s) => void (status = s),
        onResponseData: (chunk) => chunks.push(chunk) > 0,
        onResponseEnd: () => resolve({ status, body: Buffer.concat(chunks) }),
        onResponseError: reject,
      });
    });
  }

  /** @internal a connection finished its exchange and may be reused */
  release(conn: Connection): void {
    if (this.#closed || this.#idle.length >= this.#maxIdle) return conn.destroy();
    conn.expires = now() + conn.keepMs;
    this.#idle.push(conn);
  }

  /** @internal */
  forget(conn: Connection): void {
    this.#all.delete(conn);
    const i = this.#idle.indexOf(conn);
    if (i !== -1) this.#idle.splice(i, 1);
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    for (const conn of this.#all) conn.destroy();
    this.#idle.length = 0;
  }

  #acquire(): Connection {
    const time = now();
    // Most recently used first: the connection least likely to be closing.
    for (let conn = this.#idle.pop(); conn !== undefined; conn = this.#idle.pop()) {
      if (!conn.dead && conn.expires > time) return conn;
      conn.destroy();
    }
    const conn = new Connection(this, this.#url);
    this.#all.add(conn);
    return conn;
  }

  #sweep(): void {
    const time = now();
    for (const conn of [...this.#idle]) if (conn.expires <= time) conn.destroy();
  }
}
