/**
 * HTTP/1.1 message parsing (RFC 9112) for the proxy's own server and upstream client: a message head out of a
 * Buffer, and the body framing that follows it (Content-Length, chunked, or until the connection closes).
 *
 * Strict on purpose, because a proxy that reads a message differently from the server behind it invites request
 * smuggling: CRLF line endings only, no obsolete line folding, no whitespace before a header's colon, Content-Length
 * digits only (duplicates must agree), Transfer-Encoding together with Content-Length refused, and on requests no
 * transfer coding but plain `chunked`.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** Header names lowercased; repeated fields joined with ", " (set-cookie kept as a list), as node:http does. */
export type Headers = IncomingHttpHeaders;

export interface RequestHead {
  readonly method: string;
  /** The request-target as sent: path and query. */
  readonly url: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly minor: number;
  readonly headers: Headers;
}

export interface ResponseHead {
  readonly status: number;
  readonly minor: number;
  readonly headers: Headers;
}

/** A message that cannot be read. `status` is what a server answers (400, 431, 501, 505). */
export class HttpParseError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpParseError';
  }
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** Where the head ends (the index just past its blank line), or -1 while it is incomplete. */
export function findHeadEnd(buf: Buffer, from = 0): number {
  const i = buf.indexOf(CRLFCRLF, Math.max(0, from - 3));
  return i === -1 ? -1 : i + 4;
}

/** tchar (RFC 9110 §5.6.2) */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A CR not followed by LF, an LF not after a CR, or a NUL: nothing a well-formed head holds anywhere. */
const BARE = /\0|\r(?!\n)|(?<!\r)\n/;
/** Fields a message may carry once: a repeat is dropped (node:http does the same), except Content-Length. */
const SINGLE = new Set([
  'authorization',
  'content-type',
  'host',
  'user-agent',
  'proxy-authorization',
  'retry-after',
  'location',
  'etag',
  'server',
]);
/** Field names as sent → lowercased and checked: the same few names arrive on every request. */
const NAMES = new Map<string, string>();

function fieldName(raw: string, status: number): string {
  let name = NAMES.get(raw);
  if (name === undefined) {
    // Also refuses "name :" and obsolete line folding (a line that starts with whitespace).
    if (!TOKEN.test(raw)) throw new HttpParseError(status, 'invalid header name');
    name = raw.toLowerCase();
    if (NAMES.size < 512) NAMES.set(raw, name);
  }
  return name;
}

