/**
 * The proxy's HTTP/1.1 server: net sockets, core/protocol/http1-parse.ts's parser, and a request/response pair with only what a proxy
 * needs. It exists for latency. On this 2-vCPU VM at 1,000 req/s, node:http's server and undici's client together
 * cost ~250 µs of CPU per proxied request, almost all of it on the request's critical path, against ~45 µs when the
 * same code runs hot; a proxy on plain sockets touches far less code per request and adds ~120 µs (experiment in
 * docs/proxy.md). Everything a client may send is still handled: keep-alive, pipelining (answered in order),
 * chunked request bodies, Expect: 100-continue, HTTP/1.0; limits on the head (431) and timeouts for slow clients.
 *
 * A response is framed by Content-Length when it is known when the head goes out (always for `end(body)` alone),
 * else chunked (HTTP/1.1) or close-delimited (HTTP/1.0): SSE streams are chunked.
 */
import { Buffer } from 'node:buffer';
import { STATUS_CODES } from 'node:http';
import net from 'node:net';
import {
  BodyDecoder,
  BAD_HEAD,
  HttpParseError,
  keepAlive,
  parseRequestHead,
  requestFraming,
  scanHead,
  TOO_MANY_LINES,
  type Headers,
} from '../../core/protocol/http1-parse.js';
import { READ_BUFFERS, readView } from '../../core/protocol/head-scan.js';
import { writeMessage } from './write.js';
import { httpDate, now, turn } from '../clock.js';

const EMPTY = Buffer.alloc(0);

export interface Http1ServerOptions {
  /** Request bodies are kept up to this many bytes; a longer one is read and dropped (readBody reports it). */
  readonly maxBodyBytes: number;
  /** @default 16384, as node:http */
  readonly maxHeadBytes?: number;
  /** An idle keep-alive connection is closed after this long. @default 30000 */
  readonly keepAliveTimeoutMs?: number;
  /** A request whose head and body have not all arrived after this long gets 408. @default 60000 */
  readonly requestTimeoutMs?: number;
  /** How often idle connections and slow requests are looked for (one sweep for all, not a timer each). @default 1000 */
  readonly sweepMs?: number;
  /** HTTP/1.1 requests without exactly one Host header get 400 (RFC 9112 §3.2). @default true */
  readonly requireHost?: boolean;
  /**
   * A request listener or a response listener threw: the server answers 500 (or cuts the connection when an answer
   * has begun) and keeps serving; this hears about it. @default nothing
   */
  readonly onError?: (error: unknown) => void;
}

export type RequestListener = (req: ProxyRequest, res: ProxyResponse) => void;

/** What the proxy reads of a request. */
export class ProxyRequest {
  readonly method: string;
  readonly url: string;
  /** url up to its query, and the query from its '?' ('' for none): cut once, by the parse's reading of the target. */
  readonly path: string;
  readonly query: string;
  readonly headers: Headers;
  /** The field lines to pass on to an upstream, as they came: all but the hop-by-hop ones, framing and credentials. */
  readonly forwarded: string;
  /** What Content-Length declares (0 without one, and for a chunked body, whose length is not known until its end). */
  readonly contentLength: number;
  readonly remoteAddress: string;
  readonly #maxBodyBytes: number;
  /**
   * The body so far. The first piece is copied into a Buffer of its own size (the socket reads into one buffer shared
   * by every connection, so what is kept must be copied out; a body that arrives in one read, the common case, is
   * one small allocation from Node's pool); from the second piece on, pieces are copied into one growing buffer.
   * Keeping every piece instead cost a Buffer object per chunk: 4,000,000 one-byte chunks grew RSS by 487 MiB
   * (25 MiB now).
   */
  #data: Buffer = EMPTY;
  #owned = false;
  #size = 0;
  #complete = false;
  #waiter: ((body: Buffer | undefined) => void) | undefined;

  constructor(
    method: string,
    url: string,
    headers: Headers,
    remoteAddress: string,
    maxBodyBytes: number,
    forwarded: string,
    contentLength = 0,
    queryAt = url.indexOf('?'),
  ) {
    this.method = method;
    this.url = url;
    this.path = queryAt < 0 ? url : url.slice(0, queryAt);
    this.query = queryAt < 0 ? '' : url.slice(queryAt);
    this.headers = headers;
    this.forwarded = forwarded;
    this.contentLength = contentLength;
    this.remoteAddress = remoteAddress;
    this.#maxBodyBytes = maxBodyBytes;
  }

