/**
 * A JSON-RPC request read straight from its bytes: the whole text checked against JSON's grammar (RFC 8259) and the
 * request's `jsonrpc`, `method`, `id` and the kind of its `params` read on the way, without building the message.
 *
 * Why: the reverse proxy forwards a request's bytes as they came and needs only its method and id, yet JSON.parse
 * and classify built every message whole — ~2 µs per call with the code hot, ~8–13 µs at 500 calls/s when each
 * request wakes the proxy with cold caches, the largest single step on a request's way to the upstream (docs/proxy.md,
 * "Where the time goes at a low rate"). The scan touches one small loop and allocates two strings.
 *
 * It answers only when it is sure: a valid request in the common shape. Anything else — not JSON, not an object, a
 * notification, a response, escapes or non-ASCII in a top-level key or in the method or a string id, a number id too
 * large to be finite, nesting deeper than MAX_DEPTH — is `undefined`, and the caller parses it the full way
 * (parseMessage), which gives the same answer it always gave: the scan never accepts what the full way refuses, and
 * never reads a method or id the full way would read differently (test/unit/jsonrpc-scan.test.ts plays generated and
 * mutated messages on both).
 *
 * The grammar check and the members' places are found in WebAssembly (jsonrpc-scan.wat: the plain runs inside strings
 * sixteen bytes at a time), the text copied into its memory first; scanMembers is the same rule in JavaScript, the
 * fallback (no WebAssembly, or a text longer than 64 KiB) and the reference the tests hold the WebAssembly to. Counted
 * in the proxy (`valgrind --tool=callgrind`, the instructions bench's 98-byte tools/call): 6.3k instructions per
 * request in JavaScript, ~3.4k now (the WebAssembly ~2.7k of it, in V8's baseline tier under the count's
 * `--predictable`); timed hot, 350 against 230 ns.
 *
 * Bytes, not text: the full way decodes UTF-8 first. A byte of 0x80 or more is never an ASCII character after
 * decoding, and an invalid sequence becomes U+FFFD without swallowing the ASCII byte after it, so a quote, a
 * backslash or a control byte means the same in both; outside strings such a byte is not JSON either way.
 */
import type { JsonRpcRequest } from './jsonrpc.js';
import { instantiate, memoryOf } from './wasm.js';

/** Deeper nesting is left to JSON.parse. */
const MAX_DEPTH = 64;
/** 1: inside an object, 2: inside an array; one scan at a time (the scan does not yield). */
const STACK = new Uint8Array(MAX_DEPTH);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/**
 * A request whose params are parsed when first read (from the same bytes, so they are the ones JSON.parse gives). For
 * a proxy that forwards the bytes, not the object: spreading it copies no params (JSON.stringify gives the message).
 */
export class ScannedRequest implements JsonRpcRequest {
  readonly jsonrpc = '2.0' as const;
  #params: Record<string, unknown> | undefined;
  #parsed = false;

  readonly #bytes: Buffer;

  constructor(
    readonly id: string | number,
    readonly method: string,
    bytes: Buffer,
  ) {
    this.#bytes = bytes;
  }

  get params(): Record<string, unknown> | undefined {
    if (!this.#parsed) {
      this.#params = this.#whole().params as Record<string, unknown> | undefined;
      this.#parsed = true;
    }
    return this.#params;
  }

  toJSON(): Record<string, unknown> {
    return this.#whole();
  }

  #whole(): Record<string, unknown> {
    return JSON.parse(this.#bytes.toString('utf8')) as Record<string, unknown>;
  }
}

/** Set by skipString: whether the string just skipped was ASCII without escapes (its bytes are its value). */
let plain = true;

