/**
 * HTTP/1.1 message parsing (RFC 9112) for the proxy's own server and upstream client, and the harness's SSE receiver:
 * a message head out of a Buffer, and the body framing that follows it (Content-Length, chunked, or until the
 * connection closes).
 *
 * Strict on purpose, because a proxy that reads a message differently from the server behind it invites request
 * smuggling: CRLF line endings only, no control characters but HTAB, no obsolete line folding, no whitespace before a
 * header's colon, Content-Length digits only and once, Transfer-Encoding together with Content-Length refused, on
 * requests no transfer coding but plain `chunked`, chunk lines and trailers to the grammar. Never laxer than llhttp
 * (node:http's parser): test/unit/http1-differential.test.ts plays generated and mutated messages on both, and
 * `npm run fuzz:http1` for as long as you like.
 */
import { METHODS as HTTP_METHODS, type IncomingHttpHeaders } from 'node:http';
import { BAD_HEAD, hasLinesOf, headEnd, LINES, MATCH, namesMatched, noteName, TOO_MANY_LINES } from './head-scan.js';

export { BAD_HEAD, TOO_MANY_LINES };

/**
 * Header names lowercased; repeated fields joined with ", " (set-cookie kept as a list), as node:http does. A parsed
 * head's object also has the names a proxy reads most, undefined when the head lacks them (one shape for every head:
 * see Fields): skip undefined values when you list them, or take presentFields.
 */
export type Headers = IncomingHttpHeaders;

/** The fields a parsed head has, without the undefined ones its object keeps for its shape. */
export function presentFields(headers: Headers): Headers {
  const present: Headers = {};
  for (const name in headers) if (headers[name] !== undefined) present[name] = headers[name];
  return present;
}

export interface RequestHead {
  readonly method: string;
  /** The request-target as sent: path and query. */
  readonly url: string;
  /** Where the query (its '?') starts in url, or -1. */
  readonly query: number;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly minor: number;
  readonly headers: Headers;
  /**
   * The field lines a proxy passes on, as they came (each with its CRLF; names in their case, repeats on lines of
   * their own): all but those named in REQUEST_ONLY.
   */
  readonly forwarded: string;
}

export interface ResponseHead {
  readonly status: number;
  readonly minor: number;
  readonly headers: Headers;
  /** The field lines a proxy passes on, as they came: all but the hop-by-hop ones (HOP_BY_HOP). */
  readonly forwarded: string;
}

/** RFC 9110 §7.6.1 hop-by-hop fields, and Host: a proxy passes none of them on, either way. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);
/**
 * Nor these of a request: its framing and Expect are dealt with by the proxy's server (the request it forwards gets its
 * own), and the client's credentials are for the proxy (MCP's authorization spec forbids passing a token through).
 */
export const REQUEST_ONLY: ReadonlySet<string> = new Set([
  ...HOP_BY_HOP,
  'content-length',
  'expect',
  'authorization',
  'cookie',
]);
/** The bits of NAME_KIND: a name in HOP_BY_HOP, in REQUEST_ONLY; Content-Length or Transfer-Encoding. */
const HOP = 1;
const NOT_FORWARDED = 2;
const FRAMING = 4;

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

/**
 * The end of the head that starts `buf`, its bytes checked on the way (head-scan.ts): the index past its blank line,
 * -1 while it has not all arrived within `limit` bytes, BAD_HEAD or TOO_MANY_LINES. The parse of the head it found
 * reads the lines it noted, without scanning it again.
 */
export function scanHead(buf: Buffer, limit: number): number {
  return headEnd(buf, Math.min(buf.length, limit));
}

/** tchar (RFC 9110 §5.6.2) */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/**
 * Fields a message may carry once: a repeat is dropped, as node:http drops it (its list exactly, so a header reads the
 * same through us as through node:http); Content-Length and Host are refused when repeated.
 */
