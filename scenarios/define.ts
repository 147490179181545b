/**
 * Scenarios are data: what to start, what load to put on it, for how long in each profile, and what must hold.
 * defineScenario checks a definition once, when it is loaded, and freezes it.
 */
import type { TargetName } from './targets.js';
import { parseThreshold } from './thresholds.js';

/**
 * smoke: seconds; checks the pipeline end to end, its numbers mean nothing (the tests use it).
 * quick: under 3 minutes for every scenario; the default, and what the committed baseline holds.
 * nightly: ~16 minutes; release: ~50 minutes (30 of them the soak), for sign-off.
 */
export const PROFILES = Object.freeze(['smoke', 'quick', 'nightly', 'release'] as const);
export type ProfileName = (typeof PROFILES)[number];

/** Profiles too short for their numbers to mean anything: thresholds are shown as goals there, never gating. */
export const UNGATED_PROFILES: ReadonlySet<ProfileName> = new Set(['smoke']);

/** The seats a comparison can fill: rows of the targets table (scenarios/targets.ts). */
export type { TargetName } from './targets.js';

export interface ComparisonProfile {
  /** Open-model warm-up per target before any trial counts, ms. */
  readonly warmupMs: number;
  /** Interleaved trials per target and phase (A B C A B C …). */
  readonly trials: number;
  /** Length of one open-model latency trial, ms. */
  readonly latencyTrialMs: number;
  /** Length of one closed-model throughput trial, ms. */
  readonly throughputTrialMs: number;
  /** Open-model arrival rate, requests/s. */
  readonly rate: number;
}

/** The same load against the mock directly, through the proxy, and through a raw TCP relay. */
export interface ComparisonScenario {
  readonly kind: 'comparison';
  readonly name: string;
  readonly description: string;
  /** Knobs of the mock upstream all targets lead to. */
  readonly mock: { readonly latencyMs: number; readonly payloadBytes: number; readonly response: 'json' | 'sse' };
  /** Targets in trial order; the first is the reference the others' overhead is measured against. */
  readonly targets: readonly TargetName[];
  /** MCP sessions each target's load is spread over. */
  readonly sessions: number;
  /** Open-model cap on outstanding requests; sends beyond it are dropped and counted. */
  readonly maxInFlight: number;
  /** Closed-model virtual clients, each with the mock's latency set to 0 (pure proxy cost). */
  readonly throughputConcurrency: number;
  readonly profiles: Readonly<Record<ProfileName, ComparisonProfile>>;
  /** Gates: a run whose threshold fails exits 99. Grammar in harness/baseline/thresholds.ts. */
  readonly thresholds: readonly string[];
  /**
   * Goals: the same grammar, evaluated and shown in every diff and report (verdict "miss"), but not gating the exit
   * code — targets the system under test does not meet yet. A goal met for good becomes a threshold.
   */
  readonly goals: readonly string[];
}

export interface FanoutProfile {
  /** Concurrent GET streams through the proxy, one MCP session each. */
  readonly streams: number;
  /** Sequenced notifications per second the mock sends on every stream. */
  readonly notifyRate: number;
  readonly warmupMs: number;
  /** How long deliveries are counted. */
  readonly durationMs: number;
}

/** Many SSE streams through the proxy, each receiving the mock's sequenced notifications. */
export interface FanoutScenario {
  readonly kind: 'fanout';
  readonly name: string;
  readonly description: string;
  readonly profiles: Readonly<Record<ProfileName, FanoutProfile>>;
  readonly thresholds: readonly string[];
  readonly goals: readonly string[];
}

/** Micro-benchmarks of the proxy's stages, run in a proxy process (`mcp-perf proxy-bench`). */
export interface ComponentsScenario {
  readonly kind: 'components';
  readonly name: string;
  readonly description: string;
  /** Milliseconds each component is timed for. */
  readonly profiles: Readonly<Record<ProfileName, { readonly msEach: number }>>;
  readonly thresholds: readonly string[];
  readonly goals: readonly string[];
}

export interface StdioHammerProfile {
  /** Outstanding pipelined requests on the forward proxy, one step each. */
  readonly windows: readonly number[];
  /** Closed-model clients on the bridge, one step each. */
  readonly concurrency: readonly number[];
  /** MCP sessions (so stdio children) the bridge load is spread over. */
  readonly sessions: number;
  readonly warmupMs: number;
  readonly stepMs: number;
}

/** Pipelined stdio load at rising steps on the forward proxy and the HTTP → stdio bridge. */
export interface StdioHammerScenario {
  readonly kind: 'stdio-hammer';
  readonly name: string;
  readonly description: string;
  readonly profiles: Readonly<Record<ProfileName, StdioHammerProfile>>;
  readonly thresholds: readonly string[];
  readonly goals: readonly string[];
}

export interface MemoryProfile {
  /** Session counts to sample the proxy's memory at, rising; 0 is always sampled first. */
  readonly steps: readonly number[];
  /** Pause after opening or closing sessions before each sample, ms; a full GC is forced in the proxy then. */
  readonly settleMs: number;
}

/**
 * Memory per session: the proxy's RSS (after a forced GC) at rising session counts, idle sessions and then sessions
 * holding one GET stream each; bytes per session = the fitted slope. Then every session is closed and the memory that
 * comes back is measured.
 */
