/**
 * Where an HTTP/1.1 head ends, whether every byte before that end may be in a head, and where each of its lines ends
 * and has its first colon (LINES, which the parse reads its lines by) — one pass, sixteen bytes at a time, in
 * WebAssembly (head-scan.wat). The proxy's server and upstream pool read their sockets into READ_BUFFERS,
 * which live in the scanner's memory: a head that arrived in one read is scanned where it landed, without a copy; any
 * other is copied into the scanner's scratch area first (or read by jsHeadEnd when it is larger than that).
 *
 * Why: what it replaces — the blank line looked for by Buffer#indexOf (a call into C++, ~1.3k instructions a head),
 * the control-character check four bytes at a time in JavaScript (~3k for a call's two heads) and two indexOf per
 * field line — cost the proxy ~8.5k instructions per call; the scan with its table ~2.6k (docs/proxy.md,
 * "Instructions per call").
 *
 * jsHeadEnd is the same rule byte by byte: the scan where WebAssembly is missing (node --jitless), and the reference
 * test/unit/head-scan.test.ts holds the scan to.
 */
import { instantiate, memoryOf } from './wasm.js';

/** What a head may not hold before its end: see headEnd. */
export const BAD_HEAD = -2;
/** More lines in a head than MAX_LINES. */
export const TOO_MANY_LINES = -3;
/** A head's lines the table holds (node:http keeps 2,000 fields by default and drops the rest). */
export const MAX_LINES = 4_096;

const READ_BYTES = 64 * 1024;
/** The scanner's memory (head-scan.wat): two read buffers, the scratch area, then the table. */
const SCRATCH_AT = 2 * READ_BYTES;
const SCRATCH_BYTES = 64 * 1024;
const TABLE_AT = SCRATCH_AT + SCRATCH_BYTES;
const TABLE_LENGTH = 1 + 2 * MAX_LINES;
/** Then the names matched per line (an i32 each), and the names met: 256 slots of 32 bytes, then their lengths. */
const MATCH_AT = TABLE_AT + 4 * (TABLE_LENGTH + 1);
const SLOTS_AT = MATCH_AT + 4 * MAX_LINES;
/** The longest name a slot holds. */
const SLOT_BYTES = 32;

interface Scanner {
  readonly memory: ArrayBuffer;
  readonly headEnd: (ptr: number, len: number, table: number, maxLines: number, match: number, slots: number) => number;
  readonly scratch: Buffer;
  readonly slots: Uint8Array;
}

function load(): Scanner | undefined {
  const exports = instantiate('head-scan');
  if (exports === undefined) return undefined;
  const memory = memoryOf(exports);
  return {
    memory,
    headEnd: exports.headEnd as Scanner['headEnd'],
    scratch: Buffer.from(memory, SCRATCH_AT, SCRATCH_BYTES),
    slots: new Uint8Array(memory, SLOTS_AT, 256 * SLOT_BYTES + 256),
  };
}

const scanner = load();
/** Whether heads are scanned in WebAssembly here (else by jsHeadEnd). */
export const SCAN_IN_WASM = scanner !== undefined;

/**
 * Two 64 KiB buffers for socket reads (the server's and the upstream pool's: each is read into by one connection at a
 * time, and what is kept of a read is copied out), in the scanner's memory when there is one.
 */
export const READ_BUFFERS: readonly [Buffer, Buffer] =
  scanner === undefined
    ? [Buffer.allocUnsafeSlow(READ_BYTES), Buffer.allocUnsafeSlow(READ_BYTES)]
    : [Buffer.from(scanner.memory, 0, READ_BYTES), Buffer.from(scanner.memory, READ_BYTES, READ_BYTES)];

/** The last view readView made of each read buffer. */
const lastViews: [Buffer | undefined, Buffer | undefined] = [undefined, undefined];

/**
 * The first `n` bytes of READ_BUFFERS[k], as a socket's read callback hands them on. The view of the read before is
 * handed on again when it has the same length (requests and answers of one size follow one another): a view costs
 * ~500 instructions (its `.buffer`, a call into the runtime, and a typed array), and none is kept past the callback
 * it was made for — what the server and the pool keep of a read, they copy. headEnd knows a view made here is in the
 * scanner's memory without asking for its `.buffer`.
 */
export function readView(k: 0 | 1, n: number): Buffer {
  const last = lastViews[k];
  if (last !== undefined && last.length === n) {
    if (last === lastBuf) lastBuf = undefined; // new bytes: the lines noted for it are not theirs
    return last;
  }
  const view = READ_BUFFERS[k].subarray(0, n);
  lastViews[k] = view;
  return view;
}

