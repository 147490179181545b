/**
 * Pipelined load on a stdio MCP server (or a stdio proxy in front of one): after the initialize handshake, keep
 * `window` tools/call requests outstanding on the one pipe, sending the next as each answer arrives. Latency is
 * from each request's send; ids are checked like the HTTP driver's. The process is the driver's to start and end.
 */
import { spawn } from 'node:child_process';
import { LineSplitter } from '../../core/protocol/framing.js';
import { abortableSleep, monotonicNs } from '../../core/runtime/clock.js';
import { createLatencyHistogram, recordMicros } from '../../core/measure/histogram.js';
import { ErrorTally, ownCpuMicros, type LoadOutcome } from './outcome.js';
import { callToken, judgeResponse } from './mcp-session.js';
import { LATEST } from '../../core/protocol/revisions.js';

export interface StdioPipelinedOptions {
  readonly command: readonly string[];
  readonly window: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly toolArguments: Record<string, unknown>;
  readonly signal?: AbortSignal;
  readonly env?: NodeJS.ProcessEnv;
}

export async function runStdioPipelined(options: StdioPipelinedOptions): Promise<LoadOutcome & { pid: number }> {
  const [file, ...args] = options.command;
  const proc = spawn(file!, args, { stdio: ['pipe', 'pipe', 'inherit'], env: options.env ?? process.env });
  const sentAt = new Map<number, bigint>();
  const histogram = createLatencyHistogram();
  const errors = new ErrorTally();
  let nextId = 1;
  let sent = 0;
  let completed = 0;
  let ok = 0;
  let counting = false;
  let stopping = false;
  let onInitialized: () => void;
  const initialized = new Promise<void>((r) => (onInitialized = r));
  // Each call's token is callToken(id): ids are unique on the one pipe, so the token can be told from the id.
  const slot = '\u0000token\u0000';
  const params = JSON.stringify({ name: 'echo', arguments: { ...options.toolArguments, text: slot } });
  const [before, after] = params.split(JSON.stringify(slot)) as [string, string];
  const middle = `,"method":"tools/call","params":${before}"`;
  const tail = `"${after}}\n`;

  const send = (n: number): void => {
    let text = '';
    for (let i = 0; i < n; i++) {
      const id = nextId++;
      sentAt.set(id, monotonicNs());
      text += `{"jsonrpc":"2.0","id":${id}${middle}${callToken(id)}${tail}`;
      if (counting) sent++;
    }
    proc.stdin.write(text);
  };

  const splitter = new LineSplitter(64 * 1024 * 1024, {
    onLine: (line) => {
      let message: { id?: unknown };
      try {
        message = JSON.parse(line.toString('utf8')) as typeof message;
        if (message === null || typeof message !== 'object') throw new Error('not an object');
      } catch {
        errors.add({ ok: false, kind: 'bad_response', detail: line.toString('utf8').slice(0, 120) });
        return;
      }
      if (message.id === 0) return onInitialized();
      const t0 = typeof message.id === 'number' ? sentAt.get(message.id) : undefined;
      if (t0 === undefined) {
        if (message.id !== undefined)
          errors.add({ ok: false, kind: 'id_mismatch', detail: `unexpected id ${JSON.stringify(message.id)}` });
        return; // a notification
      }
      sentAt.delete(message.id as number);
      if (counting) {
        completed++;
        const outcome = judgeResponse(message, message.id as number, callToken(message.id as number));
        if (!outcome.ok) errors.add(outcome);
        else {
          ok++;
          recordMicros(histogram, Number(monotonicNs() - t0) / 1000);
        }
      }
      if (!stopping) send(1);
    },
    onOversize: () => errors.add({ ok: false, kind: 'bad_response', detail: 'oversized line' }),
  });
  proc.stdout.on('data', (chunk: Buffer) => splitter.push(chunk));
  const exited = new Promise<number | null>((resolve) => proc.once('close', (code) => resolve(code)));
  proc.stdin.on('error', () => {});

  try {
    proc.stdin.write(
      `${JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: LATEST, capabilities: {}, clientInfo: { name: 'mcp-perf-load', version: '0.1.0' } } })}\n`,
    );
    await Promise.race([
      initialized,
      exited.then((code) =>
        Promise.reject(new Error(`${options.command.join(' ')} exited (code ${code}) before initialize was answered`)),
      ),
    ]);
    proc.stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
    send(options.window);
    await abortableSleep(options.warmupMs, options.signal);
    counting = true;
    const cpuBefore = ownCpuMicros();
    const start = monotonicNs();
    await abortableSleep(options.durationMs, options.signal);
    stopping = true;
    const durationMs = Number(monotonicNs() - start) / 1e6;
    counting = false;
    return {
      pid: proc.pid ?? -1,
      model: 'closed',
      asked: { concurrency: options.window, durationMs: options.durationMs },
      achieved: {
        durationMs,
        sent,
        completed,
        ok,
        rate: (completed * 1000) / durationMs,
        lateSends: 0,
        dropped: 0,
        maxSendLagUs: 0,
      },
      errors: errors.counts,
      errorSamples: errors.samples,
      histogram,
      generatorCpuUs: ownCpuMicros() - cpuBefore,
    };
  } finally {
    stopping = true;
    proc.stdin.end();
    const killer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
  }
}
