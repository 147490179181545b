/**
 * The results file: the only contract between measuring, diffing and reporting. A report can be re-rendered, and two
 * runs compared, from files alone. Bump SCHEMA_VERSION on any change a reader of the old shape would misread; the
 * reader (io.ts) upgrades older versions it knows, so baselines and comparisons carry across.
 *
 * v2 (from v1): a target's latency histograms are optional — only what was measured is stored, never an empty one —
 * and each says how it was timed (`model`) and in what (`unit`).
 */
import type { Environment } from '../measure/environment.js';
import type { LatencySummary } from '../../core/measure/histogram.js';
import type { CpuProfileRecord } from '../measure/cpu-profile.js';

export const RESULTS_SCHEMA = 'mcp-perf/results';
export const SCHEMA_VERSION = 2;

export type Unit = 'us' | 'ns' | 'ms' | 's' | 'pct' | 'rps' | 'count' | 'ratio' | 'bytes';

/** One number a scenario produced; `better` tells the diff which way is good. */
export interface Metric {
  readonly value: number;
  readonly unit: Unit;
  readonly better: 'lower' | 'higher' | 'none';
}

/**
 * How a latency was timed:
 * - `open`: a request's answer time from its *intended* send time in an open-model (fixed arrival rate) load, so a
 *   stalled target's backlog counts in full (coordinated omission corrected, as wrk2 does);
 * - `closed`: service time, from the actual send, in a closed-model load (N clients each waiting for its answer);
 * - `delivery`: a server → client event's time from the server's send time (in the event) to its arrival.
 */
export type LatencyModel = 'open' | 'closed' | 'delivery';
export const LATENCY_MODELS: readonly LatencyModel[] = Object.freeze(['open', 'closed', 'delivery']);

/** One measured latency distribution: an encoded HDR histogram of whole microseconds and its summary. */
export interface LatencyRecord {
  readonly model: LatencyModel;
  readonly unit: 'us';
  readonly histogram: string;
  readonly summary: LatencySummary;
}

export interface TargetResult {
  readonly url: string;
  /** The target's latency as the scenario measured it (see `model`), all trials merged; absent when none was. */
  readonly latency?: LatencyRecord;
  /** Closed-model service time, where a scenario measured it beside an open-model `latency`. */
  readonly serviceTime?: LatencyRecord;
  /** Closed-model completions per second, median over trials. */
  readonly throughputRps: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly errorSamples: readonly string[];
  /** CPU used by the process in the target's seat (proxy, relay; the mock for direct), µs per request. */
  readonly cpuUsPerRequest: { readonly open: number | null; readonly closed: number | null };
  /** What the target is (a shootout records it): its mode, its version, the command that started it. */
  readonly about?: {
    readonly mode: 'reference' | 'reverse' | 'bridge';
    readonly version?: string;
    readonly command?: string;
    /** One of mcp-perf's own targets (our proxy, bridge, relay): not a peer. */
    readonly ours?: true;
    /** The open-model rate its latency trials asked, where the target's `maxRate` held it below the scenario's. */
    readonly rate?: number;
    /** The closed-model clients its throughput trials ran, where the target's `maxVus` held them below. */
    readonly vus?: number;
  };
  /**
   * What holding the scenario's sessions costs it (a shootout measures it): resident memory and processes added per
   * open session, over its whole process tree, no GC forced; null where it has no process of ours to read.
   */
  readonly footprint?: {
    readonly sessions: number;
    readonly rssPerSessionKiB: number | null;
    /** The same for the seat's own process alone, without its children (a bridge's stdio servers). */
    readonly ownRssPerSessionKiB?: number | null;
    readonly childrenPerSession: number | null;
  };
}

export interface TrialRecord {
  readonly phase: 'latency' | 'throughput';
  readonly trial: number;
  readonly target: string;
  readonly asked: { readonly rate?: number; readonly concurrency?: number; readonly durationMs: number };
  readonly achieved: {
    readonly rate: number;
    readonly sent: number;
    readonly completed: number;
    readonly ok: number;
    readonly lateSends: number;
    readonly dropped: number;
    readonly maxSendLagUs: number;
    readonly durationMs: number;
  };
  readonly p50_us: number;
  readonly p99_us: number;
  readonly errors: number;
  readonly generatorCpuPct: number;
  readonly targetCpuUs: number | null;
  /** How long the seat ran at saturation right before this trial, not counted (the lead-in of a seat that waited). */
  readonly leadInMs?: number;
}