/** The WebAssembly scan: the text copied to its memory's start, a NUL after it (see jsonrpc-scan.wat). */
const wasm = instantiate('jsonrpc-scan');
/** The longest text the WebAssembly scan reads (its memory holds one this long and the NUL after it). */
const WASM_TEXT_MAX = 64 * 1024;
const TEXT = wasm === undefined ? undefined : new Uint8Array(memoryOf(wasm), 0, WASM_TEXT_MAX + 1);
const wasmScan = wasm?.scan as ((n: number) => number) | undefined;
/**
 * Where scanMembers (or the WebAssembly scan, jsonrpc-scan.wat, which lays it out the same) found the top-level
 * members jsonrpc, method, id and params: for member k, at 3k its value's start (-1 when absent), at 3k + 1 its end,
 * at 3k + 2 whether it is a plain string (ASCII without escapes: its bytes are its value).
 */
const JS_MEMBERS = new Int32Array(12);
const WASM_MEMBERS =
  wasm === undefined ? JS_MEMBERS : new Int32Array(memoryOf(wasm), (wasm.OUT as { value: number }).value, 12);

/** Whether scanRequest reads in WebAssembly here (else in JavaScript alone). */
export const SCAN_JSON_IN_WASM = wasm !== undefined;

/** The request in `bytes`, or undefined when it is not one in the common shape (see the module's comment). */
export function scanRequest(bytes: Buffer): ScannedRequest | undefined {
  const n = bytes.length;
  if (TEXT === undefined || n > WASM_TEXT_MAX) return jsScanRequest(bytes);
  TEXT.set(bytes);
  TEXT[n] = 0;
  return wasmScan!(n) === 1 ? requestOf(bytes, WASM_MEMBERS) : undefined;
}

/** scanRequest in JavaScript alone: where there is no WebAssembly, for longer texts, and the tests' reference. */
export function jsScanRequest(bytes: Buffer): ScannedRequest | undefined {
  return scanMembers(bytes, JS_MEMBERS) ? requestOf(bytes, JS_MEMBERS) : undefined;
}

/** The request the members found in `bytes` make, when they make one in the common shape. */
function requestOf(bytes: Buffer, members: Int32Array): ScannedRequest | undefined {
  // "jsonrpc": "2.0"
  const version = members[0]!;
  if (version < 0 || members[1]! - version !== 5 || members[2] === 0 || !isTwoPointZero(bytes, version + 1))
    return undefined;
  const method = members[3]!;
  if (method < 0 || members[5] === 0) return undefined;
  const at = members[6]!;
  if (at < 0) return undefined;
  let id: string | number;
  const first = bytes[at]!;
  if (first === QUOTE) {
    if (members[8] === 0) return undefined;
    id = bytes.toString('latin1', at + 1, members[7]! - 1);
  } else if (first === 0x2d || (first >= 0x30 && first <= 0x39)) {
    id = numberAt(bytes, at, members[7]!);
    if (!Number.isFinite(id)) return undefined;
  } else return undefined; // null, true, an object…: the full way says why it is not a request
  const params = members[9]!;
  if (params >= 0 && bytes[params] !== OPEN_OBJECT && bytes[params] !== OPEN_ARRAY) return undefined;
  return new ScannedRequest(id, knownString(bytes, method + 1, members[4]! - 1), bytes);
}

/**
 * Whether `bytes` is one JSON object with at least one member, whose members' names are plain strings: the members
 * that matter noted in `members`. A repeated member: JSON.parse keeps the last, and so does this.
 */
function scanMembers(bytes: Buffer, members: Int32Array): boolean {
  members[0] = members[3] = members[6] = members[9] = -1;
  const n = bytes.length;
  let i = skipWs(bytes, 0);
  if (bytes[i] !== OPEN_OBJECT) return false;
  i = skipWs(bytes, i + 1);
  if (bytes[i] === CLOSE_OBJECT) return false;
  for (;;) {
    if (bytes[i] !== QUOTE) return false;
    const keyStart = i + 1;
    i = skipString(bytes, i);
    if (i < 0 || !plain) return false; // an escaped name may spell one of ours
    const key = memberKey(bytes, keyStart, i - 1);
    i = skipWs(bytes, i);
    if (bytes[i] !== COLON) return false;
    i = skipWs(bytes, i + 1);
    const valueStart = i;
    i = skipValue(bytes, i);
    if (i < 0) return false;
    if (key !== KEY_OTHER) {
      const k = 3 * (key - 1);
      members[k] = valueStart;
      members[k + 1] = i;
      members[k + 2] = plain && bytes[valueStart] === QUOTE ? 1 : 0;
    }
    i = skipWs(bytes, i);
    const c = bytes[i];
    if (c === COMMA) {
      i = skipWs(bytes, i + 1);
      continue;
    }
    return c === CLOSE_OBJECT && skipWs(bytes, i + 1) === n;
  }
}