const SINGLE = new Set([
  'age',
  'authorization',
  'content-type',
  'etag',
  'expires',
  'from',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);
/** The request methods llhttp knows (node:http's METHODS); CONNECT is not among ours: we tunnel nothing. */
const METHODS = new Set(HTTP_METHODS.filter((m) => m !== 'CONNECT'));
/** origin-form, asterisk-form or absolute-form (RFC 9112 §3.2), visible ASCII only. */
const TARGET = /^(?:\/[\x21-\x7e]*|\*|[A-Za-z]+:\/\/[\x21-\x7e]*)$/;

/** Where the '?' of the target isTarget checked last is, or -1 (found by the same loop, for origin-form). */
let queryAt = -1;

/** TARGET's test, with origin-form (every request the proxy serves) read by a loop. */
function isTarget(url: string): boolean {
  queryAt = -1;
  if (url.charCodeAt(0) !== 0x2f) {
    queryAt = url.indexOf('?');
    return TARGET.test(url);
  }
  for (let i = 1; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
    if (c === 0x3f && queryAt < 0) queryAt = i;
  }
  return true;
}
/**
 * Field names as sent → lowercased and checked, in 256 slots picked by length and first and last character: the same
 * few names arrive on every message, and a hit is confirmed by comparing the cut name with the slot's, without hashing
 * it (a Map keyed by the cut name was ~2% of the proxy's busy time at saturation; `startsWith` in place, which reads
 * character by character, cost ~470 instructions a field under cachegrind against ~300 for the cut and the comparison).
 */
const NAME_RAW: string[] = new Array<string>(256).fill('');
const NAME_LOWER: string[] = new Array<string>(256).fill('');
/** Which of HOP_BY_HOP and REQUEST_ONLY the slot's name is in (HOP, NOT_FORWARDED), and whether it is FRAMING. */
const NAME_KIND = new Uint8Array(256);
/** The slot's name's place in Fields (FIELDS), 0 for none. */
const NAME_FIELD = new Uint8Array(256);
/** The slot of the name fieldName returned last. */
let nameSlot = 0;
/** Set when fieldName gave a slot another name. */
let slotRewritten = false;
/**
 * Which slots the names of the head being parsed came from (SEEN[slot] === headsParsed). A repeated field always
 * comes from the same slot as its first (names that differ only in case share a slot), so a field whose slot is not
 * marked is not a repeat and its value is stored without looking for an earlier one — a lookup per field on objects of
 * many shapes cost ~150 instructions — and a marked one may be (two names can share a slot) and is looked up.
 */
const SEEN = new Int32Array(256);
let headsParsed = 0;

function fieldName(text: string, i: number, colon: number, status: number): string {
  const length = colon - i;
  // From the name's length and its first and last characters as lowercase: names that differ only in case share a slot.
  const slot = (nameSlot = (length * 7 + (text.charCodeAt(i) | 0x20) * 3 + (text.charCodeAt(colon - 1) | 0x20)) & 255);
  const raw = NAME_RAW[slot]!;
  const name = text.slice(i, colon);
  if (raw === name) return NAME_LOWER[slot]!;
  // Also refuses "name :" and obsolete line folding (a line that starts with whitespace).
  if (!TOKEN.test(name)) throw new HttpParseError(status, 'invalid header name');
  const lower = name.toLowerCase();
  NAME_RAW[slot] = name;
  NAME_LOWER[slot] = lower;
  NAME_KIND[slot] =
    (HOP_BY_HOP.has(lower) ? HOP : 0) |
    (REQUEST_ONLY.has(lower) ? NOT_FORWARDED : 0) |
    (lower === 'content-length' || lower === 'transfer-encoding' ? FRAMING : 0);
  NAME_FIELD[slot] = FIELDS.get(lower) ?? 0;
  noteName(slot, lower);
  slotRewritten = true;
  return lower;
}

/**
 * A head's fields, with a property of its own — undefined until the head has the field — for each name a proxy's path
 * reads: every head then has one shape, and its stores and the path's loads of these names go to known places (fields
 * added one by one, in the order each message sent them, made an object of a new shape per order, and each store a
 * lookup: ~210 instructions a field). Any other name is added as before.
 */
class Fields {
  host: string | undefined = undefined;
  'content-length': string | undefined = undefined;
  'transfer-encoding': string | undefined = undefined;
  connection: string | undefined = undefined;
  'keep-alive': string | undefined = undefined;
  expect: string | undefined = undefined;
  'content-type': string | undefined = undefined;
  accept: string | undefined = undefined;
  'user-agent': string | undefined = undefined;
  date: string | undefined = undefined;
  origin: string | undefined = undefined;
  authorization: string | undefined = undefined;
  'mcp-session-id': string | undefined = undefined;
  'mcp-protocol-version': string | undefined = undefined;
  'mcp-method': string | undefined = undefined;
  'mcp-name': string | undefined = undefined;
  'last-event-id': string | undefined = undefined;
}

/** Fields' names, in its order from 1 (0: a name it does not have). */
const FIELDS: ReadonlyMap<string, number> = new Map(Object.keys(new Fields()).map((name, k) => [name, k + 1]));

/** Stores the first value of field `k` of FIELDS: one named store (monomorphic) instead of a keyed one. */
function storeField(f: Fields, k: number, value: string): void {
  switch (k) {
    case 1:
      f.host = value;
      break;
    case 2:
      f['content-length'] = value;
      break;
    case 3:
      f['transfer-encoding'] = value;
      break;
    case 4:
      f.connection = value;
      break;
    case 5:
      f['keep-alive'] = value;
      break;
    case 6:
      f.expect = value;
      break;
    case 7:
      f['content-type'] = value;
      break;
    case 8:
      f.accept = value;
      break;
    case 9:
      f['user-agent'] = value;
      break;
    case 10:
      f.date = value;
      break;
    case 11:
      f.origin = value;
      break;
    case 12:
      f.authorization = value;
      break;
    case 13:
      f['mcp-session-id'] = value;
      break;
    case 14:
      f['mcp-protocol-version'] = value;
      break;
    case 15:
      f['mcp-method'] = value;
      break;
    case 16:
      f['mcp-name'] = value;
      break;
    case 17:
      f['last-event-id'] = value;
      break;
  }
}

/** What the last parseFields kept of its lines. */
let forwarded = '';

/**
 * The field lines of `text`: lines 1 to LINES[0] - 2 of the head (LINES holds where each ends and has its colon). The
 * lines not dropped — those whose name is not of the `drop` kind (HOP or NOT_FORWARDED) — are cut out as they came,
 * into `forwarded`: a proxy writes them on without a line of its own per field.
 */
function parseFields(text: string, status: number, drop: number): Headers {
  const fields = new Fields();
  const headers = fields as unknown as Headers;
  let kept = '';
  // The scan's tables in locals: read through the imported bindings, each access in the loop was a load and a check.
  const lines = LINES;
  const match = MATCH;
  const last = lines[0]! - 1; // the blank line
  const mark = (headsParsed = (headsParsed + 1) | 0);
  let i = lines[2]! + 1; // past the first line's LF
  let keptFrom = i;
  let matches = namesMatched === true; // typed: the imported binding is not
  slotRewritten = false;
  for (let line = 1; line < last; line++) {
    const colon = lines[1 + 2 * line]!;
    const eol = lines[2 + 2 * line]! - 1;
    // A name the scan matched to a slot (in any case) is the slot's; any other is cut, checked and noted.
    let slot = matches ? match[line]! : -1;
    let name: string;
    if (slot >= 0) name = NAME_LOWER[slot]!;
    else {
      if (colon <= i) throw new HttpParseError(status, 'malformed header line'); // none (0), or no name before it
      name = fieldName(text, i, colon, status);
      slot = nameSlot;
      // The scan matched this head's lines against the slots as they were: one rewritten since may have been matched.
      if (slotRewritten) matches = slotRewritten = false;
    }
    // The value without the whitespace around it. The character at eol is the line's CR: the first loop stops there.
    let from = colon + 1;
    let c = text.charCodeAt(from);
    while (c === 0x20 || c === 0x09) c = text.charCodeAt(++from);
    let to = eol;
    c = text.charCodeAt(to - 1);
    while (to > from && (c === 0x20 || c === 0x09)) c = text.charCodeAt(--to - 1);
    const value = text.slice(from, to);
    const kind = NAME_KIND[slot]!;
    if ((kind & drop) !== 0) {
      if (i > keptFrom) kept += text.slice(keptFrom, i);
      keptFrom = eol + 2;
    }
    i = eol + 2;
    // llhttp refuses a framing field with a tab after its value (`5\t`, `chunked\t`), where it would read the value
    // differently from us; a tab anywhere in one is refused here.
    if ((kind & FRAMING) !== 0 && hasTab(text, colon + 1, eol))
      throw new HttpParseError(
        status,
        `a tab in ${name === 'content-length' ? 'Content-Length' : 'Transfer-Encoding'}`,
      );
    let seen: string | string[] | undefined;
    if (SEEN[slot] === mark) seen = headers[name];
    else SEEN[slot] = mark;
    if (seen === undefined) {
      const field = NAME_FIELD[slot]!;
      if (field !== 0) storeField(fields, field, value);
      else headers[name] = name === 'set-cookie' ? [value] : value;
    } else if (name === 'host')
      throw new HttpParseError(status, 'more than one Host header'); // RFC 9112 §3.2
    else if (name === 'set-cookie') (seen as string[]).push(value);
    else if (name === 'content-length') throw new HttpParseError(status, 'more than one Content-Length header');
    else if (name === 'cookie') headers[name] = `${seen as string}; ${value}`;
    else if (!SINGLE.has(name)) headers[name] = `${seen as string}, ${value}`;
  }
  forwarded = keptFrom === text.length ? kept : kept === '' ? text.slice(keptFrom) : kept + text.slice(keptFrom);
  return headers;
}

/** A tab in text[from, to) (a loop: indexOf searched on to the head's end). */
function hasTab(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === 0x09) return true;
  return false;
}