/**
 * The lines of the head headEnd found last: LINES[0] their number (the request or status line and the blank line
 * included), then for line k LINES[1 + 2k] the index of its first colon (0 when it has none) and LINES[2 + 2k] the
 * index of its LF, both from the head's first byte.
 */
export const LINES: Int32Array =
  scanner === undefined ? new Int32Array(TABLE_LENGTH) : new Int32Array(scanner.memory, TABLE_AT, TABLE_LENGTH);

/**
 * For the head headEnd found last, when namesMatched: MATCH[k] the slot of the names met (noteName) whose name line k
 * has, in any case, or -1 (see head-scan.wat's `names`).
 */
export const MATCH: Int32Array =
  scanner === undefined ? new Int32Array(MAX_LINES) : new Int32Array(scanner.memory, MATCH_AT, MAX_LINES);

/** Whether MATCH holds the names of the head headEnd found last (the scan in JavaScript matches none). */
export let namesMatched = false;

/**
 * A field name met, lowercase and checked, that its parser keeps in `slot` (0 to 255): the scan matches the lines of
 * the heads after it against it. A name longer than 32 bytes is not matched (the slot is emptied).
 */
export function noteName(slot: number, lower: string): void {
  if (scanner === undefined) return;
  const slots = scanner.slots;
  const length = lower.length <= SLOT_BYTES ? lower.length : 0;
  for (let k = 0; k < length; k++) slots[slot * SLOT_BYTES + k] = lower.charCodeAt(k);
  slots[256 * SLOT_BYTES + slot] = length;
}

/**
 * `buf`'s first `n` bytes read from a head's first byte: the index just past the head's blank line (its first CRLF
 * CRLF) when every byte before it is allowed, its lines in LINES; BAD_HEAD as soon as one before any such end is not —
 * a control character other than HTAB, CR and LF, DEL, a CR not followed by LF, an LF not after a CR; TOO_MANY_LINES
 * past MAX_LINES lines (or BAD_HEAD, for a bad byte near that line); -1 when none is known yet (a CR in the last byte
 * waits for its LF). What follows the end (a body, the next request) is not read.
 */
export function headEnd(buf: Buffer, n: number): number {
  const end = scan(buf, Math.min(n, buf.length)); // never past the view: the scan would read other memory
  lastBuf = end > 0 ? buf : undefined;
  lastEnd = end;
  return end;
}

/** The head whose lines LINES holds: what headEnd found last. */
let lastBuf: Buffer | undefined;
let lastEnd = -1;

/** Whether LINES holds the lines of the head that starts `buf` and ends at `end` (headEnd found it last). */
export function hasLinesOf(buf: Buffer, end: number): boolean {
  return buf === lastBuf && end === lastEnd;
}

function scan(buf: Buffer, n: number): number {
  // `.buffer` is a call into the runtime (~115 instructions): read once, and not for a view readView made.
  const inMemory =
    scanner !== undefined && (buf === lastViews[0] || buf === lastViews[1] || buf.buffer === scanner.memory);
  namesMatched = scanner !== undefined && (inMemory || n <= SCRATCH_BYTES);
  if (scanner === undefined) return jsHeadEnd(buf, n, LINES);
  if (inMemory) return scanner.headEnd(buf.byteOffset, n, TABLE_AT, MAX_LINES, MATCH_AT, SLOTS_AT);
  if (n > SCRATCH_BYTES) return jsHeadEnd(buf, n, LINES);
  scanner.scratch.set(n === buf.length ? buf : buf.subarray(0, n));
  return scanner.headEnd(SCRATCH_AT, n, TABLE_AT, MAX_LINES, MATCH_AT, SLOTS_AT);
}

/** headEnd's rule, byte by byte, its lines noted in `lines` (laid out as LINES; given LINES, only headEnd calls it). */
export function jsHeadEnd(buf: Uint8Array, n: number, lines: Int32Array): number {
  // 0: in a line, 1: after its CR, 2: after its CRLF, 3: after the CR that begins a blank line.
  let state = 0;
  let count = 0;
  let colon = 0;
  for (let i = 0; i < n; i++) {
    const c = buf[i]!;
    if (c === 0x0a) {
      if ((state & 1) === 0) return BAD_HEAD;
      if (count === MAX_LINES) return TOO_MANY_LINES;
      lines[1 + 2 * count] = colon;
      lines[2 + 2 * count] = i;
      count++;
      colon = 0;
      if (state === 3) {
        lines[0] = count;
        return i + 1;
      }
      state = 2;
    } else if ((state & 1) !== 0) return BAD_HEAD;
    else if (c === 0x0d) state++;
    else if ((c >= 0x20 && c !== 0x7f) || c === 0x09) {
      if (c === 0x3a && colon === 0) colon = i;
      state = 0;
    } else return BAD_HEAD;
  }
  return -1;
}
