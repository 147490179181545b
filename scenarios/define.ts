/**
 * Scenarios are data: what to start, what load to put on it, for how long in each profile, and what must hold.
 * defineScenario checks a definition once, when it is loaded, and freezes it.
 */
import { parseThreshold } from './thresholds.js';

/**
 * smoke: seconds; checks the pipeline end to end, its numbers mean nothing (the tests use it).
 * quick: about 3½ minutes for every scenario; the default, and what the committed baseline holds.
 * nightly: ~16 minutes; release: ~50 minutes (30 of them the soak), for sign-off.
 */
export const PROFILES = Object.freeze(['smoke', 'quick', 'nightly', 'release'] as const);
export type ProfileName = (typeof PROFILES)[number];

/** Profiles too short for their numbers to mean anything: thresholds are shown as goals there, never gating. */
export const UNGATED_PROFILES: ReadonlySet<ProfileName> = new Set(['smoke']);

/** The seats a comparison can fill: rows of the targets table (scenarios/targets.ts). */
export type { TargetName } from './targets.js';

/**
 * Executors, named as k6 names them (implemented in harness/load/executors.ts):
 *   constant-arrival-rate  open model at a rate, latency from the intended send time
 *   constant-vus           closed model: a fixed number of virtual users, service time
 */
export const EXECUTOR_NAMES = Object.freeze(['constant-arrival-rate', 'constant-vus'] as const);
export type ExecutorName = (typeof EXECUTOR_NAMES)[number];

/** What every scenario holds, whatever its kind; a kind adds its own fields. */
export interface ScenarioBase<K extends string, P extends object> {
  /** Which code runs it: harness/runner/kinds/<kind>.ts. */
  readonly kind: K;
  /** kebab-case; also the file name under scenarios/. */
  readonly name: string;
  readonly description: string;
  /** Its settings in each profile (every field a number > 0, or a list of them). */
  readonly profiles: Readonly<Record<ProfileName, P>>;
  /** Gates: a run whose threshold fails exits 99. Grammar in scenarios/thresholds.ts. */
  readonly thresholds: readonly string[];
  /**
   * Goals: the same grammar, evaluated and shown in every diff and report (verdict "miss"), but not gating the exit
   * code — targets the system under test does not meet yet. A goal met for good becomes a threshold.
   */
  readonly goals: readonly string[];
  /**
   * Gates stated for some profiles only (a target given at one size, as "at the quick profile's 500 streams"): a gate
   * in each profile that lists it, a goal in the others (`forProfile`).
   */
  readonly profileGates?: Partial<Readonly<Record<ProfileName, readonly string[]>>>;
  /** Run only when named (`mcp-perf run shootout`), never as part of "every scenario": it needs what may be missing. */
  readonly onlyWhenNamed?: boolean;
}

export interface ComparisonProfile {
  /** Open-model warm-up per target before any trial counts, ms. */
  readonly warmupMs: number;
  /** Interleaved trials per target and phase (A B C, B C A, C A B …). */
  readonly trials: number;
  /** Length of one open-model latency trial, ms. */
  readonly latencyTrialMs: number;
  /** Length of one closed-model throughput trial, ms. */
  readonly throughputTrialMs: number;
  /** Open-model arrival rate, requests/s. */
  readonly rate: number;
}

/** The same load against the mock directly, through the proxy, and through a raw TCP relay. */
export interface ComparisonScenario extends ScenarioBase<'comparison', ComparisonProfile> {
  /** Knobs of the mock upstream all targets lead to. */
  readonly mock: { readonly latencyMs: number; readonly payloadBytes: number; readonly response: 'json' | 'sse' };
  /**
   * Targets in trial order, by their name in the targets table (scenarios/targets.ts); the first is the reference
   * the others' overhead is measured against.
   */
  readonly targets: readonly string[];
  /** How each phase loads a target: the latency phase at the profile's rate, the throughput phase at saturation. */
  readonly executors: { readonly latency: ExecutorName; readonly throughput: ExecutorName };
  /** MCP sessions each target's load is spread over. */
  readonly sessions: number;
  /** Open-model cap on outstanding requests; sends beyond it are dropped and counted. */
  readonly maxInFlight: number;
  /** Closed-model virtual clients, each with the mock's latency set to 0 (pure proxy cost). */
  readonly throughputConcurrency: number;
  /**
   * How the load numbers its requests (harness/load/outcome.ts, IdMode): `unique` ids, or `collide` — every request
   * id 1, as some clients send, each session's calls one after another. Either way every answer is checked for its
   * call's own token, so an answer that reaches the wrong call counts as `crossed`. @default 'unique'
   */
  readonly ids?: 'unique' | 'collide';
}

