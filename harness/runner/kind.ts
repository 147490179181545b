/**
 * What a scenario kind is, and what the framework gives it. A kind owns only what is special about it (its load
 * shape and its metrics); the RunContext owns what every kind shares: starting mocks and targets as processes,
 * connection pools and MCP sessions, progress events around trials and steps, clean-up on every path out (deferred
 * here, run by the run loop whether the kind returns, throws or is aborted), checkpoints an abort keeps (flagged
 * partial), and the result's common part. A kind is one file, `harness/runner/kinds/<kind>.ts`, whose default
 * export is a ScenarioKind; the run loop loads it by the scenario's `kind` (kinds.ts).
 */
import type { NotifyPattern, ProfileName, Scenario } from '../../scenarios/define.js';
import type { TargetSpec } from '../../scenarios/targets.js';
import type { McpHttpSession, SessionTarget } from '../load/mcp-session.js';
import type { LoadOutcome } from '../load/outcome.js';
import type { CompletedScenario } from '../results/schema.js';
import type { Child } from './children.js';
import type { EventSink, RunEvent } from './events.js';

/** A measured scenario, without the start time and duration the run loop adds. */
export type KindResult = Omit<CompletedScenario, 'startedAt' | 'durationMs'>;
/** What a kind measured: the result without what the context fills in from the scenario. */
export type Measured = Pick<KindResult, 'metrics' | 'targets' | 'trials' | 'warnings'> &
  Partial<Pick<KindResult, 'series' | 'cpuProfile'>>;

/** The knobs every mock takes (mock-upstreams/behaviour.ts), as `mcp-perf mock` flags. */
export interface MockKnobs {
  readonly latencyMs?: number;
  readonly payloadBytes?: number;
  readonly response?: 'json' | 'sse';
  readonly notifyRate?: number;
  /** Every stream in one tick, or each in its own phase (mock-upstreams/notify.ts). */
  readonly notifyPattern?: NotifyPattern;
  /** serverInfo.name, to tell upstreams apart behind one proxy. */
  readonly name?: string;
  /** Accept POST /control (fault injection). */
  readonly control?: boolean;
  readonly port?: number;
  /** HTTP mock: close connections idle this long (its Keep-Alive header says so, and a proxy's pool follows it). */
  readonly keepAliveMs?: number;
}

/** A target in its seat: where its clients connect, and the process its CPU is read from (none for a remote one). */
export interface StartedTarget {
  readonly name: string;
  readonly spec: TargetSpec;
  readonly url: URL;
  readonly chargedPid: number | undefined;
  /** The process started for the seat; none for the upstream itself or a target already running. */
  readonly child?: Child;
  /** The command it was started with, placeholders filled, quoted as a shell would take it. */
  readonly command?: string;
}

/** Identifies a trial or a warm-up in progress events. */
export interface TrialLabel {
  readonly phase: 'warmup' | 'latency' | 'throughput';
  readonly trial: number;
  readonly trials: number;
  readonly target: string;
}

export interface InterleaveSpec<Seat extends { readonly name: string }> {
  readonly seats: readonly Seat[];
  readonly phase: 'latency' | 'throughput';
  readonly trials: number;
  /** Run on each seat, in order, before the first round; not counted. */
  readonly warmups: ReadonlyArray<(seat: Seat) => Promise<LoadOutcome>>;
  readonly load: (seat: Seat) => Promise<LoadOutcome>;
  /**
   * Run on a seat right before each of its trials; not counted. Between two trials of a seat the others run, and a
   * JIT-compiled target left idle long enough answers its first second of load well below its pace (the memory
   * reducer has collected what its hot code held): this brings it back to the state the trial means to measure.
   * Undefined when it found nothing to do.
   */
  readonly lead?: (seat: Seat) => Promise<{ readonly ms: number } | undefined>;
  /** A seat's CPU now (µs), to charge each trial the CPU it cost; undefined where it cannot be read. */
  readonly cpu?: (seat: Seat) => number | undefined;
  readonly onRound: (
    trial: number,
    round: ReadonlyArray<{
      readonly seat: Seat;
      readonly outcome: LoadOutcome;
      readonly cpuUs: number | null;
      /** How long the seat's lead-in ran right before this trial; null without one. */
      readonly leadInMs: number | null;
    }>,
  ) => void;
  /** The result as of the last whole round (built only if an abort needs it). */
  readonly checkpoint: () => KindResult;
}

/** What a trial-end event reports: the rate asked (null when none was), the rate achieved, the errors. */
export interface TrialFigures {
  readonly askedRate: number | null;
  readonly achievedRate: number;
  readonly errors: number;
}

type ProfileOf<S extends Scenario> = S['profiles'][ProfileName];

