/**
 * One stdio MCP server process: newline-delimited JSON-RPC on its stdin and stdout, its stderr passed to our log.
 * Ending it is graceful first: close its stdin (the MCP stdio way to say goodbye), then SIGTERM, then SIGKILL.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { LineSplitter, sniffRpcId } from '../../core/protocol/framing.js';
import type { Logger } from '../log.js';

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** True when we asked it to end. */
  readonly expected: boolean;
}

export interface StdioChildOptions {
  readonly maxLineBytes: number;
  readonly log: Logger;
  readonly onLine: (line: Buffer) => void;
  readonly onExit: (exit: ChildExit) => void;
  /** A line over maxLineBytes was dropped; its JSON-RPC id when it could be told. */
  readonly onDropped?: (id: string | number | undefined, bytes: number) => void;
  /** Extra environment for the child. */
  readonly env?: NodeJS.ProcessEnv;
}

const NEWLINE = Buffer.from('\n');

/**
 * Every child still running. Whatever way the proxy leaves — a clean shutdown, process.exit after the close grace,
 * an uncaught exception — the 'exit' hook kills what is left, synchronously: a child that ignores EOF and SIGTERM
 * must not outlive us. (Only a SIGKILL of the proxy itself escapes; then the children see EOF on stdin.)
 */
const live = new Set<ChildProcessByStdio<Writable, Readable, Readable>>();
let exitHook = false;

function track(proc: ChildProcessByStdio<Writable, Readable, Readable>): void {
  if (!exitHook) {
    exitHook = true;
    process.on('exit', killAll);
  }
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
}

/** SIGKILL to every child still running; synchronous, for the process's 'exit' event. */
export function killAll(): void {
  for (const proc of live) proc.kill('SIGKILL');
  live.clear();
}

/**
 * How long a child gets after its stdin closes before SIGTERM, and again before SIGKILL. Short enough that the
 * proxy's shutdown (2 s for requests in flight, then this twice) ends well inside the 5 s it is given.
 */
const CLOSE_GRACE_MS = 1_000;

export class StdioChild {
  readonly pid: number;
  readonly exited: Promise<ChildExit>;
  readonly #proc: ChildProcessByStdio<Writable, Readable, Readable>;
  #closing = false;

  constructor(command: readonly string[], options: StdioChildOptions) {
    const [file, ...args] = command;
    this.#proc = spawn(file!, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env });
    this.pid = this.#proc.pid ?? -1;
    track(this.#proc);
    const { log } = options;
    let dropped = 0;
    const splitter = new LineSplitter(options.maxLineBytes, {
      onLine: options.onLine,
      onOversize: (bytes) => {
        dropped = bytes;
        log.warn('stdio upstream wrote a line over the limit; dropped', { pid: this.pid, bytes });
      },
      onDropped: (head, tail) => options.onDropped?.(sniffRpcId(head, tail), dropped),
    });
    this.#proc.stdout.on('data', (chunk: Buffer) => splitter.push(chunk));
    const stderr = new LineSplitter(64 * 1024, {
      onLine: (line) => log.info('stdio upstream stderr', { pid: this.pid, line: line.toString('utf8') }),
      onOversize: () => {},
    });
    this.#proc.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    this.#proc.stdin.on('error', () => {}); // EPIPE after the child died: the exit handler reports it
    this.exited = new Promise((resolve) => {
      this.#proc.once('error', (err) => {
        log.error('stdio upstream failed to start', { command: command.join(' '), error: err.message });
      });
      this.#proc.once('close', (code, signal) => {
        const exit = { code, signal, expected: this.#closing };
        options.onExit(exit);
        resolve(exit);
      });
    });
  }

  get alive(): boolean {
    return this.#proc.exitCode === null && this.#proc.signalCode === null;
  }

  /** Writes one message (a line without its newline). Returns false when the pipe is full. */
  write(line: Buffer | string): boolean {
    if (!this.alive || this.#proc.stdin.destroyed) return false;
    this.#proc.stdin.cork();
    this.#proc.stdin.write(line);
    const ok = this.#proc.stdin.write(NEWLINE);
    process.nextTick(() => this.#proc.stdin.uncork());
    return ok;
  }

  /** Stops reading the child's stdout (its writes then block once the pipe fills): backpressure toward the server. */
  pauseOutput(): void {
    this.#proc.stdout.pause();
  }

  resumeOutput(): void {
    this.#proc.stdout.resume();
  }

  /** stdin's 'drain', for writers that respect backpressure. */
  onDrain(listener: () => void): void {
    this.#proc.stdin.once('drain', listener);
  }

  /** Ends the child: close stdin, then SIGTERM after `graceMs`, then SIGKILL after as long again. */
  async close(graceMs = CLOSE_GRACE_MS): Promise<ChildExit> {
    this.#closing = true;
    if (this.alive) {
      this.#proc.stdin.end();
      const term = setTimeout(() => this.#proc.kill('SIGTERM'), graceMs);
      const kill = setTimeout(() => this.#proc.kill('SIGKILL'), graceMs * 2);
      const exit = await this.exited;
      clearTimeout(term);
      clearTimeout(kill);
      return exit;
    }
    return this.exited;
  }
}
