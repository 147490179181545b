/** What a load run reports: what was asked, what the generator achieved, latency, and failures counted by kind. */
import type { Histogram } from '../../core/measure/histogram.js';
import { callToken, type CallErrorKind, type CallOutcome } from './mcp-session.js';

/** What a load model needs of a session, whatever its transport. `token`: see callToken. */
export interface CallableSession {
  call(id: number, body: string, token?: string): Promise<CallOutcome>;
}

/**
 * How a generator numbers its requests. `unique`: ids unique across its lifetime. `collide`: every request has
 * id 1, as some clients send — legal across sessions, and within a session one request at a time (the spec forbids
 * reusing an id while it is in flight), so each session's calls are made one after another.
 */
export type IdMode = 'unique' | 'collide';

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

const TOKEN_SLOT = '\u0000token\u0000';

/**
 * Round-robins echo calls over a set of open sessions. Every call carries a token of its own (callToken) in the
 * echo's text, and its answer is checked for it, so an answer that reaches the wrong call is caught as `crossed`
 * whatever the ids; ids are unique across the generator's lifetime, or all 1 (IdMode).
 */
export class CallSource {
  readonly #sessions: readonly CallableSession[];
  readonly #collide: boolean;
  /** collide: each session's last call, which its next one waits for. */
  readonly #tails: Array<Promise<unknown>>;
  readonly #head: string;
  readonly #middle: string;
  readonly #tail: string;
  #next = 0;
  static #seq = 1;

  constructor(
    sessions: readonly CallableSession[],
    toolArguments: Record<string, unknown>,
    options: {
      readonly ids?: IdMode;
      /** params._meta of every call: the stateless revision's (statelessMeta) for a StatelessHttpSession. */
      readonly meta?: Record<string, unknown>;
      /**
       * The mock's tool to call: `echo` (the default), or `elicit`, whose question carries the token and which a
       * stateless session answers over a second round (StatelessHttpSession with `answerInput`).
       */
      readonly tool?: 'echo' | 'elicit';
    } = {},
  ) {
    if (sessions.length === 0) throw new Error('CallSource needs at least one session');
    this.#sessions = sessions;
    this.#collide = options.ids === 'collide';
    this.#tails = sessions.map(() => Promise.resolve());
    // Built once: each call only splices its id and token in.
    const tool = options.tool ?? 'echo';
    const params = JSON.stringify({
      name: tool,
      arguments: { ...toolArguments, [tool === 'echo' ? 'text' : 'message']: TOKEN_SLOT },
      ...(options.meta === undefined ? {} : { _meta: options.meta }),
    });
    const [before, after] = params.split(JSON.stringify(TOKEN_SLOT)) as [string, string];
    this.#head = '{"jsonrpc":"2.0","id":';
    this.#middle = `,"method":"tools/call","params":${before}"`;
    this.#tail = `"${after}}`;
  }

  call(): Promise<CallOutcome> {
    const i = this.#next++ % this.#sessions.length;
    const session = this.#sessions[i]!;
    const seq = CallSource.#seq++;
    const id = this.#collide ? 1 : seq;
    const token = callToken(seq);
    const body = this.#head + id + this.#middle + token + this.#tail;
    if (!this.#collide) return session.call(id, body, token);
    const outcome = this.#tails[i]!.then(() => session.call(id, body, token));
    this.#tails[i] = outcome;
    return outcome;
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
