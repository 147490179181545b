/**
 * The processes a run starts (mock, proxy, relay), each as `node bin/mcp-perf.js <command>`, tracked as one group.
 * Every child is ended on every path out: stopAll() closes its stdin and sends SIGTERM, then SIGKILL after a grace
 * period; execa's `cleanup` kills it if we exit abruptly; and a child whose stdin pipe closes exits by itself, which
 * covers even a SIGKILL of the runner.
 */
import { execa, type ResultPromise } from 'execa';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { McpPerfError } from '../../core/runtime/errors.js';
import { parseReadyLine } from '../../core/runtime/service.js';
import { quoteCommand } from '../../core/runtime/argv.js';
import { abortableSleep } from '../../core/runtime/clock.js';
import { connect, createServer } from 'node:net';
import type { Readable } from 'node:stream';
import type { Readiness } from '../../scenarios/targets.js';

export const CLI_BIN = fileURLToPath(new URL('../../../bin/mcp-perf.js', import.meta.url));

const READY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 3_000;
const STDERR_TAIL_BYTES = 4_096;

export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly url: string;
  /** Resolves when the process has exited, for whatever reason. */
  readonly exited: Promise<void>;
  /** Last lines the child wrote to stderr, for error messages. */
  stderrTail(): string;
  /** How it ended ("exited with code 3", "killed by SIGKILL"), or undefined while it runs. */
  ended(): string | undefined;
}

interface Entry {
  child: Child;
  process: ResultPromise;
}

/** A port nothing listens on now (the OS's pick for port 0), for a target that must be told where to listen. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export class ProcessGroup {
  readonly #entries: Entry[] = [];
  readonly #proxyArgs: readonly string[];

  /** `proxyArgs` are appended to every `mcp-perf proxy` started (mcp-perf run --proxy-args). */
  constructor(options: { readonly proxyArgs?: readonly string[] } = {}) {
    this.#proxyArgs = options.proxyArgs ?? [];
  }

  /** Starts `mcp-perf <args>` and waits for its ready line. */
  async start(
    name: string,
    commandArgs: readonly string[],
    options: { readonly nodeArgs?: readonly string[] } = {},
  ): Promise<Child> {
    return this.spawn(name, ['mcp-perf', ...commandArgs], { ready: 'ready-line', nodeArgs: options.nodeArgs });
  }

  /**
   * Starts any command and waits until it is ready: its ready line, or `url`'s port accepting a connection, or an
   * HTTP GET of a path on `url` answering. `argv[0]` `mcp-perf` is this package's CLI, run with this node; anything
   * else is an executable (on PATH or a path). A command that exits first, or is not ready in time, is ended and
   * reported with the last of its stderr.
   */
  async spawn(
    name: string,
    argv: readonly string[],
    how: { ready: Readiness; url?: string; timeoutMs?: number; nodeArgs?: readonly string[] },
  ): Promise<Child> {
    if (argv.length === 0) throw new McpPerfError('MCP_PERF_CHILD_START', `${name}: empty command`);
    // `mcp-perf run --proxy-args` reaches every `mcp-perf proxy` started.
    if (argv[0] === 'mcp-perf' && argv[1] === 'proxy') argv = [...argv, ...this.#proxyArgs];
    const [file, args] =
      argv[0] === 'mcp-perf'
        ? [process.execPath, [...(how.nodeArgs ?? []), CLI_BIN, ...argv.slice(1)]]
        : [executable(argv[0]!), argv.slice(1)];
    const shown = quoteCommand(argv);
    const proc = execa(file, args, {
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      cleanup: true,
      forceKillAfterDelay: STOP_GRACE_MS,
    });
    let tail = '';
    const keepTail = (chunk: Buffer): void => {
      tail = (tail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    };
    proc.stderr?.on('data', keepTail);
    const exited = proc.then(
      (r) => r,
      (err: unknown) => err,
    );
    const exitedVoid = exited.then(() => undefined);
    const child: Child = {
      name,
      pid: proc.pid ?? -1,
      url: how.url ?? '',
      exited: exitedVoid,
      stderrTail: () => tail.trim(),
      ended: () =>
        proc.signalCode !== null
          ? `killed by ${proc.signalCode}`
          : proc.exitCode !== null
            ? `exited with code ${proc.exitCode}`
            : undefined,
    };
    const entry = { child, process: proc };
    this.#entries.push(entry);

    const gone = exited.then((r) => {
      // execa reports a command that could not start (ENOENT) as a result with a message.
      const failed = (r as { failed?: boolean; code?: string; shortMessage?: string } | undefined) ?? {};
      if (failed.code === 'ENOENT') return new Error(`command not found: ${argv[0]}`);
      return new Error(`exited with code ${String(proc.exitCode ?? proc.signalCode)} before it was ready`);
    });
    const deadline = new Promise<Error>((resolve) => {
      const timeoutMs = how.timeoutMs ?? READY_TIMEOUT_MS;
      const timer = setTimeout(() => resolve(new Error(`not ready within ${timeoutMs} ms`)), timeoutMs);
      void exitedVoid.then(() => clearTimeout(timer));
    });
    const ready =
      how.ready === 'ready-line'
        ? readyLine(proc.stdout)
        : probe(how.url ?? '', how.ready, () => proc.exitCode !== null || proc.signalCode !== null);
    // A target that is not ours may write freely to stdout; it must not fill the pipe and stall.
    if (how.ready !== 'ready-line') proc.stdout?.resume();
    const outcome = await Promise.race([ready, gone, deadline]);

    if (outcome instanceof Error) {
      await this.#stop(entry);
      this.#entries.splice(this.#entries.indexOf(entry), 1);
      throw new McpPerfError(
        'MCP_PERF_CHILD_START',
        `${name} (${shown}) failed to start: ${outcome.message}${tail ? `\n${tail.trim()}` : ''}`,
      );
    }
    if (how.ready === 'ready-line') proc.stdout?.resume();
    Object.assign(child, outcome);
    return child;
  }

  /** Every process started and not yet ended, oldest first. */
  running(): readonly Child[] {
    return this.#entries.map((e) => e.child);
  }

  /** Ends every child, newest first (the proxy before the upstream it forwards to). Never throws. */
  async stopAll(): Promise<void> {
    const entries = this.#entries.splice(0).reverse();
    for (const entry of entries) await this.#stop(entry);
  }

  /** Ends one child gracefully (stdin closed, SIGTERM, SIGKILL after the grace) and waits until it is gone. */
  async stop(child: Child): Promise<void> {
    const index = this.#entries.findIndex((e) => e.child === child);
    if (index === -1) return;
    const [entry] = this.#entries.splice(index, 1);
    await this.#stop(entry!);
  }

  /** Kills one child at once (SIGKILL: an upstream that dies, for fault scenarios) and waits until it is gone. */
  async kill(child: Child): Promise<void> {
    const index = this.#entries.findIndex((e) => e.child === child);
    if (index === -1) return;
    const [entry] = this.#entries.splice(index, 1);
    entry!.process.kill('SIGKILL');
    await child.exited;
  }

  /** Last resort on a second Ctrl-C: SIGKILL everything now, synchronously. */
  killAllNow(): void {
    for (const entry of this.#entries) entry.process.kill('SIGKILL');
  }

  async #stop(entry: Entry): Promise<void> {
    const proc = entry.process;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.stdin?.end();
    proc.kill('SIGTERM'); // forceKillAfterDelay sends SIGKILL if it is still alive after the grace period
    await entry.child.exited;
  }
}

/** Resolves with the URL and pid of the first ready line on `stdout`; never rejects (the race has other arms). */
function readyLine(stdout: Readable | null): Promise<{ url: string; pid: number }> {
  return new Promise((resolve) => {
    let buffered = '';
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const ready = parseReadyLine(buffered.slice(0, nl).trim());
        buffered = buffered.slice(nl + 1);
        if (ready) {
          stdout?.off('data', onData);
          resolve({ url: ready.url, pid: ready.pid });
          return;
        }
      }
    };
    stdout?.on('data', onData);
  });
}

