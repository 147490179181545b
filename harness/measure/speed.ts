/**
 * Two short figures that tell machines of the same model apart when one is twice as fast as the other (VMs of one
 * kind differ by up to 2×): the generator's single-core speed on a fixed JSON workload, and the loopback round
 * trip. Measured at the start of every run (~0.3 s) and recorded in its environment; a baseline applies only to a
 * run whose figures are within TOLERANCE of its own (baseline/store.ts).
 */
import { execFile } from 'node:child_process';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { McpPerfError } from '../../core/runtime/errors.js';

const execFileAsync = promisify(execFile);

export interface SpeedFigures {
  /**
   * JSON.stringify + JSON.parse round trips of a fixed 1 KB tools/call answer per millisecond, in the fastest of
   * several short bursts: what the core can do, which a neighbour's passing load moves far less than the median.
   */
  readonly cpuOpsPerMs: number;
  /** Round trip of a 64-byte message over a loopback TCP connection, µs: the 10th percentile (the floor, less noisy). */
  readonly loopbackRttUs: number;
}

/** How far apart two runs' figures may be and still be the same testbed: a speed step of 2× is far outside. */
export const TOLERANCE = { cpuOpsPerMs: 0.2, loopbackRttUs: 0.5 } as const;

const BURSTS = 15;
const BURST_MS = 20;
const ROUND_TRIPS = 600;

/**
 * The figures a run keys its testbed by: `MCP_PERF_SPEED=<ops/ms>,<µs>` pins them (a test that needs two runs to be
 * one testbed; a replay of a recorded testbed) — otherwise measured.
 */
export async function runSpeed(env: NodeJS.ProcessEnv = process.env): Promise<SpeedFigures> {
  const pinned = env['MCP_PERF_SPEED'];
  if (pinned === undefined || pinned === '') return measureSpeed();
  const m = /^\s*(\d+(?:\.\d+)?)\s*,\s*(\d+(?:\.\d+)?)\s*$/.exec(pinned);
  if (m === null || Number(m[1]) <= 0 || Number(m[2]) <= 0)
    throw new McpPerfError(
      'MCP_PERF_CONFIG',
      `MCP_PERF_SPEED="${pinned}": expected "<CPU ops/ms>,<loopback µs>", two positive numbers, e.g. "377,15"`,
    );
  return { cpuOpsPerMs: Number(m[1]), loopbackRttUs: Number(m[2]) };
}

/**
 * Measured in a fresh node process: the figures must not depend on what the calling process has loaded or
 * allocated (in the run process the CPU figure read 15–25% lower than in a fresh one, and moved with it).
 */
export async function measureSpeed(): Promise<SpeedFigures> {
  const { stdout } = await execFileAsync(process.execPath, [fileURLToPath(import.meta.url), '--probe'], {
    timeout: 30_000,
  });
  return JSON.parse(stdout) as SpeedFigures;
}

async function probe(): Promise<SpeedFigures> {
  return { cpuOpsPerMs: cpuScore(), loopbackRttUs: await loopbackRtt() };
}

function cpuScore(): number {
  const answer = {
    jsonrpc: '2.0',
    id: 42,
    result: { content: [{ type: 'text', text: 'x'.repeat(900) }], structuredContent: { n: 1, ok: true } },
  };
  const rates: number[] = [];
  let sink = 0;
  for (let b = 0; b < BURSTS; b++) {
    const t0 = performance.now();
    let ops = 0;
    while (performance.now() - t0 < BURST_MS) {
      sink += (JSON.parse(JSON.stringify(answer)) as { id: number }).id;
      ops++;
    }
    rates.push(ops / (performance.now() - t0));
  }
  if (sink === 0) throw new Error('unreachable'); // keeps the work from being optimised away
  return Math.round(Math.max(...rates));
}

async function loopbackRtt(): Promise<number> {
  const server = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const socket = createConnection({ host: '127.0.0.1', port, noDelay: true });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const message = Buffer.alloc(64, 1);
  const samples: number[] = [];
  try {
    for (let i = 0; i < ROUND_TRIPS; i++) {
      const t0 = performance.now();
      await new Promise<void>((resolve) => {
        let got = 0;
        const onData = (chunk: Buffer): void => {
          got += chunk.length;
          if (got >= message.length) {
            socket.off('data', onData);
            resolve();
          }
        };
        socket.on('data', onData);
        socket.write(message);
      });
      samples.push((performance.now() - t0) * 1000);
    }
  } finally {
    socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  // The first round trips warm the path up.
  return Math.round(quantile(samples.slice(ROUND_TRIPS / 5), 0.1));
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Whether two runs' figures are close enough to call them one testbed; the reason when not. */
export function sameSpeed(a: SpeedFigures, b: SpeedFigures): { same: boolean; why: string } {
  const off = (key: keyof SpeedFigures): number => Math.abs(a[key] - b[key]) / Math.max(1e-9, b[key]);
  const cpu = off('cpuOpsPerMs');
  const rtt = off('loopbackRttUs');
  if (cpu > TOLERANCE.cpuOpsPerMs)
    return { same: false, why: `CPU speed ${a.cpuOpsPerMs} vs ${b.cpuOpsPerMs} ops/ms (${pct(a, b, 'cpuOpsPerMs')})` };
  if (rtt > TOLERANCE.loopbackRttUs)
    return {
      same: false,
      why: `loopback round trip ${a.loopbackRttUs} vs ${b.loopbackRttUs} µs (${pct(a, b, 'loopbackRttUs')})`,
    };
  return {
    same: true,
    why: `CPU speed ${pct(a, b, 'cpuOpsPerMs')}, loopback round trip ${pct(a, b, 'loopbackRttUs')}`,
  };
}

function pct(a: SpeedFigures, b: SpeedFigures, key: keyof SpeedFigures): string {
  const d = ((a[key] - b[key]) / Math.max(1e-9, b[key])) * 100;
  return `${d >= 0 ? '+' : ''}${d.toFixed(0)}%`;
}

// `node speed.js --probe`: the child measureSpeed runs; prints the figures as JSON.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--probe') {
  process.stdout.write(JSON.stringify(await probe()) + '\n');
}