interface ScenarioBase {
  readonly name: string;
  readonly description: string;
  readonly kind: string;
  readonly profile: string;
  /** The scenario's settings as they were run, for the reader. */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly thresholds: readonly string[];
  readonly goals: readonly string[];
  readonly startedAt: string;
  readonly durationMs: number;
}

export interface CompletedScenario extends ScenarioBase {
  readonly state: 'completed';
  readonly metrics: Readonly<Record<string, Metric>>;
  readonly targets: Readonly<Record<string, TargetResult>>;
  readonly trials: readonly TrialRecord[];
  /** Warnings about the measurement itself (e.g. a saturated generator): numbers after one are suspect. */
  readonly warnings: readonly string[];
  /** Curves the report draws for this scenario (RSS against sessions, figures over time), by name. */
  readonly series?: Readonly<Record<string, Series>>;
  /** A CPU profile of the process under test, pruned for drawing (the footprint scenario takes one). */
  readonly cpuProfile?: CpuProfileRecord;
  /**
   * The run was interrupted inside this scenario: its figures cover only what had completed (the kind's last
   * checkpoint: whole trials or steps), and a warning says where it stopped.
   */
  readonly partial?: true;
  /**
   * What else the machine did while this scenario ran (measure/machine-load.ts); absent where /proc cannot tell. A
   * busy machine makes a timing verdict inconclusive, never failed.
   */
  readonly machineLoad?: { readonly foreignCpuPct: number; readonly stealPct: number };
}

/** One chart's data: lines of (x, y) points, optionally with a fitted straight line drawn over them. */
export interface Series {
  readonly title: string;
  readonly x: { readonly label: string; readonly unit: Unit };
  readonly y: { readonly label: string; readonly unit: Unit };
  readonly lines: ReadonlyArray<{ readonly label: string; readonly points: ReadonlyArray<readonly [number, number]> }>;
  /** y = intercept + slope·x over the points it was fitted to. */
  readonly fit?: { readonly label: string; readonly slope: number; readonly intercept: number };
}

export interface FailedScenario extends ScenarioBase {
  readonly state: 'failed';
  readonly error: string;
}

export type ScenarioResult = CompletedScenario | FailedScenario;

/** fail: a threshold failed (gates the exit code); miss: only a goal failed (shown, does not gate). */
/**
 * pass / fail (a gate), miss (a goal), info (no threshold), no-baseline (a relative threshold with nothing of this
 * machine to compare with), inconclusive (a threshold crossed within the run's own noise, or on a busy machine:
 * shown, never failing; `mcp-perf compare` decides).
 */
export type Verdict = 'pass' | 'fail' | 'miss' | 'info' | 'no-baseline' | 'inconclusive';

export interface DiffRow {
  readonly scenario: string;
  readonly metric: string;
  readonly unit: Unit;
  readonly baseline: number | null;
  readonly now: number | null;
  /** Percentage change against the baseline, when both exist and the baseline is not zero. */
  readonly deltaPct: number | null;
  readonly verdict: Verdict;
  /** The thresholds that decided the verdict. */
  readonly thresholds: readonly string[];
  /** The goals on this metric. */
  readonly goals: readonly string[];
  readonly note?: string;
}

export interface BaselineComparison {
  readonly baselinePath: string;
  readonly baselineCommit: string | null;
  readonly baselineStartedAt: string | null;
  /** Set when the baseline was measured on another machine: absolute figures do not transfer. */
  readonly machineMismatch: boolean;
  readonly rows: readonly DiffRow[];
  readonly failed: number;
  /** Goals missed (not counted in `failed`). */
  readonly missed: number;
  /** Thresholds crossed within the noise or on a busy machine: shown, not failing (absent in older files). */
  readonly inconclusive?: number;
  /** Which testbed the baseline is, or why this machine has none (absent in older files). */
  readonly testbed?: string;
  /** Why there is no comparison, when there is none (missing baseline). */
  readonly unavailable?: string;
}

export interface ResultsFile {
  readonly schema: typeof RESULTS_SCHEMA;
  readonly schemaVersion: typeof SCHEMA_VERSION;
  readonly tool: { readonly name: 'mcp-perf'; readonly version: string };
  readonly run: {
    readonly id: string;
    readonly startedAt: string;
    readonly finishedAt: string;
    readonly profile: string;
    readonly scenarios: readonly string[];
    readonly interrupted: boolean;
  };
  readonly environment: Environment;
  readonly scenarios: readonly ScenarioResult[];
  /** The diff against the baseline made at run time, so the report can show it from this file alone. */
  readonly baseline: BaselineComparison | null;
}