const KEY_OTHER = 0;
const KEY_JSONRPC = 1;
const KEY_METHOD = 2;
const KEY_ID = 3;
const KEY_PARAMS = 4;

/** Which of the four members the key in [start, end) names (its bytes are plain ASCII). */
function memberKey(b: Uint8Array, start: number, end: number): number {
  switch (end - start) {
    case 2:
      return b[start] === 0x69 && b[start + 1] === 0x64 ? KEY_ID : KEY_OTHER; // id
    case 6:
      return sameBytes(b, start, METHOD) ? KEY_METHOD : sameBytes(b, start, PARAMS) ? KEY_PARAMS : KEY_OTHER;
    case 7:
      return sameBytes(b, start, JSONRPC) ? KEY_JSONRPC : KEY_OTHER;
    default:
      return KEY_OTHER;
  }
}

/** The member names as bytes, compared byte with byte rather than with a string's characters (the scan 6,913 → 6,759). */
const METHOD = Buffer.from('method');
const PARAMS = Buffer.from('params');
const JSONRPC = Buffer.from('jsonrpc');

function sameBytes(b: Uint8Array, start: number, word: Uint8Array): boolean {
  for (let k = 0; k < word.length; k++) if (b[start + k] !== word[k]) return false;
  return true;
}

function same(b: Uint8Array, start: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) if (b[start + k] !== word.charCodeAt(k)) return false;
  return true;
}

function isTwoPointZero(b: Uint8Array, start: number): boolean {
  return b[start] === 0x32 && b[start + 1] === 0x2e && b[start + 2] === 0x30; // 2.0
}

/**
 * Method names as sent, in 256 slots picked by length and first and last byte: the same few arrive on every request,
 * and a hit is confirmed byte by byte without making a string (making one cost more than the rest of the scan).
 */
const KNOWN = new Array<string>(256).fill('');

function knownString(b: Buffer, start: number, end: number): string {
  const length = end - start;
  const slot = length === 0 ? 0 : (length * 7 + b[start]! * 3 + b[end - 1]!) & 255;
  const known = KNOWN[slot]!;
  if (known.length === length && same(b, start, known)) return known;
  return (KNOWN[slot] = b.toString('latin1', start, end));
}

/** The JSON number in [start, end): an integer of up to 15 digits summed in place, anything else by Number(). */
function numberAt(b: Buffer, start: number, end: number): number {
  const negative = b[start] === 0x2d;
  const from = negative ? start + 1 : start;
  if (end - from <= 15) {
    let value = 0;
    let k = from;
    for (; k < end; k++) {
      const c = b[k]!;
      if (c < 0x30 || c > 0x39) break;
      value = value * 10 + (c - 0x30);
    }
    if (k === end) return negative ? -value : value;
  }
  return Number(b.toString('latin1', start, end));
}

/*
 * The loops below that run over every byte stop at the length rather than at a read past it: a read past a typed
 * array's end gives undefined, and once a load has seen that, V8 compiles it (and every comparison of what it read)
 * for a number or undefined — a message's last skipWs read past its end every time, and the scan cost ~20% more
 * (8,319 against 6,913 instructions for the bench's 98-byte request under cachegrind).
 */