export interface MemoryScenario {
  readonly kind: 'memory';
  readonly name: string;
  readonly description: string;
  readonly profiles: Readonly<Record<ProfileName, MemoryProfile>>;
  readonly thresholds: readonly string[];
  readonly goals: readonly string[];
}

export interface ConcurrencyProfile {
  /** Clients holding a session and a connection of their own, all at once. */
  readonly clients: number;
  /** tools/call requests each client makes in its session, after initialize and tools/list, before DELETE. */
  readonly callsPerClient: number;
}

/**
 * Many simultaneous clients through the proxy: every client opens its own connection and session, waits until all the
 * others have too (so the proxy really holds them all at once), then does a session's worth of calls and ends it.
 */
export interface ConcurrencyScenario {
  readonly kind: 'concurrency';
  readonly name: string;
  readonly description: string;
  /** The mock's answer latency, ms: a client's calls take at least this long each. */
  readonly mockLatencyMs: number;
  readonly profiles: Readonly<Record<ProfileName, ConcurrencyProfile>>;
  readonly thresholds: readonly string[];
  readonly goals: readonly string[];
}

export interface SoakProfile {
  /** Open-model arrival rate, requests/s, for the whole run. */
  readonly rate: number;
  /** Sessions the load is spread over. */
  readonly sessions: number;
  /** Sessions replaced per second (one closed, one opened), so session set-up and clean-up run all along. */
  readonly churnPerSec: number;
  /** Load before sampling counts (the fitted trend starts after it). */
  readonly warmupMs: number;
  readonly durationMs: number;
  /** How often the proxy's memory (after a forced GC), descriptors and children are sampled. */
  readonly sampleEveryMs: number;
}

/**
 * Steady load for a long time, with the proxy's memory, open descriptors and children sampled along the way; a trend
 * beyond noise (the fitted slope's 95% interval above a floor) fails the run.
 */
export interface SoakScenario {
  readonly kind: 'soak';
  readonly name: string;
  readonly description: string;
  /** Where the proxy forwards: the HTTP mock (reverse proxy) or a stdio mock child per session (the bridge). */
  readonly upstream: 'http' | 'stdio';
  readonly mockLatencyMs: number;
  readonly profiles: Readonly<Record<ProfileName, SoakProfile>>;
  readonly thresholds: readonly string[];
  readonly goals: readonly string[];
}

export interface StressProfile {
  /** Sessions, spread by the proxy over two upstreams: A stays healthy, B gets the faults. */
  readonly sessions: number;
  /** Closed-model probe that finds the sustainable rate the overload doubles, ms. */
  readonly probeMs: number;
  /** Open-model load at twice the sustainable rate, ms. */
  readonly overloadMs: number;
  /** Steady open-model rate around the overload and through every fault, requests/s (all sessions together). */
  readonly rate: number;
  /** Steady load before each fault (the reference), during it, and after it clears (recovery is measured there), ms. */
  readonly beforeMs: number;
  readonly faultMs: number;
  readonly afterMs: number;
}

export type FaultKind = 'stall' | 'error' | 'die';

/**
 * Overload and upstream faults: twice the sustainable rate, then upstream B stalls, fails calls, or is killed and
 * restarted, while sessions on upstream A carry on. Measures error behaviour, time to recover once the fault clears,
 * and whether sessions on the healthy upstream noticed anything.
 */
export interface StressScenario {
  readonly kind: 'stress';
  readonly name: string;
  readonly description: string;
  readonly mockLatencyMs: number;
  /** The proxy's --upstream-timeout-ms: how long a stalled upstream holds a request before a 504. */
  readonly upstreamTimeoutMs: number;
  readonly faults: readonly FaultKind[];
  readonly profiles: Readonly<Record<ProfileName, StressProfile>>;
  readonly thresholds: readonly string[];
  readonly goals: readonly string[];
}

export type Scenario =
  | ComparisonScenario
  | FanoutScenario
  | ComponentsScenario
  | StdioHammerScenario
  | MemoryScenario
  | ConcurrencyScenario
  | SoakScenario
  | StressScenario;

export function defineScenario<S extends Scenario>(scenario: S): Readonly<S> {
  if (!/^[a-z][a-z0-9-]*$/.test(scenario.name)) throw new Error(`scenario name "${scenario.name}" must be kebab-case`);
  for (const t of [...scenario.thresholds, ...scenario.goals]) parseThreshold(t);
  for (const p of PROFILES) {
    const profile = scenario.profiles[p];
    if (profile === undefined) throw new Error(`scenario ${scenario.name} has no "${p}" profile`);
    for (const [key, value] of Object.entries(profile)) {
      const ok = Array.isArray(value)
        ? value.length > 0 && value.every((v) => typeof v === 'number' && v > 0)
        : typeof value === 'number' && value > 0;
      if (!ok) throw new Error(`scenario ${scenario.name}, profile ${p}: ${key} must be > 0`);
    }
  }
  if (scenario.kind === 'stress' && scenario.faults.length === 0)
    throw new Error(`scenario ${scenario.name} has no faults`);
  if (scenario.kind === 'comparison' && scenario.targets.length === 0)
    throw new Error(`scenario ${scenario.name} has no targets`);
  return Object.freeze(scenario);
}