/**
 * Every proxy we can start, side by side: the comparison's load (interleaved, open-model latency at the profile's
 * rate, closed-model saturation, CPU per call) on each target of `targets` that is installed here (a missing one is
 * skipped, said once), plus what holding the scenario's sessions costs each (RSS and processes per session). Seats
 * that front the HTTP mock are the reverse mode, seats that front the stdio mock the bridge mode; the first target
 * is the reference both are measured against. The report's peers table ranks each mode.
 */
export interface ShootoutScenario extends Omit<ComparisonScenario, 'kind'> {
  readonly kind: 'shootout';
  /** Per mode, the target the others' ratios are "to ours" against (none in a mode whose seat is not run). */
  readonly ours: { readonly reverse?: string; readonly bridge?: string };
}

/**
 * The comparison once per MCP revision: a seat per revision and target, so a team sees what each revision costs
 * directly and through a proxy — and what moving to the stateless one (2026-07-28) costs or saves.
 */
export interface MatrixScenario extends Omit<ComparisonScenario, 'kind'> {
  readonly kind: 'matrix';
  /** Revisions, in seat order (core/protocol/revisions.ts): 2026-07-28 stateless, the others with sessions. */
  readonly revisions: readonly string[];
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

/**
 * How the mock times its notifications (mock-upstreams/notify.ts, `--notify-pattern`): each stream in its own phase
 * of the period, or every stream in the same tick.
 */
export type NotifyPattern = 'spread' | 'broadcast';

/** A fan-out's measurements when its scenario names none: spread first (its figures are `fanout.*`), then broadcast. */
export const FANOUT_PATTERNS: readonly NotifyPattern[] = Object.freeze(['spread', 'broadcast']);

/** Many SSE streams through the proxy, each receiving the mock's sequenced notifications. */
export interface FanoutScenario extends ScenarioBase<'fanout', FanoutProfile> {
  /**
   * How each stream is opened: a GET on an MCP session (revisions up to 2025-11-25), or a `subscriptions/listen`
   * POST of the stateless revision (2026-07-28, no session). @default 'get'
   */
  readonly streamsVia?: 'get' | 'listen';
  /**
   * How the mock times its notifications, one measurement each, in order (mock-upstreams/notify.ts): `spread`, each
   * stream its own phase of the period (independent sessions' notifications); `broadcast`, every stream in the same
   * tick (one change announced to all). The first pattern's figures are `fanout.*`, each other's
   * `fanout.<pattern>.*`. @default FANOUT_PATTERNS
   */
  readonly patterns?: readonly NotifyPattern[];
}

/** Micro-benchmarks of the proxy's stages, run in a proxy process (`mcp-perf proxy-bench`). */
export type ComponentsScenario = ScenarioBase<'components', { readonly msEach: number }>;

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
export type StdioHammerScenario = ScenarioBase<'stdio-hammer', StdioHammerProfile>;

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
export type MemoryScenario = ScenarioBase<'memory', MemoryProfile>;

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
export interface ConcurrencyScenario extends ScenarioBase<'concurrency', ConcurrencyProfile> {
  /** The mock's answer latency, ms: a client's calls take at least this long each. */
  readonly mockLatencyMs: number;
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
export interface SoakScenario extends ScenarioBase<'soak', SoakProfile> {
  /** Where the proxy forwards: the HTTP mock (reverse proxy) or a stdio mock child per session (the bridge). */
  readonly upstream: 'http' | 'stdio';
  readonly mockLatencyMs: number;
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
export interface StressScenario extends ScenarioBase<'stress', StressProfile> {
  readonly mockLatencyMs: number;
  /** The proxy's --upstream-timeout-ms: how long a stalled upstream holds a request before a 504. */
  readonly upstreamTimeoutMs: number;
  readonly faults: readonly FaultKind[];
  /**
   * The proxy's --max-in-flight-per-upstream (load shedding): under the overload, calls beyond it are refused with
   * 503 at once (counted as `shed`) and the calls admitted keep a bounded latency. Per upstream, not global: a global
   * limit fills up with a stalled upstream's calls and sheds the healthy one's (measured: 127–324 errors on the
   * healthy upstream during the stall fault). Absent: no limit, the proxy queues.
   */
  readonly maxInFlightPerUpstream?: number;
}

/**
 * The footprint scenario: start-up, idle cost, package size and a CPU profile under steady load.
 */
export interface FootprintProfile {
  /** Proxy start-ups timed (spawn → ready line); the median is the figure. */
  readonly startups: number;
  /** How long the idle proxy is watched for its CPU use, ms. */
  readonly idleMs: number;
  /** How long the profiled proxy is under steady load, ms. */
  readonly profileMs: number;
  /** Open-model rate of that load, calls/s. */
  readonly rate: number;
  /** Sessions the load spreads over. */
  readonly sessions: number;
}
export type FootprintScenario = ScenarioBase<'footprint', FootprintProfile>;

export interface LeaksProfile {
  /** Sessions per wave through the reverse proxy. */
  readonly sessions: number;
  /** Sessions per wave through the bridge: a stdio child each. */
  readonly children: number;
  /** The proxies' --session-idle-ms: what frees a session whose client never ends it. */
  readonly idleMs: number;
  /** Pause before each reading (a full GC is forced in the proxy then), ms. */
  readonly settleMs: number;
  /** Vanished waves repeated after the others, for the leak fit across them (at least 3). */
  readonly repeats: number;
}

/**
 * Clients that never end their sessions: waves of abandoned sessions (no DELETE) and vanished clients (GET streams
 * reset mid-stream, or left open and silent), through the reverse proxy and the bridge; what the proxy still holds
 * once its idle limit has passed — sessions, children, descriptors, RSS and heap against a warmed baseline.
 */
export interface LeaksScenario extends ScenarioBase<'leaks', LeaksProfile> {
  readonly mockLatencyMs: number;
}

/**
 * Every kind's scenario type, by kind. A new kind registers its type from its own definition file, so nothing here
 * changes (TypeScript merges the declarations):
 *   declare module './define.js' { interface ScenarioTypes { 'my-kind': MyKindScenario } }
 */
export interface ScenarioTypes {
  comparison: ComparisonScenario;
  shootout: ShootoutScenario;
  fanout: FanoutScenario;
  components: ComponentsScenario;
  'stdio-hammer': StdioHammerScenario;
  memory: MemoryScenario;
  concurrency: ConcurrencyScenario;
  soak: SoakScenario;
  stress: StressScenario;
  footprint: FootprintScenario;
  leaks: LeaksScenario;
  matrix: MatrixScenario;
}

export type Scenario = ScenarioTypes[keyof ScenarioTypes];
export type ScenarioKindName = keyof ScenarioTypes;

export function defineScenario<S extends Scenario>(scenario: S): Readonly<S> {
  if (!/^[a-z][a-z0-9-]*$/.test(scenario.name)) throw new Error(`scenario name "${scenario.name}" must be kebab-case`);
  for (const t of [...scenario.thresholds, ...scenario.goals, ...Object.values(scenario.profileGates ?? {}).flat()])
    parseThreshold(t);
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
  if (scenario.kind === 'comparison' || scenario.kind === 'shootout') {
    if (scenario.targets.length === 0) throw new Error(`scenario ${scenario.name} has no targets`);
    for (const executor of Object.values(scenario.executors))
      if (!(EXECUTOR_NAMES as readonly string[]).includes(executor))
        throw new Error(
          `scenario ${scenario.name}: unknown executor "${executor}"; known: ${EXECUTOR_NAMES.join(', ')}`,
        );
  }
  return Object.freeze(scenario);
}

/** The scenario's gates and goals in one profile: its profile gates are gates there and goals elsewhere. */
export function forProfile<S extends Scenario>(scenario: S, profile: ProfileName): S {
  const gates = scenario.profileGates;
  if (gates === undefined) return scenario;
  const here = gates[profile] ?? [];
  const elsewhere = [...new Set(Object.values(gates).flat())].filter((t) => !here.includes(t));
  return {
    ...scenario,
    thresholds: [...scenario.thresholds, ...here],
    goals: [...scenario.goals, ...elsewhere],
  };
}