function version(text: string): number {
  if (text === 'HTTP/1.1') return 1;
  if (text === 'HTTP/1.0') return 0;
  throw new HttpParseError(505, `unsupported protocol version ${JSON.stringify(text.slice(0, 16))}`);
}

/**
 * The head as text, up to and including its last field line's CRLF (latin1: one character per byte), with its lines
 * in LINES: scanned here, unless it is the head headEnd found last (scanHead, just before).
 */
function headText(buf: Buffer, start: number, end: number, status: number): string {
  if (start !== 0 || !hasLinesOf(buf, end)) {
    const scanned = headEnd(start === 0 ? buf : buf.subarray(start), end - start);
    if (scanned === BAD_HEAD) throw new HttpParseError(status, 'a control character, or a bare CR or LF, in the head');
    if (scanned === TOO_MANY_LINES) throw new HttpParseError(status === 400 ? 431 : status, 'too many header fields');
    if (scanned !== end - start)
      throw new HttpParseError(status, 'malformed head: its blank line is not where it ends');
  }
  return buf.toString('latin1', start, end - 2);
}

/**
 * The method that ends at `sp` (the request line's first space, methodEnd's). MCP's three come back as literals: a
 * literal is compared by identity and carries its hash, where a string cut from the head is compared character by
 * character and hashed anew wherever the request goes (the stages and the forwarder ask `method === 'POST'` a dozen
 * times).
 */
