/** Runs the real CLI as a child process, the way a user or CI would. */
import { execa, type ResultPromise } from 'execa';
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../../bin/mcp-perf.js', import.meta.url));
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A tag put in the environment of everything a test starts, so its descendants can be found in /proc. */
export function newTag(): string {
  return `mcp-perf-test-${randomUUID()}`;
}

export async function runCli(
  args: readonly string[],
  options: { tag?: string; timeoutMs?: number; cwd?: string; env?: Readonly<Record<string, string>> } = {},
): Promise<CliResult> {
  const result = await execa(process.execPath, [BIN, ...args], {
    reject: false,
    stdin: 'ignore',
    cwd: options.cwd ?? PACKAGE_ROOT,
    timeout: options.timeoutMs ?? 120_000,
    env: { MCP_PERF_TEST_TAG: options.tag ?? newTag(), CI: 'true', ...options.env },
  });
  return { code: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/**
 * `mcp-perf run SCENARIO` in the smoke profile with no baseline of its own and no report, writing to `out`: the
 * quick way for a test to see a scenario run end to end. `extra` flags follow.
 */
export function smokeRunArgs(scenario: string, out: string, ...extra: string[]): string[] {
  return [
    'run',
    scenario,
    '--profile',
    'smoke',
    '--no-report',
    '--baseline',
    `${out}.no-baseline.json`,
    '--out',
    out,
    ...extra,
  ];
}

/** Starts a long-running CLI command and resolves with its ready line. */
export async function startService(
  args: readonly string[],
  tag = newTag(),
  /** The script to run: the CLI, or one under dist/scripts/ that prints the same ready line. */
  entry = BIN,
): Promise<{ url: string; pid: number; proc: ResultPromise; stop(): Promise<void> }> {
  const proc = execa(process.execPath, [entry, ...args], {
    stdin: 'pipe',
    buffer: false,
    reject: false,
    env: { MCP_PERF_TEST_TAG: tag },
  });
  const ready = await new Promise<{ url: string; pid: number }>((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stderr?.on('data', (d: Buffer) => (err += String(d)));
    proc.stdout?.on('data', (d: Buffer) => {
      out += String(d);
      const line = out.split('\n').find((l) => l.startsWith('{"event":"ready"'));
      if (line) resolve(JSON.parse(line) as { url: string; pid: number });
    });
    void proc.then(() => reject(new Error(`mcp-perf ${args.join(' ')} exited before ready: ${err}`)));
  });
  return {
    ...ready,
    proc,
    async stop() {
      proc.kill('SIGTERM');
      await proc;
    },
  };
}

/** PIDs of live processes whose environment carries the tag (zombies excluded). */
export function processesWithTag(tag: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').includes(`MCP_PERF_TEST_TAG=${tag}`))
        found.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/** Waits until no process carries the tag; returns the ones still alive after the deadline. */
export async function waitForNoProcesses(tag: string, timeoutMs = 5_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = processesWithTag(tag);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export type Service = Awaited<ReturnType<typeof startService>>;

/**
 * Services started under one tag, and whatever else a test must stop, ended newest first by `stopAll`, which
 * resolves with the tagged processes still alive afterwards (a test asserts there are none).
 */
export function serviceGroup(tag = newTag()): {
  tag: string;
  start(args: readonly string[]): Promise<Service>;
  defer(stop: () => Promise<void>): void;
  stopAll(): Promise<number[]>;
} {
  const stops: Array<() => Promise<void>> = [];
  return {
    tag,
    async start(args) {
      const s = await startService(args, tag);
      stops.push(() => s.stop());
      return s;
    },
    defer(stop) {
      stops.push(stop);
    },
    async stopAll() {
      for (const stop of stops.splice(0).reverse()) await stop();
      return waitForNoProcesses(tag);
    },
  };
}
