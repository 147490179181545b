/** What a load run reports: what was asked, what the generator achieved, latency, and failures counted by kind. */
import type { Histogram } from '../../core/measure/histogram.js';
import type { CallErrorKind, CallOutcome } from './mcp-session.js';

/** What a load model needs of a session, whatever its transport. */
export interface CallableSession {
  call(id: number, body: string): Promise<CallOutcome>;
}

export interface LoadOutcome {
  readonly model: 'open' | 'closed';
  readonly asked: { readonly durationMs: number; readonly rate?: number; readonly concurrency?: number };
  readonly achieved: {
    readonly durationMs: number;
    /** Requests put on the wire. */
    readonly sent: number;
    /** Requests answered, successfully or not. */
    readonly completed: number;
    readonly ok: number;
    /** Completed requests per second over the window. */
    readonly rate: number;
    /** Open model: sends that left more than LATE_SEND_THRESHOLD_US after their intended time. */
    readonly lateSends: number;
    /** Open model: sends not made at all because maxInFlight requests were already outstanding. */
    readonly dropped: number;
    /** Open model: the worst delay between a send's intended and actual time, µs. */
    readonly maxSendLagUs: number;
  };
  readonly errors: Readonly<Partial<Record<CallErrorKind, number>>>;
  /** The first few error details, for a human reading the result. */
  readonly errorSamples: readonly string[];
  /** µs; open model: from the intended send time; closed model: from the actual send time. */
  readonly histogram: Histogram;
  /** CPU the generator process used during the window, µs (all its threads). */
  readonly generatorCpuUs: number;
}

export const LATE_SEND_THRESHOLD_US = 1_000;
const MAX_ERROR_SAMPLES = 5;

/** Round-robins calls over a set of open sessions with ids unique across the generator's lifetime. */
export class CallSource {
  readonly #sessions: readonly CallableSession[];
  readonly #prefix: string;
  readonly #suffix: string;
  #next = 0;
  static #id = 1;

  constructor(sessions: readonly CallableSession[], toolArguments: Record<string, unknown>) {
    if (sessions.length === 0) throw new Error('CallSource needs at least one session');
    this.#sessions = sessions;
    // Built once: each call only splices its id in.
    this.#prefix = '{"jsonrpc":"2.0","id":';
    this.#suffix = `,"method":"tools/call","params":${JSON.stringify({ name: 'echo', arguments: toolArguments })}}`;
  }

  call(): Promise<CallOutcome> {
    const session = this.#sessions[this.#next++ % this.#sessions.length]!;
    const id = CallSource.#id++;
    return session.call(id, this.#prefix + id + this.#suffix);
  }
}

export class ErrorTally {
  readonly counts: Partial<Record<CallErrorKind, number>> = {};
  readonly samples: string[] = [];

  add(outcome: CallOutcome): void {
    if (outcome.ok) return;
    this.counts[outcome.kind] = (this.counts[outcome.kind] ?? 0) + 1;
    if (this.samples.length < MAX_ERROR_SAMPLES) this.samples.push(`${outcome.kind}: ${outcome.detail}`);
  }
}

/** CPU of this process in µs, all threads. */
export function ownCpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}