function methodAt(text: string, sp: number): string {
  if (lineMethod !== undefined) return lineMethod;
  if (sp === 6 && text.charCodeAt(0) === 0x44 && text.startsWith('DELETE')) return 'DELETE';
  return text.slice(0, sp);
}

/**
 * The minor version of `HTTP/1.x` at `at` (the line ending 8 characters on), else -1: read in place, where cutting it
 * out to compare made a string per message.
 */
function versionAt(text: string, at: number): number {
  const minor = text.charCodeAt(at + 7) - 0x30;
  return (minor === 0 || minor === 1) && text.startsWith('HTTP/1.', at) ? minor : -1;
}

/** POST or GET when methodEnd found the line to begin with one of them, else undefined. */
let lineMethod: 'POST' | 'GET' | undefined;

/** The request line's first space: after POST or GET (noted in lineMethod), found without a search. */
function methodEnd(text: string): number {
  const c = text.charCodeAt(0);
  lineMethod = undefined;
  if (
    c === 0x50 &&
    text.charCodeAt(4) === 0x20 &&
    text.charCodeAt(1) === 0x4f &&
    text.charCodeAt(2) === 0x53 &&
    text.charCodeAt(3) === 0x54
  ) {
    lineMethod = 'POST';
    return 4;
  }
  if (c === 0x47 && text.charCodeAt(3) === 0x20 && text.charCodeAt(1) === 0x45 && text.charCodeAt(2) === 0x54) {
    lineMethod = 'GET';
    return 3;
  }
  return text.indexOf(' ');
}

