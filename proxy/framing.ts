/**
 * Newline-delimited JSON-RPC framing for stdio. Chunks are scanned for '\n' as Buffers; a message that arrives
 * whole inside one chunk is handed on as a subarray of it (no copy), and only a message split across chunks is
 * joined, once, when its newline arrives. A line longer than `maxLineBytes` is discarded up to its newline and
 * reported, so one oversized message cannot grow memory without bound or desynchronise the stream.
 */

export interface LineSink {
  /** A complete line, without its '\n' (and without a trailing '\r'). Empty lines are skipped. */
  onLine(line: Buffer): void;
  /** A line exceeded the limit and was dropped; `bytes` is how much of it had been seen when it was cut. */
  onOversize(bytes: number): void;
}

export class LineSplitter {
  readonly #max: number;
  readonly #sink: LineSink;
  #parts: Buffer[] = [];
  #size = 0;
  /** Inside an oversized line: drop bytes until the next newline. */
  #discarding = false;

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
        continue;
      }
      const total = this.#size + piece.length;
      if (total > this.#max) {
        this.#reset();
        this.#sink.onOversize(total);
        continue;
      }
      const line = this.#size === 0 ? piece : Buffer.concat([...this.#parts, piece], total);
      this.#reset();
      this.#emit(line);
    }
    if (start < chunk.length && !this.#discarding) {
      const rest = chunk.subarray(start);
      const total = this.#size + rest.length;
      if (total > this.#max) {
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

  #reset(): void {
    this.#parts = [];
    this.#size = 0;
  }

  #emit(line: Buffer): void {
    const end = line.length > 0 && line[line.length - 1] === 13 ? line.length - 1 : line.length;
    if (end > 0) this.#sink.onLine(end === line.length ? line : line.subarray(0, end));
  }
}
