/**
 * Where an HTTP/1.1 head ends, and whether every byte before that end may be in a head — one pass, sixteen bytes at a
 * time, in WebAssembly (head-scan.wat). The proxy's server and upstream pool read their sockets into READ_BUFFERS,
 * which live in the scanner's memory: a head that arrived in one read is scanned where it landed, without a copy; any
 * other is copied into the scanner's scratch area first (or read by jsHeadEnd when it is larger than that).
 *
 * Why: the two passes it replaces — the blank line looked for by Buffer#indexOf (a call into C++, ~1.3k instructions a
 * head), then the control-character check four bytes at a time in JavaScript (~3k for a call's two heads) — were ~9%
 * of the proxy's instructions per call; the scan costs a few hundred (docs/proxy.md, "Instructions per call").
 *
 * jsHeadEnd is the same rule byte by byte: the scan where WebAssembly is missing (node --jitless), and the reference
 * test/unit/head-scan.test.ts holds the scan to.
 */
import { readFileSync } from 'node:fs';

/** What a head may not hold before its end: see headEnd. */
export const BAD_HEAD = -2;

/** The part of the WebAssembly API used here (TypeScript declares it with the DOM's library, which we do not load). */
declare const WebAssembly:
  | {
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object) => { exports: Record<string, unknown> };
      Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer };
    }
  | undefined;

const READ_BYTES = 64 * 1024;
/** The scanner's memory (head-scan.wat): two read buffers, then the scratch area. */
const SCRATCH_AT = 2 * READ_BYTES;
const SCRATCH_BYTES = 64 * 1024;

interface Scanner {
  readonly memory: ArrayBuffer;
  readonly headEnd: (ptr: number, len: number) => number;
  readonly scratch: Buffer;
}

function load(): Scanner | undefined {
  if (typeof WebAssembly !== 'object') return undefined;
  const file = new URL('./head-scan.wasm', import.meta.url);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    throw new Error(`${file.pathname} is missing: \`npm run build\` compiles it from core/protocol/head-scan.wat`);
  }
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  const memory = (exports.memory as { buffer: ArrayBuffer }).buffer;
  return {
    memory,
    headEnd: exports.headEnd as (ptr: number, len: number) => number,
    scratch: Buffer.from(memory, SCRATCH_AT, SCRATCH_BYTES),
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

/**
 * `buf`'s first `n` bytes read from a head's first byte: the index just past the head's blank line (its first CRLF
 * CRLF) when every byte before it is allowed; BAD_HEAD as soon as one before any such end is not — a control
 * character other than HTAB, CR and LF, DEL, a CR not followed by LF, an LF not after a CR; -1 when neither is known
 * yet (a CR in the last byte waits for its LF). What follows the end (a body, the next request) is not read.
 */
export function headEnd(buf: Buffer, n: number): number {
  if (scanner === undefined) return jsHeadEnd(buf, n);
  if (buf.buffer === scanner.memory) return scanner.headEnd(buf.byteOffset, n);
  if (n > SCRATCH_BYTES) return jsHeadEnd(buf, n);
  scanner.scratch.set(n === buf.length ? buf : buf.subarray(0, n));
  return scanner.headEnd(SCRATCH_AT, n);
}

/** headEnd's rule, byte by byte. */
export function jsHeadEnd(buf: Uint8Array, n: number): number {
  // 0: in a line, 1: after its CR, 2: after its CRLF, 3: after the CR that begins a blank line.
  let state = 0;
  for (let i = 0; i < n; i++) {
    const c = buf[i]!;
    if (c === 0x0a) {
      if ((state & 1) === 0) return BAD_HEAD;
      if (state === 3) return i + 1;
      state = 2;
    } else if ((state & 1) !== 0) return BAD_HEAD;
    else if (c === 0x0d) state++;
    else if ((c >= 0x20 && c !== 0x7f) || c === 0x09) state = 0;
    else return BAD_HEAD;
  }
  return -1;
}