/** Parses a request head; `end` is what findHeadEnd returned. */
export function parseRequestHead(buf: Buffer, start: number, end: number): RequestHead {
  const text = headText(buf, start, end, 400);
  const eol = LINES[2]! - 1;
  const sp1 = methodEnd(text);
  // The version is what follows the last space: read in place when it is HTTP/1.0 or 1.1, 8 characters before eol.
  let sp2 = eol - 9;
  let minor = sp2 > 0 && text.charCodeAt(sp2) === 0x20 ? versionAt(text, sp2 + 1) : -1;
  if (minor < 0) sp2 = text.lastIndexOf(' ', eol);
  if (sp1 <= 0 || sp2 <= sp1 + 1) throw new HttpParseError(400, 'malformed request line');
  const method = methodAt(text, sp1);
  const known = METHODS.has(method);
  // A method we know is a token: the expression is run only for the others (each run of one was a cost per request).
  if (!known && !TOKEN.test(method)) throw new HttpParseError(400, 'malformed request line');
  const url = text.slice(sp1 + 1, sp2);
  // isTarget refuses a space, which would be a third in the line.
  if (!isTarget(url))
    throw new HttpParseError(400, url.includes(' ') ? 'malformed request line' : 'malformed request target');
  if (minor < 0) minor = version(text.slice(sp2 + 1, eol));
  if (!known) throw new HttpParseError(501, `method ${JSON.stringify(method.slice(0, 16))} not supported`);
  const headers = parseFields(text, 400, NOT_FORWARDED);
  return { method, url, query: queryAt, minor, headers, forwarded };
}