export interface RunContext<S extends Scenario> {
  readonly scenario: S;
  readonly profileName: ProfileName;
  /** The scenario's settings in this profile. */
  readonly profile: ProfileOf<S>;
  /**
   * Aborted on Ctrl-C, SIGTERM or the run's watchdog: stop promptly. What the last checkpoint held is kept, flagged
   * partial; anything measured after it (a trial the abort cut short) is not.
   */
  readonly signal: AbortSignal;
  /** Milliseconds since the scenario started. */
  elapsedMs(): number;
  /** Raw progress events (prefer step and trial). */
  readonly emit: EventSink;
  /** A progress line for a step that is not a load trial (opening sessions, a sample, a fault switched on). */
  step(label: string): void;

  /**
   * Starts `mcp-perf <args>` and waits for its ready line; ended when the scenario ends, however it ends. `nodeArgs`
   * go to node before the CLI (e.g. --cpu-prof).
   */
  start(name: string, args: readonly string[], options?: { readonly nodeArgs?: readonly string[] }): Promise<Child>;
  /** Ends one started process gracefully now (stdin closed, SIGTERM, SIGKILL after a grace) and waits for it. */
  stop(child: Child): Promise<void>;
  /** An HTTP mock with these knobs, as a process. */
  startMock(name: string, knobs?: MockKnobs): Promise<Child>;
  /** The argv that runs a stdio mock with these knobs (a proxy starts it, once per session). */
  stdioMockArgv(knobs?: MockKnobs): readonly string[];
  /**
   * Seats a target of the targets table in front of the mocks: started from its argv template (or, for one already
   * running, probed at its URL), its URL and the process its CPU is charged to.
   */
  startTarget(
    name: string,
    upstreams: { readonly http?: Child; readonly stdioArgv?: readonly string[]; readonly maxSessions?: number },
  ): Promise<StartedTarget>;
  /** Why a target of the table cannot be seated here (its command is not installed), or undefined when it can. */
  unavailable(name: string): string | undefined;
  /** SIGKILLs one started process now (an upstream that dies, for fault scenarios). */
  kill(child: Child): Promise<void>;
  /** Announces every process started so far (the progress line shows their pids and URLs). */
  ready(): void;

  /** A connection pool to a target, destroyed when the scenario ends. */
  connect(url: URL, options: { readonly connections: number; readonly requestTimeoutMs?: number }): SessionTarget;
  /**
   * Opens `count` MCP sessions (in batches, so set-up is not one burst), each closed (DELETE) when the scenario ends
   * unless closed before; stops early on abort.
   */
  openSessions(target: SessionTarget, count: number, clientName?: string): Promise<McpHttpSession[]>;
  /** Runs `cleanup` when the scenario ends, however it ends; newest first, before the processes are ended. */
  defer(cleanup: () => unknown): void;

  /**
   * Runs one trial (or warm-up) of load with progress events around it. Resolves undefined when the abort cut it
   * short: such a trial is not a trial, and is never kept.
   */
  trial(label: TrialLabel, load: () => Promise<LoadOutcome>): Promise<LoadOutcome | undefined>;
  /**
   * The framework's trial loop: a warm-up of every seat, then `trials` rounds of `load` on each seat in order
   * (A B C, B C A, C A B …: drift on the machine hits every seat alike, and no seat always follows the same one). A round counts only once whole: it is handed to
   * `onRound`, then `checkpoint` becomes what an abort keeps; a round the abort cut short is dropped. Resolves false
   * when aborted.
   */
  interleave<Seat extends { readonly name: string }>(spec: InterleaveSpec<Seat>): Promise<boolean>;
  /**
   * The progress events of a trial whose load is not an executor's (streams receiving events, a benchmark process):
   * trial-start now, trial-end when the returned function is called with what was asked and achieved.
   */
  trialStarted(label: TrialLabel): (figures: TrialFigures) => void;
  /**
   * What an abort from now on keeps, flagged partial: `build` is called only then, so a checkpoint costs nothing
   * until it is needed. It must describe only what had completed when it was taken (whole trials or steps). A kind
   * with one indivisible measurement never checkpoints, and an abort keeps nothing of it.
   */
  checkpoint(build: () => KindResult): void;
  /** The whole result: the scenario's declaration and settings plus what the kind measured. */
  result(settings: Readonly<Record<string, unknown>>, measured: Measured): KindResult;
}

export interface ScenarioKind<S extends Scenario> {
  readonly kind: S['kind'];
  /** Expected wall time in a profile, for the watchdog and the progress line. */
  estimateMs(scenario: S, profile: ProfileName): number;
  /** Checks what defineScenario cannot: data that depends on the harness (its targets in the table). Throws. */
  check?(scenario: S, targets: Readonly<Record<string, TargetSpec>>): void;
  run(ctx: RunContext<S>): Promise<KindResult>;
}

export type { RunEvent };