  /** Whether the whole body has arrived. */
  get complete(): boolean {
    return this.#complete;
  }

  /** Calls back once the body is complete: its bytes, or undefined when it was longer than maxBodyBytes. */
  readBody(callback: (body: Buffer | undefined) => void): void {
    if (this.#complete) callback(this.#body());
    else this.#waiter = callback;
  }

  /** The body when it has all arrived and is at most `limit` bytes, else undefined (never waits). */
  peekBody(limit: number): Buffer | undefined {
    return this.#complete && this.#size <= limit ? this.#body() : undefined;
  }

  /** @internal the connection's parser */
  pushBody(chunk: Buffer): void {
    const used = this.#size;
    const size = (this.#size = used + chunk.length);
    if (size > this.#maxBodyBytes) {
      this.#data = EMPTY; // too large: read and dropped from here on
      return;
    }
    if (used === 0) {
      this.#data = Buffer.from(chunk);
      return;
    }
    if (!this.#owned || size > this.#data.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.#maxBodyBytes, Math.max(size * 2, 16_384)));
      this.#data.copy(grown, 0, 0, used);
      this.#data = grown;
      this.#owned = true;
    }
    chunk.copy(this.#data, used);
  }

  /** @internal */
  finishBody(): void {
    this.#complete = true;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.(this.#body());
  }

  #body(): Buffer | undefined {
    if (this.#size > this.#maxBodyBytes) return undefined;
    return this.#data.length === this.#size ? this.#data : this.#data.subarray(0, this.#size);
  }
}

const MAX_WAITING_BYTES = 1024 * 1024;

/**
 * Every connection's reads land here, one at a time (the server runs on one thread): see readIntoSharedBuffer. It is
 * in the head scanner's memory, which scans a head where it landed (core/protocol/head-scan.ts).
 */
export const READ_BUFFER = READ_BUFFERS[0];
/** Its memory (each read of `.buffer` is a call into the runtime). */
const READ_MEMORY = READ_BUFFER.buffer;

/**
 * The accepted socket's handle, moved to a socket that reads through `onread` into READ_BUFFER: no Buffer allocated
 * per read and no trip through the Readable machinery ('data' via push, emit and the flowing-mode bookkeeping), as
 * the proxy's upstream connections read (client.ts). `onread` is a public option of `new net.Socket()`, but a server
 * has no way to pass it to the sockets it accepts, so the handle is taken over: the server accepts paused
 * (`pauseOnConnect`, nothing read yet), the new socket adopts the handle (`handle`, the option Node's own accept
 * uses) and counts against the server in place of the first (`_server`, so `close()` still waits for it), and the
 * first, left without a handle, is dropped. Measured on the reverse path: see docs/proxy.md. Undefined when the
 * socket has no handle. Exported for scripts/framing-forwarder.ts, a probe that reads as the proxy does.
 */
export function readIntoSharedBuffer(accepted: net.Socket, onRead: (n: number) => boolean): net.Socket | undefined {
  const internal = accepted as unknown as { _handle: unknown; _server: net.Server | null };
  if (typeof internal._handle !== 'object' || internal._handle === null) return undefined;
  const socket = new net.Socket({
    handle: internal._handle,
    readable: true,
    writable: true,
    onread: { buffer: READ_BUFFER, callback: onRead },
  } as net.SocketConstructorOpts);
  internal._handle = null;
  (socket as unknown as { _server: net.Server | null })._server = internal._server;
  internal._server = null;
  return socket;
}
const BAD_VALUE = /[\0\r\n]/;

export type ResponseEvent = 'drain' | 'finish' | 'close';

/**
 * The response half: the subset of node:http's ServerResponse the proxy uses, with the same meaning. Events:
 * 'drain' (write may continue), 'finish' (the whole response was handed to the socket), 'close' (once: after
 * finish, or when the connection went away first). Listeners are kept in a plain array per event rather than an
 * EventEmitter: a response is made per request and usually has two listeners.
 */
export class ProxyResponse {
  statusCode = 200;
  #onDrain: Array<() => void> | undefined;
  #onFinish: Array<() => void> | undefined;
  #onClose: Array<() => void> | undefined;
  #headers: Record<string, string | number | readonly string[]> = {};
  /** writeHeadFrom's fields, the names of them not to send, and its lines to send as they came. */
  #passed: Headers | undefined;
  #omit: ReadonlySet<string> | undefined;
  #lines: string | undefined;
  #headSent = false;
  #ended = false;
  #finished = false;
  #closed = false;
  #chunked = false;
  #noBody: boolean;

  constructor(
    private readonly conn: Connection,
    private readonly head: boolean,
  ) {
    this.#noBody = head;
  }

  on(event: ResponseEvent, listener: () => void): this {
    if (event === 'finish') (this.#onFinish ??= []).push(listener);
    else if (event === 'close') (this.#onClose ??= []).push(listener);
    else (this.#onDrain ??= []).push(listener);
    return this;
  }

  /** 'finish' and 'close' come at most once, so `once` is `on` for them; a 'drain' listener stays. */
  once(event: 'finish' | 'close', listener: () => void): this {
    return this.on(event, listener);
  }

  /** @internal */
  emit(event: ResponseEvent): void {
    let listeners: Array<() => void> | undefined;
    if (event === 'finish') {
      listeners = this.#onFinish;
      this.#onFinish = undefined;
    } else if (event === 'close') {
      listeners = this.#onClose;
      this.#onClose = undefined;
    } else listeners = this.#onDrain;
    if (listeners === undefined) return;
    for (const listener of listeners) {
      try {
        listener();
      } catch (error) {
        this.conn.listenerFailed(this, error); // one bad listener must not take the process down
      }
    }
  }

  get headersSent(): boolean {
    return this.#headSent;
  }

  get writableEnded(): boolean {
    return this.#ended;
  }

  get writableFinished(): boolean {
    return this.#finished;
  }

  get destroyed(): boolean {
    return this.#closed && !this.#finished;
  }

  /** Bytes written but not yet taken by the kernel: how far a slow reader is behind. */
  get bufferedBytes(): number {
    return this.conn.socket.writableLength;
  }

  setHeader(name: string, value: string | number | readonly string[]): this {
    if (this.#headSent) throw new Error('headers already sent');
    this.#headers[name.toLowerCase()] = value;
    return this;
  }

  getHeader(name: string): string | number | readonly string[] | undefined {
    return this.#field(name.toLowerCase());
  }

  /** A field by its lowercase name: set on this response, else passed on by writeHeadFrom. */
  #field(lower: string): string | number | readonly string[] | undefined {
    return this.#headers[lower] ?? (this.#omit?.has(lower) === true ? undefined : this.#passed?.[lower]);
  }

  writeHead(status: number, headers?: Readonly<Record<string, string | number | readonly string[]>>): this {
    if (this.#headSent) throw new Error('headers already sent');
    this.statusCode = status;
    if (headers !== undefined) for (const name in headers) this.#headers[name.toLowerCase()] = headers[name]!;
    return this;
  }

  /**
   * The head of an answer passed on: `headers` as our parser read them (names lowercase, values free of CR, LF and
   * NUL), less the names in `omit`, taken as they are — no copy, no second check. Fields set on this response win.
   * With `lines`, the same fields as the parser cut them out of the head (ResponseHead.forwarded: those in `omit`
   * already left out), written as they came rather than one line per field — unless a field set on this response
   * has the name of one of them.
   */
  writeHeadFrom(status: number, headers: Headers, omit: ReadonlySet<string>, lines?: string): this {
    if (this.#headSent) throw new Error('headers already sent');
    this.statusCode = status;
    this.#passed = headers;
    this.#omit = omit;
    this.#lines = lines;
    return this;
  }

  /** Sends the head now, before any body: an SSE stream is open for the client from here on. */
  flushHeaders(): void {
    if (!this.#headSent && !this.#closed) this.conn.send(this.#head(undefined), undefined);
  }

  write(chunk: string | Buffer): boolean {
    if (this.#ended) throw new Error('write after end');
    if (this.#closed) return false;
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const head = this.#headSent ? undefined : this.#head(undefined);
    if (data.length === 0 || this.#noBody) return head === undefined ? true : this.conn.send(head, undefined);
    if (this.#chunked) return this.conn.send(`${head ?? ''}${data.length.toString(16)}\r\n`, data, '\r\n');
    return this.conn.send(head, data);
  }

  end(chunk?: string | Buffer): this {
    if (this.#ended) return this;
    this.#ended = true;
    if (this.#closed) return this;
    const data = chunk === undefined ? undefined : typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (!this.#headSent) {
      // The whole body is known: one write, framed by its length.
      if (this.#field('content-length') === undefined && !this.#noBody && bodyAllowed(this.statusCode))
        this.#headers['content-length'] = data?.length ?? 0;
      this.conn.send(this.#head(data), this.#noBody ? undefined : data);
    } else if (this.#chunked) {
      this.conn.send(
        data !== undefined && data.length > 0 ? `${data.length.toString(16)}\r\n` : undefined,
        data !== undefined && data.length > 0 ? data : undefined,
        '\r\n0\r\n\r\n'.slice(data !== undefined && data.length > 0 ? 0 : 2),
      );
    } else if (data !== undefined && data.length > 0 && !this.#noBody) {
      this.conn.send(undefined, data);
    }
    this.#finished = true;
    this.emit('finish');
    this.conn.responseDone(this);
    return this;
  }

  /** Cuts the connection: the client sees the response end abruptly. */
  destroy(_error?: Error): void {
    this.conn.destroy();
  }

  /** @internal the connection went away */
  closed(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.emit('close');
  }

  #head(body: Buffer | undefined): string {
    this.#headSent = true;
    const status = this.statusCode;
    const headers = this.#headers;
    if (!bodyAllowed(status)) this.#noBody = true;
    let text = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
    // The three fields this head depends on are noted as they are written (what #field would find, without looking
    // each up again on both objects and in the omit set).
    let date = false;
    let length = false;
    let connection: string | number | readonly string[] | undefined;
    const passed = this.#passed;
    if (passed !== undefined) {
      const omit = this.#omit!;
      let lines = this.#lines;
      if (lines !== undefined) for (const name in headers) if (passed[name] !== undefined) lines = undefined;
      if (lines !== undefined) {
        text += lines;
        date = passed.date !== undefined && !omit.has('date');
        length = passed['content-length'] !== undefined && !omit.has('content-length');
        if (!omit.has('connection')) connection = passed.connection;
      } else
        for (const name in passed) {
          const value = passed[name];
          if (value === undefined || omit.has(name) || headers[name] !== undefined) continue;
          if (typeof value === 'string') text += `${name}: ${value}\r\n`;
          else for (const v of value) text += `${name}: ${v}\r\n`;
          if (name === 'date') date = true;
          else if (name === 'content-length') length = true;
          else if (name === 'connection') connection = value;
        }
    }
    for (const name in headers) {
      const value = headers[name] as string | number | readonly string[] | undefined;
      // A JavaScript caller's undefined is no field, as #field reads it: not written (it was, as "undefined"), not noted.
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const v of value) text += headerLine(name, v);
      else text += headerLine(name, String(value));
      if (name === 'date') date = true;
      else if (name === 'content-length') length = true;
      else if (name === 'connection') connection = value;
    }
    if (!date) text += `date: ${httpDate()}\r\n`;
    if (!length && !this.#noBody && body === undefined) {
      if (this.conn.chunkedAllowed) {
        this.#chunked = true;
        text += 'transfer-encoding: chunked\r\n';
      } else this.conn.keepAlive = false; // HTTP/1.0: the body ends when the connection does
    }
    const close = connection !== undefined && /close/i.test(String(connection));
    if (close) this.conn.keepAlive = false;
    else if (!this.conn.keepAlive) text += 'connection: close\r\n';
    else if (!this.conn.chunkedAllowed) text += 'connection: keep-alive\r\n'; // HTTP/1.0 keeps it only when told
    return `${text}\r\n`;
  }
}

function headerLine(name: string, value: string): string {
  if (BAD_VALUE.test(value)) throw new Error(`invalid character in header ${name}`);
  return `${name}: ${value}\r\n`;
}

/** An LF not preceded by CR, anywhere in `buf`. */
function hasBareLf(buf: Buffer): boolean {
  for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, i + 1))
    if (i === 0 || buf[i - 1] !== 0x0d) return true;
  return false;
}

function bodyAllowed(status: number): boolean {
  return status >= 200 && status !== 204 && status !== 304;
}

/** One client connection: parses requests in order and answers them in order. */
class Connection {
  keepAlive = true;
  chunkedAllowed = true;
  /** now() (monotonic ms) when the connection last went idle, or when the request being read began. */
  since = now();
  #buf: Buffer | undefined;
  #request: ProxyRequest | undefined;
  #response: ProxyResponse | undefined;
  #decoder: BodyDecoder | undefined;
  #parsing = false;
  #dead = false;
  /** The client's address, read once (each read of socket.remoteAddress is a getpeername call into libuv). */
  #remote: string | undefined;

  readonly socket: net.Socket;

  constructor(
    accepted: net.Socket,
    private readonly server: Http1Server,
  ) {
    // Each read is one turn of the proxy's clock (../clock.ts); pausing, behind a slow answer, is done by #onData.
    const socket = (this.socket = readIntoSharedBuffer(accepted, (n) => turn(this.#read, n)) ?? accepted);
    // A socket with no handle to take over (an in-memory Duplex a test hands to the server) is read as a stream.
    if (socket === accepted) socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => this.#response?.emit('drain'));
    socket.on('error', () => {}); // a reset client; 'close' follows
    // A client that closes its side has gone, as node:http reads it too: an answer still being worked on is
    // abandoned ('close' on the response tells its handler, which cancels upstream work).
    socket.on('end', () => this.destroy());
    socket.on('close', () => this.#onClose());
  }

  /** Nothing read on it yet: a new connection waiting for its first request (not a kept-alive one). */
  fresh = true;

  /** Idle: no request read or answered right now. */
  get idle(): boolean {
    return this.#response === undefined && this.#request === undefined && this.#buf === undefined;
  }

  /** Reading a request whose head or body has not all arrived (bytes waiting behind an answer do not count). */
  get reading(): boolean {
    return this.#request !== undefined ? !this.#request.complete : this.#buf !== undefined;
  }

  /** Writes a head and/or body in one system call. */
  send(head: string | undefined, body: Buffer | undefined, tail?: string): boolean {
    return writeMessage(this.socket, head, body, tail);
  }

  responseDone(res: ProxyResponse): void {
    if (res !== this.#response) return;
    this.#response = undefined;
    const request = this.#request;
    res.closed();
    if (!this.keepAlive || (request !== undefined && !request.complete)) {
      // Answered before its body arrived (a refusal): the rest of the body cannot be told from a next request.
      this.#dead = true;
      this.socket.end();
      return;
    }
    if (request?.complete) this.#request = undefined;
    this.since = now();
    if (this.#buf !== undefined) {
      this.#parse();
      if (this.socket.isPaused() && (this.#buf === undefined || this.#buf.length < MAX_WAITING_BYTES))
        this.socket.resume();
    }
  }

  destroy(): void {
    this.#dead = true;
    this.socket.destroy();
  }

  #onClose(): void {
    this.#dead = true;
    this.server.forget(this);
    this.#response?.closed();
    this.#response = undefined;
  }

  /** The body decoder's sink: the request being read (one function per connection, not a closure per request). */
  readonly #pushBody = (chunk: Buffer): void => this.#request!.pushBody(chunk);

  readonly #read = (n: number): boolean => {
    this.#onData(readView(0, n));
    return true;
  };

  /** `chunk` is a view into READ_BUFFER: valid until this returns. */
  #onData(chunk: Buffer): void {
    if (this.#dead) return;
    this.fresh = false;
    if (this.#buf === undefined) {
      if (this.#request === undefined) this.since = now(); // a new request begins
      this.#buf = chunk;
    } else this.#buf = Buffer.concat([this.#buf, chunk]);
    this.#parse();
    if (this.#buf !== undefined && this.#buf.buffer === READ_MEMORY) this.#buf = Buffer.from(this.#buf); // kept: copy it out
    // Pipelined requests waiting behind a slow answer: stop reading rather than buffer without bound.
    if (this.#buf !== undefined && this.#buf.length >= MAX_WAITING_BYTES) this.socket.pause();
  }

  #parse(): void {
    if (this.#parsing) return;
    this.#parsing = true;
    try {
      this.#parseLoop();
    } catch (error) {
      if (!(error instanceof HttpParseError)) throw error;
      this.#refuse(error.status, error.message);
    } finally {
      this.#parsing = false;
    }
  }

  #parseLoop(): void {
    while (this.#buf !== undefined && !this.#dead) {
      let buf = this.#buf;
      if (this.#decoder !== undefined) {
        const used = this.#decoder.push(buf, 0);
        this.#consume(used);
        if (!this.#decoder.done) return;
        this.#decoder = undefined;
        // The body's reader runs the request's handler from here on: what it throws fails that request alone.
        try {
          this.#request!.finishBody();
        } catch (error) {
          if (this.#response !== undefined) this.listenerFailed(this.#response, error);
          else this.server.onError(error);
        }
        continue;
      }
      // The next request waits until the one before it is answered (responses go out in request order).
      if (this.#response !== undefined || this.#request !== undefined) return;
      let start = 0;
      while (start + 1 < buf.length && buf[start] === 0x0d && buf[start + 1] === 0x0a) start += 2; // stray CRLFs between requests
      if (start > 0) {
        this.#consume(start);
        if (this.#buf === undefined) return;
        buf = this.#buf;
      }
      // A head with bare-LF line endings never shows CRLFCRLF: the scan refuses it at its first LF, rather than the
      // request timeout long after.
      const end = scanHead(buf, this.server.maxHeadBytes);
      if (end === BAD_HEAD)
        throw new HttpParseError(
          400,
          hasBareLf(buf)
            ? 'bare LF in the request head (lines must end with CRLF)'
            : 'a control character, or a bare CR or LF, in the head',
        );
      if (end === TOO_MANY_LINES) return this.#refuse(431, 'too many header fields');
      if (end === -1) {
        if (buf.length > this.server.maxHeadBytes) this.#refuse(431, 'request head too large');
        return;
      }
      const head = parseRequestHead(buf, 0, end);
      if (this.server.requireHost && head.minor === 1 && head.headers.host === undefined)
        throw new HttpParseError(400, 'missing Host header');
      const framing = requestFraming(head);
      // Only 100-continue is known; anything else is refused whether a body follows or not, as node:http does.
      const expect = head.headers.expect;
      const expectContinue = expect !== undefined && (expect as string).toLowerCase() === '100-continue';
      this.keepAlive = keepAlive(head.minor, head.headers);
      this.chunkedAllowed = head.minor === 1;
      const req = new ProxyRequest(
        head.method,
        head.url,
        head.headers,
        (this.#remote ??= this.socket.remoteAddress ?? 'unknown'),
        this.server.maxBodyBytes,
        head.forwarded,
        framing.kind === 'length' ? framing.length : 0,
        head.query,
      );
      const res = new ProxyResponse(this, head.method === 'HEAD');
      this.#request = req;
      this.#response = res;
      this.since = now();
      if (expect !== undefined && !expectContinue) {
        this.#consume(end);
        return this.#refuseRequest(res, 417, 'unsupported Expect');
      }
      if (framing.kind === 'none') {
        this.#consume(end);
        req.finishBody();
      } else {
        if (expectContinue) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
        this.#decoder = new BodyDecoder(framing, this.#pushBody);
        // Whatever of the body already arrived is read before the request is handed on: usually all of it. It is read
        // from where the head ends, and head and body consumed together (one view of the buffer fewer per request).
        this.#consume(end + this.#decoder.push(buf, end));
        if (this.#decoder.done) {
          this.#decoder = undefined;
          req.finishBody();
        }
      }
      try {
        this.server.listener(req, res);
      } catch (error) {
        this.listenerFailed(res, error);
      }
    }
  }

  /** A listener threw: answer 500 if nothing was sent yet, else cut the connection; the server carries on. */
  listenerFailed(res: ProxyResponse, error: unknown): void {
    this.server.onError(error);
    if (this.#dead) return;
    if (res === this.#response && !res.headersSent && !res.writableEnded) {
      this.keepAlive = false;
      const text = JSON.stringify({
        jsonrpc: '2.0',
        id: null,
        error: { code: -32603, message: 'internal proxy error' },
      });
      res.writeHead(500, { 'content-type': 'application/json' }).end(text);
    } else this.destroy();
  }

  #consume(n: number): void {
    const buf = this.#buf!;
    if (n >= buf.length) this.#buf = undefined;
    else if (n > 0) this.#buf = buf.subarray(n);
  }

  /** A request that cannot be read: answer with the status and close (the stream position is lost). */
  #refuse(status: number, message: string): void {
    this.#buf = undefined;
    this.#decoder = undefined;
    if (this.#response !== undefined && this.#response.headersSent) return this.destroy();
    const res = this.#response ?? new ProxyResponse(this, false);
    this.#response = res;
    this.#refuseRequest(res, status, message);
  }

  #refuseRequest(res: ProxyResponse, status: number, message: string): void {
    this.keepAlive = false;
    const text = JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32600, message } });
    res.writeHead(status, { 'content-type': 'application/json' }).end(text);
  }

  /** The request being read is too slow: 408, or a cut connection when an answer has begun. */
  timeout(): void {
    if (this.#dead || (this.#response !== undefined && this.#response.headersSent)) return this.destroy();
    this.#refuse(408, 'request not received in time');
  }
}

/** node:http's Server surface the proxy needs: listen via `net`, graceful close. */
export class Http1Server {
  readonly net: net.Server;
  readonly maxBodyBytes: number;
  readonly maxHeadBytes: number;
  readonly requireHost: boolean;
  readonly onError: (error: unknown) => void;
  readonly #connections = new Set<Connection>();
  readonly #keepAliveMs: number;
  readonly #requestMs: number;
  readonly #timer: NodeJS.Timeout;

  constructor(
    options: Http1ServerOptions,
    readonly listener: RequestListener,
  ) {
    this.maxBodyBytes = options.maxBodyBytes;
    this.maxHeadBytes = options.maxHeadBytes ?? 16_384;
    this.requireHost = options.requireHost ?? true;
    this.onError = options.onError ?? (() => {});
    this.#keepAliveMs = options.keepAliveTimeoutMs ?? 30_000;
    this.#requestMs = options.requestTimeoutMs ?? 60_000;
    this.net = net.createServer({ noDelay: true, pauseOnConnect: true }, (socket) =>
      this.#connections.add(new Connection(socket, this)),
    );
    // One sweep a second rather than a timer per request: idle connections and slow requests.
    this.#timer = setInterval(() => this.#sweep(), options.sweepMs ?? 1_000);
    this.#timer.unref();
  }

  get connections(): number {
    return this.#connections.size;
  }

  /** @internal */
  forget(conn: Connection): void {
    this.#connections.delete(conn);
  }

  /** Stops accepting; calls back when every connection has closed. */
  close(callback?: () => void): void {
    clearInterval(this.#timer);
    this.net.close(() => callback?.());
  }

  closeIdleConnections(): void {
    for (const conn of this.#connections) if (conn.idle) conn.destroy();
  }

  closeAllConnections(): void {
    for (const conn of this.#connections) conn.destroy();
  }

  /**
   * Keep-alive applies once a connection has been used, as in node:http: a new connection gets the request timeout
   * for its first request. (Judged by keep-alive from the accept, a connection accepted just before a long turn of
   * the event loop — a proxy busy with thousands of streams closing — was destroyed with its first request unread in
   * the kernel, and its client saw ECONNRESET: leak-hunt's nightly profile, scraping /metrics.)
   */
  #sweep(): void {
    const time = now();
    for (const conn of this.#connections) {
      if (conn.fresh) {
        if (time - conn.since > this.#requestMs) conn.timeout();
      } else if (conn.idle && time - conn.since > this.#keepAliveMs) conn.destroy();
      else if (conn.reading && time - conn.since > this.#requestMs) conn.timeout();
    }
  }
}
