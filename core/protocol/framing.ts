/**
 * Newline-delimited JSON-RPC framing for stdio. Chunks are scanned for '\n' as Buffers; a message that arrives
 * whole inside one chunk is handed on as a subarray of it (no copy), and only a message split across chunks is
 * joined, once, when its newline arrives. A line longer than `maxLineBytes` is discarded up to its newline and
 * reported, so one oversized message cannot grow memory without bound or desynchronise the stream.
 */

const EMPTY = Buffer.alloc(0);

export interface LineSink {
  /** A complete line, without its '\n' (and without a trailing '\r'). Empty lines are skipped. */
  onLine(line: Buffer): void;
  /** A line exceeded the limit and was dropped; `bytes` is how much of it had been seen when it was cut. */
  onOversize(bytes: number): void;
  /**
   * The dropped line has ended (its newline came): its first and last bytes (up to 256 each), enough to find the
   * JSON-RPC id of an over-long answer (sniffRpcId) so its request can be failed at once.
   */
  onDropped?(head: Buffer, tail: Buffer): void;
}

const EDGE = 256;
const ID = String.raw`(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|"(?:[^"\\]|\\.)*")`;
/** `{"id":…` or `{"jsonrpc":"2.0","id":…` at the very start of a message. */
const ID_FIRST = new RegExp(String.raw`^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*` + ID);
/** `,"id":…}` or `,"id":…,"jsonrpc":"2.0"}` closing the message (one brace: the top level's). */
const ID_LAST = new RegExp(String.raw`,\s*"id"\s*:\s*` + ID + String.raw`\s*(?:,\s*"jsonrpc"\s*:\s*"2\.0"\s*)?\}\s*$`);

/**
 * The top-level JSON-RPC id of a message that cannot be parsed whole (over the line limit, or not JSON), read from
 * its first and last bytes where serialisers put it; undefined when it cannot be told. Inside a JSON string a quote
 * is escaped, so `,"id":` can only be a member name, and the anchors keep nested objects' ids out.
 */
export function sniffRpcId(head: Buffer, tail: Buffer): string | number | undefined {
  const match = ID_FIRST.exec(head.toString('utf8')) ?? ID_LAST.exec(tail.toString('utf8'));
  if (match === null) return undefined;
  try {
    const id: unknown = JSON.parse(match[1]!);
    return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : undefined;
  } catch {
    return undefined;
  }
}

export class LineSplitter {
  readonly #max: number;
  readonly #sink: LineSink;
  #parts: Buffer[] = [];
  #size = 0;
  /** Inside an oversized line: drop bytes until the next newline. */
  #discarding = false;
  /** The first and (so far) last bytes of the line being dropped. */
  #dropHead: Buffer = EMPTY;
  #dropTail: Buffer = EMPTY;

  constructor(maxLineBytes: number, sink: LineSink) {
    this.#max = maxLineBytes;
    this.#sink = sink;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (this.#discarding) {
        this.#discarding = false;
        this.#dropped(piece);
        continue;
      }
      const total = this.#size + piece.length;
      if (total > this.#max) {
        this.#startDrop(piece);
        this.#reset();
        this.#sink.onOversize(total);
        this.#dropped(EMPTY);
        continue;
      }
      const line = this.#size === 0 ? piece : Buffer.concat([...this.#parts, piece], total);
      this.#reset();
      this.#emit(line);
    }
    if (start < chunk.length && this.#discarding) this.#keepTail(chunk.subarray(start));
    else if (start < chunk.length) {
      const rest = chunk.subarray(start);
      const total = this.#size + rest.length;
      if (total > this.#max) {
        this.#startDrop(rest);
        this.#reset();
        this.#discarding = true;
        this.#sink.onOversize(total);
      } else {
        this.#parts.push(rest);
        this.#size += rest.length;
      }
    }
  }

  /** Bytes held for a line not yet complete. */
  get pending(): number {
    return this.#size;
  }

  /** Keeps the head of a line about to be dropped: what was held of it, then `piece`. */
  #startDrop(piece: Buffer): void {
    if (this.#sink.onDropped === undefined) return;
    const head: Buffer[] = [];
    let n = 0;
    for (const part of [...this.#parts, piece]) {
      if (n >= EDGE) break;
      head.push(part.subarray(0, EDGE - n));
      n += head[head.length - 1]!.length;
    }
    this.#dropHead = Buffer.concat(head);
    this.#dropTail = EMPTY;
    this.#keepTail(piece);
  }

  #keepTail(piece: Buffer): void {
    if (this.#sink.onDropped === undefined) return;
    this.#dropTail =
      piece.length >= EDGE
        ? Buffer.from(piece.subarray(piece.length - EDGE))
        : Buffer.concat([this.#dropTail, piece]).subarray(-EDGE);
  }

  /** The dropped line's newline came, after `last`. */
  #dropped(last: Buffer): void {
    if (this.#sink.onDropped === undefined) return;
    this.#keepTail(last);
    const end =
      this.#dropTail.length > 0 && this.#dropTail[this.#dropTail.length - 1] === 13
        ? this.#dropTail.length - 1
        : this.#dropTail.length;
    this.#sink.onDropped(this.#dropHead, this.#dropTail.subarray(0, end));
    this.#dropHead = this.#dropTail = EMPTY;
  }

  #reset(): void {
    this.#parts = [];
    this.#size = 0;
  }

  #emit(line: Buffer): void {
    const end = line.length > 0 && line[line.length - 1] === 13 ? line.length - 1 : line.length;
    if (end > 0) this.#sink.onLine(end === line.length ? line : line.subarray(0, end));
  }
}