/** `i`, or the index past the whitespace from it (the length when the rest is whitespace). */
function skipWs(b: Uint8Array, i: number): number {
  const n = b.length;
  for (; i < n; i++) {
    const c = b[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
  }
  return n;
}

/** `i` at an opening quote: the index past the closing one, or -1 when the string is not valid JSON. */
function skipString(b: Uint8Array, i: number): number {
  plain = true;
  const n = b.length;
  for (let j = i + 1; ;) {
    if (j >= n) return -1;
    const c = b[j]!;
    if (c === QUOTE) return j + 1;
    if (c === BACKSLASH) {
      plain = false;
      const e = b[j + 1];
      if (e === 0x75) {
        // \uXXXX
        for (let k = j + 2; k < j + 6; k++) if (!isHex(b[k])) return -1;
        j += 6;
      } else if (
        e === QUOTE ||
        e === BACKSLASH ||
        e === 0x2f || // /
        e === 0x62 || // b
        e === 0x66 || // f
        e === 0x6e || // n
        e === 0x72 || // r
        e === 0x74 // t
      ) {
        j += 2;
      } else return -1;
      continue;
    }
    if (c < 0x20) return -1;
    if (c >= 0x80) plain = false;
    j++;
  }
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

/** `i` at a number's first byte: the index past it, or -1 (RFC 8259 §6: no leading zeros, no bare dot, no plus). */
function skipNumber(b: Uint8Array, i: number): number {
  if (b[i] === 0x2d) i++; // -
  if (b[i] === 0x30) i++;
  else if (isDigit(b[i])) while (isDigit(b[i])) i++;
  else return -1;
  if (b[i] === 0x2e) {
    i++;
    if (!isDigit(b[i])) return -1;
    while (isDigit(b[i])) i++;
  }
  if (b[i] === 0x65 || b[i] === 0x45) {
    i++;
    if (b[i] === 0x2b || b[i] === 0x2d) i++;
    if (!isDigit(b[i])) return -1;
    while (isDigit(b[i])) i++;
  }
  return i;
}

function skipWord(b: Uint8Array, i: number, word: string): number {
  return same(b, i, word) ? i + word.length : -1;
}

/**
 * `i` at a value's first byte: the index past the value, or -1 when it is not valid JSON (or nests deeper than
 * MAX_DEPTH). Leaves `plain` as skipString set it when the value is a string.
 */
function skipValue(b: Uint8Array, i: number): number {
  let depth = 0;
  for (;;) {
    // A value starts at i.
    const c = b[i];
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      i = skipWs(b, i + 1);
      if (b[i] === (c === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY))
        i++; // empty
      else {
        if (depth === MAX_DEPTH) return -1;
        STACK[depth++] = c === OPEN_OBJECT ? 1 : 2;
        if (c === OPEN_OBJECT && (i = memberName(b, i)) < 0) return -1;
        continue;
      }
    } else if (c === QUOTE) i = skipString(b, i);
    else if (c === 0x74) i = skipWord(b, i, 'true');
    else if (c === 0x66) i = skipWord(b, i, 'false');
    else if (c === 0x6e) i = skipWord(b, i, 'null');
    else i = skipNumber(b, i);
    if (i < 0) return -1;
    // A value ended at i: the next member or element, or the ends of the containers it closes.
    for (;;) {
      if (depth === 0) return i;
      i = skipWs(b, i);
      const inObject = STACK[depth - 1] === 1;
      const d = b[i];
      if (d === COMMA) {
        i = skipWs(b, i + 1);
        if (inObject && (i = memberName(b, i)) < 0) return -1;
        break;
      }
      if (d !== (inObject ? CLOSE_OBJECT : CLOSE_ARRAY)) return -1;
      depth--;
      i++;
    }
  }
}

/** `i` at a member's name: the index of its value (past the colon and whitespace), or -1. */
function memberName(b: Uint8Array, i: number): number {
  if (b[i] !== QUOTE) return -1;
  i = skipString(b, i);
  if (i < 0) return -1;
  i = skipWs(b, i);
  if (b[i] !== COLON) return -1;
  return skipWs(b, i + 1);
}