const PROBE_EVERY_MS = 50;

/** Polls `url` until its port accepts a connection (or, for `{ http }`, a GET of that path answers). */
async function probe(url: string, ready: Exclude<Readiness, 'ready-line'>, gone: () => boolean): Promise<object> {
  const target = new URL(url);
  for (;;) {
    if (gone()) return new Promise(() => {}); // the exit arm of the race answers
    if (await answers(target, ready)) return {};
    await abortableSleep(PROBE_EVERY_MS);
  }
}

/** Whether the target answers once now: a TCP connect, or any HTTP status for a GET of the given path. */
export async function answers(target: URL, ready: Exclude<Readiness, 'ready-line'>): Promise<boolean> {
  if (ready === 'port') {
    return new Promise((resolve) => {
      const socket = connect({ host: target.hostname.replace(/^\[|\]$/g, ''), port: Number(target.port) });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  }
  try {
    const res = await fetch(new URL(ready.http, target), { signal: AbortSignal.timeout(1_000) });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

/** A bare command name as this package's node_modules/.bin has it (the peers it installs), else as given (PATH). */
function executable(name: string): string {
  if (name.includes('/')) return name;
  const local = fileURLToPath(new URL(`../../../node_modules/.bin/${name}`, import.meta.url));
  return existsSync(local) ? local : name;
}

/** Whether a target's command can be started here: `mcp-perf`, a path that exists, or a name found as spawn would. */
export function commandAvailable(name: string, path = process.env['PATH'] ?? ''): boolean {
  if (name === 'mcp-perf') return true;
  const file = executable(name);
  if (file.includes('/')) return existsSync(file);
  return path.split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, file)));
}