/** Reads the field lines of `text` from `i`; every line, the last included, ends with CRLF. */
function parseFields(text: string, i: number, status: number): Headers {
  const headers: Headers = {};
  const n = text.length;
  while (i < n) {
    const eol = text.indexOf('\r\n', i);
    const colon = text.indexOf(':', i);
    if (colon <= i || colon > eol) throw new HttpParseError(status, 'malformed header line');
    const name = fieldName(text.slice(i, colon), status);
    let from = colon + 1;
    let to = eol;
    while (from < to && isOws(text.charCodeAt(from))) from++;
    while (to > from && isOws(text.charCodeAt(to - 1))) to--;
    const value = text.slice(from, to);
    i = eol + 2;
    const seen = headers[name];
    if (seen === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
    else if (name === 'host')
      throw new HttpParseError(status, 'more than one Host header'); // RFC 9112 §3.2
    else if (name === 'set-cookie') (seen as string[]).push(value);
    else if (name === 'content-length') {
      if (seen !== value) throw new HttpParseError(status, 'conflicting Content-Length headers');
    } else if (!SINGLE.has(name)) headers[name] = `${seen as string}, ${value}`;
  }
  return headers;
}

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function version(text: string): number {
  if (text === 'HTTP/1.1') return 1;
  if (text === 'HTTP/1.0') return 0;
  throw new HttpParseError(505, `unsupported protocol version ${JSON.stringify(text.slice(0, 16))}`);
}

/** The head as text, up to and including its last field line's CRLF (latin1: one character per byte). */
function headText(buf: Buffer, start: number, end: number, status: number): string {
  const text = buf.toString('latin1', start, end - 2);
  if (BARE.test(text)) throw new HttpParseError(status, 'bare CR, LF or NUL in the head');
  return text;
}

/** Parses a request head; `end` is what findHeadEnd returned. */
export function parseRequestHead(buf: Buffer, start: number, end: number): RequestHead {
  const text = headText(buf, start, end, 400);
  const eol = text.indexOf('\r\n');
  const sp1 = text.indexOf(' ');
  const sp2 = text.lastIndexOf(' ', eol);
  if (sp1 <= 0 || sp2 <= sp1 + 1 || text.indexOf(' ', sp1 + 1) !== sp2)
    throw new HttpParseError(400, 'malformed request line');
  const method = text.slice(0, sp1);
  if (!TOKEN.test(method)) throw new HttpParseError(400, 'malformed request line');
  const minor = version(text.slice(sp2 + 1, eol));
  return { method, url: text.slice(sp1 + 1, sp2), minor, headers: parseFields(text, eol + 2, 400) };
}

export function parseResponseHead(buf: Buffer, start: number, end: number): ResponseHead {
  const text = headText(buf, start, end, 502);
  const eol = text.indexOf('\r\n');
  const sp = text.indexOf(' ');
  if (sp <= 0 || sp > eol) throw new HttpParseError(502, 'malformed status line');
  const minor = version(text.slice(0, sp));
  const d1 = text.charCodeAt(sp + 1) - 0x30;
  const d2 = text.charCodeAt(sp + 2) - 0x30;
  const d3 = text.charCodeAt(sp + 3) - 0x30;
  if (
    !(d1 >= 1 && d1 <= 9 && d2 >= 0 && d2 <= 9 && d3 >= 0 && d3 <= 9) ||
    sp + 4 > eol ||
    (eol > sp + 4 && text.charCodeAt(sp + 4) !== 0x20)
  ) {
    throw new HttpParseError(502, 'malformed status line');
  }
  const status = d1 * 100 + d2 * 10 + d3;
  return { status, minor, headers: parseFields(text, eol + 2, 502) };
}

/** How a body is delimited. */
export type Framing =
  | { readonly kind: 'none' }
  | { readonly kind: 'length'; readonly length: number }
  | { readonly kind: 'chunked' }
  | { readonly kind: 'close' };

const NONE: Framing = { kind: 'none' };
const CHUNKED: Framing = { kind: 'chunked' };
const CLOSE: Framing = { kind: 'close' };
const DIGITS = /^[0-9]{1,15}$/;

function contentLength(headers: Headers, status: number): Framing {
  const cl = headers['content-length'];
  if (cl === undefined) return NONE;
  if (!DIGITS.test(cl as string)) throw new HttpParseError(status, 'invalid Content-Length');
  const length = Number(cl);
  return length === 0 ? NONE : { kind: 'length', length };
}

/** RFC 9112 §6.3 for a request: chunked, Content-Length or no body. */
export function requestFraming(head: RequestHead): Framing {
  const te = head.headers['transfer-encoding'];
  if (te !== undefined) {
    if (head.headers['content-length'] !== undefined)
      throw new HttpParseError(400, 'both Transfer-Encoding and Content-Length');
    if (head.minor === 0) throw new HttpParseError(400, 'Transfer-Encoding in an HTTP/1.0 request');
    if ((te as string).toLowerCase() !== 'chunked')
      throw new HttpParseError(501, `transfer coding ${JSON.stringify(te)} not supported`);
    return CHUNKED;
  }
  return contentLength(head.headers, 400);
}

/** RFC 9112 §6.3 for a response to `method`. */
export function responseFraming(head: ResponseHead, method: string): Framing {
  if (method === 'HEAD' || head.status < 200 || head.status === 204 || head.status === 304) return NONE;
  const te = head.headers['transfer-encoding'];
  if (te !== undefined) {
    if (head.headers['content-length'] !== undefined)
      throw new HttpParseError(502, 'both Transfer-Encoding and Content-Length');
    // Any other final coding: the body runs until the connection closes (§6.3 item 4), passed on as it is.
    return /(?:^|,)\s*chunked\s*$/i.test(te as string) ? CHUNKED : CLOSE;
  }
  if (head.headers['content-length'] === undefined) return CLOSE;
  return contentLength(head.headers, 502);
}

/** Whether the connection stays open after this exchange (RFC 9112 §9.3). */
export function keepAlive(minor: number, headers: Headers): boolean {
  const connection = headers.connection;
  if (connection === undefined || connection === 'keep-alive') return minor === 1 || connection === 'keep-alive';
  const tokens = (connection as string).toLowerCase();
  if (/(?:^|,)\s*close\s*(?:,|$)/.test(tokens)) return false;
  return minor === 1 || /(?:^|,)\s*keep-alive\s*(?:,|$)/.test(tokens);
}

const enum Chunk {
  Size,
  Ext,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  Trailer,
  TrailerLf,
}

const MAX_CHUNK_META = 4_096;

/**
 * Decodes a body incrementally. `push` takes the bytes that arrived and returns how many of them belong to this
 * body (the rest is the next message); body data goes to `onData` as views into the input, never copied.
 */
export class BodyDecoder {
  #remaining: number;
  #state = Chunk.Size;
  #size = 0;
  #digits = 0;
  #meta = 0;
  #lineEmpty = true;
  done: boolean;

  constructor(
    readonly framing: Framing,
    private readonly onData: (chunk: Buffer) => void,
  ) {
    this.#remaining = framing.kind === 'length' ? framing.length : 0;
    this.done = framing.kind === 'none';
  }

  /** Throws HttpParseError(400) on a malformed chunked body. */
  push(buf: Buffer, start: number): number {
    if (this.done) return 0;
    switch (this.framing.kind) {
      case 'close': {
        if (buf.length > start) this.onData(buf.subarray(start));
        return buf.length - start;
      }
      case 'length': {
        const n = Math.min(this.#remaining, buf.length - start);
        if (n > 0) this.onData(buf.subarray(start, start + n));
        this.#remaining -= n;
        if (this.#remaining === 0) this.done = true;
        return n;
      }
      case 'chunked':
        return this.#chunked(buf, start);
      default:
        return 0;
    }
  }

  /** The connection closed: a close-delimited body is complete; any other unfinished one is truncated. */
  end(): boolean {
    if (this.framing.kind === 'close') this.done = true;
    return this.done;
  }

  #chunked(buf: Buffer, start: number): number {
    let i = start;
    while (i < buf.length && !this.done) {
      if (this.#state === Chunk.Data) {
        const n = Math.min(this.#size, buf.length - i);
        this.onData(buf.subarray(i, i + n));
        i += n;
        this.#size -= n;
        if (this.#size === 0) this.#state = Chunk.DataCr;
        continue;
      }
      const c = buf[i++]!;
      if (++this.#meta > MAX_CHUNK_META) throw new HttpParseError(400, 'chunk header or trailers too long');
      switch (this.#state) {
        case Chunk.Size: {
          const digit = hex(c);
          if (digit >= 0) {
            if (++this.#digits > 12) throw new HttpParseError(400, 'chunk size too large');
            this.#size = this.#size * 16 + digit;
          } else if (this.#digits === 0) throw new HttpParseError(400, 'malformed chunk size');
          else if (c === 0x0d) this.#state = Chunk.SizeLf;
          else if (c === 0x3b || c === 0x20 || c === 0x09) this.#state = Chunk.Ext;
          else throw new HttpParseError(400, 'malformed chunk size');
          break;
        }
        case Chunk.Ext:
          if (c === 0x0d) this.#state = Chunk.SizeLf;
          else if (c === 0x0a || c === 0) throw new HttpParseError(400, 'malformed chunk extension');
          break;
        case Chunk.SizeLf:
          if (c !== 0x0a) throw new HttpParseError(400, 'malformed chunk size line');
          this.#digits = 0;
          if (this.#size === 0) {
            this.#state = Chunk.Trailer;
            this.#lineEmpty = true;
          } else {
            this.#state = Chunk.Data;
            this.#meta = 0;
          }
          break;
        case Chunk.DataCr:
          if (c !== 0x0d) throw new HttpParseError(400, 'chunk data not followed by CRLF');
          this.#state = Chunk.DataLf;
          break;
        case Chunk.DataLf:
          if (c !== 0x0a) throw new HttpParseError(400, 'chunk data not followed by CRLF');
          this.#state = Chunk.Size;
          break;
        case Chunk.Trailer:
          // Trailer fields are read and dropped: nothing in MCP uses them.
          if (c === 0x0d) this.#state = Chunk.TrailerLf;
          else if (c === 0x0a) throw new HttpParseError(400, 'bare LF in trailers');
          else this.#lineEmpty = false;
          break;
        case Chunk.TrailerLf:
          if (c !== 0x0a) throw new HttpParseError(400, 'bare CR in trailers');
          if (this.#lineEmpty) this.done = true;
          else {
            this.#state = Chunk.Trailer;
            this.#lineEmpty = true;
          }
          break;
      }
    }
    return i - start;
  }
}

function hex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
