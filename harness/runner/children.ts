/**
 * The processes a run starts (mock, proxy, relay), each as `node bin/mcp-perf.js <command>`, tracked as one group.
 * Every child is ended on every path out: stopAll() closes its stdin and sends SIGTERM, then SIGKILL after a grace
 * period; execa's `cleanup` kills it if we exit abruptly; and a child whose stdin pipe closes exits by itself, which
 * covers even a SIGKILL of the runner.
 */
import { execa, type ResultPromise } from 'execa';
import { fileURLToPath } from 'node:url';
import { McpPerfError } from '../../core/runtime/errors.js';
import { parseReadyLine } from '../../core/runtime/service.js';

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
}

interface Entry {
  child: Child;
  process: ResultPromise;
}

export class ProcessGroup {
  readonly #entries: Entry[] = [];
  readonly #proxyArgs: readonly string[];

  /** `proxyArgs` are appended to every `mcp-perf proxy` started (mcp-perf run --proxy-args). */
  constructor(options: { readonly proxyArgs?: readonly string[] } = {}) {
    this.#proxyArgs = options.proxyArgs ?? [];
  }

  /** Starts `mcp-perf <args>` and waits for its ready line. */
  async start(name: string, commandArgs: readonly string[]): Promise<Child> {
    const args =
      commandArgs[0] === 'proxy' && this.#proxyArgs.length > 0 ? [...commandArgs, ...this.#proxyArgs] : commandArgs;
    const proc = execa(process.execPath, [CLI_BIN, ...args], {
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      cleanup: true,
      forceKillAfterDelay: STOP_GRACE_MS,
    });
    let tail = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      tail = (tail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    const exited = proc.then(
      () => undefined,
      () => undefined,
    );

    const ready = await new Promise<{ url: string; pid: number } | Error>((resolve) => {
      let buffered = '';
      const timer = setTimeout(
        () => resolve(new Error(`no ready line within ${READY_TIMEOUT_MS} ms`)),
        READY_TIMEOUT_MS,
      );
      proc.stdout?.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const ready = parseReadyLine(buffered.slice(0, nl).trim());
          buffered = buffered.slice(nl + 1);
          if (ready) {
            clearTimeout(timer);
            resolve(ready);
          }
        }
      });
      void exited.then(() => {
        clearTimeout(timer);
        resolve(new Error(`exited with code ${String(proc.exitCode)} before it was ready`));
      });
    });

    const child: Child = { name, pid: proc.pid ?? -1, url: '', exited, stderrTail: () => tail.trim() };
    this.#entries.push({ child, process: proc });
    if (ready instanceof Error) {
      await this.#stop(this.#entries[this.#entries.length - 1]!);
      throw new McpPerfError(
        'MCP_PERF_CHILD_START',
        `${name} (mcp-perf ${args.join(' ')}) failed to start: ${ready.message}${tail ? `\n${tail.trim()}` : ''}`,
      );
    }
    Object.assign(child, { url: ready.url, pid: ready.pid });
    return child;
  }

  /** Ends every child, newest first (the proxy before the upstream it forwards to). Never throws. */
  async stopAll(): Promise<void> {
    const entries = this.#entries.splice(0).reverse();
    for (const entry of entries) await this.#stop(entry);
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