export function parseResponseHead(buf: Buffer, start: number, end: number): ResponseHead {
  const text = headText(buf, start, end, 502);
  const eol = LINES[2]! - 1;
  let sp = 8;
  let minor = text.charCodeAt(8) === 0x20 ? versionAt(text, 0) : -1;
  if (minor < 0) {
    sp = text.indexOf(' ');
    if (sp <= 0 || sp > eol) throw new HttpParseError(502, 'malformed status line');
    minor = version(text.slice(0, sp));
  }
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
  const headers = parseFields(text, 502, HOP);
  return { status, minor, headers, forwarded };
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
/**
 * The value of a Content-Length of 1 to 15 ASCII digits, else -1: read by one loop (an expression, then `Number(text)`
 * — which hashes the string to see whether it is an array index, ~200 instructions — ran once per message each).
 */
function lengthOf(text: string): number {
  if (text.length === 0 || text.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function contentLength(headers: Headers, status: number): Framing {
  const cl = headers['content-length'];
  if (cl === undefined) return NONE;
  const length = lengthOf(cl as string);
  if (length < 0) throw new HttpParseError(status, 'invalid Content-Length');
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
  /** After `;`: an extension's name must follow. */
  ExtName,
  /** In an extension's name: more of it, `=`, `;` or CR. */
  ExtNameMore,
  /** After `=`: a token or a quoted string. */
  ExtValue,
  ExtToken,
  ExtQuoted,
  ExtQuotedPair,
  /** After a quoted value: `;` or CR. */
  ExtEnd,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  Trailer,
  TrailerLf,
}

const MAX_CHUNK_META = 4_096;

/** tchar (RFC 9110 §5.6.2), by byte. */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
  TCHAR[c.charCodeAt(0)] = 1;
/** Trailer fields that would change how the message was framed: refused, as llhttp refuses them. */
const FRAMING_TRAILERS = /^(?:content-length|transfer-encoding)$/i;

/**
 * Decodes a body incrementally. `push` takes the bytes that arrived and returns how many of them belong to this
 * body (the rest is the next message); body data goes to `onData` as views into the input, never copied.
 *
 * A chunk line is `1*HEXDIG *( ";" token [ "=" ( token / quoted-string ) ] ) CRLF` with no whitespace anywhere (RFC
 * 9112 §7.1.1 allows BWS around `;` and `=`; llhttp does not, and neither do we); trailer fields are read like header
 * fields and dropped.
 */
export class BodyDecoder {
  #remaining: number;
  #state = Chunk.Size;
  #size = 0;
  #digits = 0;
  #meta = 0;
  /** The trailer field line being read. */
  #line = '';
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
          else if (c === 0x3b) this.#state = Chunk.ExtName;
          else throw new HttpParseError(400, 'malformed chunk size');
          break;
        }
        case Chunk.ExtName:
          if (TCHAR[c] !== 1) throw new HttpParseError(400, 'malformed chunk extension');
          this.#state = Chunk.ExtNameMore;
          break;
        case Chunk.ExtNameMore:
          if (c === 0x3d) this.#state = Chunk.ExtValue;
          else this.#extEnd(c, TCHAR[c] === 1 ? Chunk.ExtNameMore : undefined);
          break;
        case Chunk.ExtValue:
          if (c === 0x22) this.#state = Chunk.ExtQuoted;
          else if (TCHAR[c] === 1) this.#state = Chunk.ExtToken;
          else throw new HttpParseError(400, 'malformed chunk extension');
          break;
        case Chunk.ExtToken:
          this.#extEnd(c, TCHAR[c] === 1 ? Chunk.ExtToken : undefined);
          break;
        case Chunk.ExtQuoted:
          if (c === 0x22) this.#state = Chunk.ExtEnd;
          else if (c === 0x5c) this.#state = Chunk.ExtQuotedPair;
          else if (!(c === 0x09 || (c >= 0x20 && c <= 0x7e)))
            throw new HttpParseError(400, 'malformed chunk extension');
          break;
        case Chunk.ExtQuotedPair:
          if (!(c === 0x09 || (c >= 0x20 && c <= 0x7e))) throw new HttpParseError(400, 'malformed chunk extension');
          this.#state = Chunk.ExtQuoted;
          break;
        case Chunk.ExtEnd:
          this.#extEnd(c, undefined);
          break;
        case Chunk.SizeLf:
          if (c !== 0x0a) throw new HttpParseError(400, 'malformed chunk size line');
          this.#digits = 0;
          if (this.#size === 0) {
            this.#state = Chunk.Trailer;
            this.#line = '';
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
          if (c === 0x0d) this.#state = Chunk.TrailerLf;
          else if ((c < 0x20 && c !== 0x09) || c === 0x7f)
            throw new HttpParseError(400, 'a control character, or a bare LF, in the trailers');
          else this.#line += String.fromCharCode(c);
          break;
        case Chunk.TrailerLf:
          if (c !== 0x0a) throw new HttpParseError(400, 'bare CR in trailers');
          if (this.#line === '') this.done = true;
          else {
            trailerField(this.#line);
            this.#state = Chunk.Trailer;
            this.#line = '';
          }
          break;
      }
    }
    return i - start;
  }

  /** After an extension's name or value: `;` starts another, CR ends the line, `stay` goes on; anything else is bad. */
  #extEnd(c: number, stay: Chunk | undefined): void {
    if (c === 0x3b) this.#state = Chunk.ExtName;
    else if (c === 0x0d) this.#state = Chunk.SizeLf;
    else if (stay !== undefined) this.#state = stay;
    else throw new HttpParseError(400, 'malformed chunk extension');
  }
}

/** A trailer field line (control characters already refused): a token, a colon, and nothing that frames. */
function trailerField(line: string): void {
  const colon = line.indexOf(':');
  const name = line.slice(0, colon);
  if (colon <= 0 || !TOKEN.test(name)) throw new HttpParseError(400, 'malformed trailer field');
  if (FRAMING_TRAILERS.test(name)) throw new HttpParseError(400, `${name} in the trailers`);
}

function hex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
