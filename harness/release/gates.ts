/**
 * The sign-off page's gates: every target from the proxy teams' plans (../shared/context, named by `source`) and
 * mcp-perf's own, each read from a results file. A gate passes, fails, or was not measured (the scenario did not
 * run, or ran too short to say: a 30-minute soak gate is not met by a 3-second one) — never silently missing. Rows
 * without a goal are reported, not gated. A release passes when every gate passes.
 *
 * Against a previous release, a gate whose scenario keeps per-trial figures is judged as `mcp-perf compare` judges
 * (Mann–Whitney on the trials, Hodges–Lehmann shift, a 5% noise floor); the others show the plain change.
 */
import type { CompletedScenario, ResultsFile, Unit } from '../results/schema.js';
import { hodgesLehmann, mannWhitney, median } from '../compare/stats.js';

export interface Gate {
  readonly id: string;
  readonly title: string;
  /** Where the target comes from: a plan in ../shared/context, or mcp-perf's own. */
  readonly source: string;
  readonly scenario: string;
  readonly unit: Unit;
  /** The goal; absent for a figure that is reported, not gated. */
  readonly goal?: { readonly op: '<' | '<=' | '>=' | '>'; readonly value: number };
  readonly better: 'lower' | 'higher';
  /** The figure, or why there is none although the scenario ran. */
  readonly read: (s: CompletedScenario) => number | { readonly notMeasured: string };
  /** Per-trial figures of the same quantity, where the scenario keeps them (for the judgement against a release). */
  readonly trials?: (s: CompletedScenario) => readonly number[];
}

export type GateVerdict = 'pass' | 'fail' | 'not measured' | 'reported';

export interface GateRow {
  readonly gate: Gate;
  readonly value: number | null;
  readonly verdict: GateVerdict;
  readonly why?: string;
  readonly previous?: PreviousChange;
}

export interface PreviousChange {
  readonly value: number | null;
  /** Change in % of the previous figure (the Hodges–Lehmann shift when judged on trials). */
  readonly changePct: number | null;
  /** 'trials': judged on per-trial figures; 'figure': one number each, shown as is. */
  readonly basis: 'trials' | 'figure';
  readonly verdict?: 'improved' | '~' | 'regressed';
  readonly note?: string;
}

/** The plans in ../shared/context, by the number their file names start with; the page's caption names each. */
const PLAN_000 = 'plan 000';
const PLAN_002 = 'plan 002';
const PLAN_004 = 'plan 004';
const OURS = 'mcp-perf';

/** What each source is, for the caption under the gates. */
export const SOURCES: Readonly<Record<string, string>> = Object.freeze({
  [PLAN_000]: "a proxy's optimisation task: < 5% latency overhead at p95 against a direct connection",
  [PLAN_002]:
    "a reverse proxy's performance test plan: end-to-end latency, 1,000+ connections, auth, rate limit, memory per session, cleanup, soak",
  [PLAN_004]: "a proxy's transport regressions: stdio at 500 QPS, never a child per request, SSE stability",
  [OURS]: "mcp-perf's own goals for its proxy (issue 15): < 2% overhead, start-up, idle CPU, RSS and package size",
});

const metric =
  (name: string, scale = 1) =>
  (s: CompletedScenario): number | { notMeasured: string } => {
    const m = s.metrics[name];
    return m === undefined ? { notMeasured: `${s.name} has no ${name}` } : m.value * scale;
  };

const proxiedLatency =
  (field: 'mean_us' | 'p95_us' | 'p99_us') =>
  (s: CompletedScenario): number | { notMeasured: string } => {
    const v = s.targets['proxied']?.latency?.summary[field];
    return v === undefined ? { notMeasured: `${s.name} measured no latency through the proxy` } : v / 1000;
  };

/** A soak shorter than the 30 minutes its gates ask for (the release profile's) measured nothing they can judge. */
function tooShort(s: CompletedScenario): { notMeasured: string } | undefined {
  const ms = Number((s.settings as { durationMs?: number }).durationMs ?? 0);
  if (ms >= 30 * 60_000) return undefined;
  const ran = ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`;
  return { notMeasured: `the soak ran ${ran}; the gate asks for 30 min (the release profile)` };
}

export const GATES: readonly Gate[] = Object.freeze([
  {
    id: 'overhead-p95',
    title: 'Latency added at p95, proxy vs direct',
    source: PLAN_000,
    scenario: 'direct-vs-proxied',
    unit: 'pct',
    goal: { op: '<', value: 5 },
    better: 'lower',
    read: metric('proxied.overhead_pct.p95'),
  },
  {
    id: 'overhead-p95-ours',
    title: 'Latency added at p95, our own goal',
    source: OURS,
    scenario: 'direct-vs-proxied',
    unit: 'pct',
    goal: { op: '<', value: 2 },
    better: 'lower',
    read: metric('proxied.overhead_pct.p95'),
  },
  {
    id: 'e2e-mean',
    title: 'End-to-end latency through the proxy, mean',
    source: PLAN_002,
    scenario: 'direct-vs-proxied',
    unit: 'ms',
    goal: { op: '<', value: 10 },
    better: 'lower',
    read: proxiedLatency('mean_us'),
  },
  {
    id: 'e2e-p95',
    title: 'End-to-end latency through the proxy, p95',
    source: PLAN_002,
    scenario: 'direct-vs-proxied',
    unit: 'ms',
    goal: { op: '<', value: 20 },
    better: 'lower',
    read: proxiedLatency('p95_us'),
  },
  {
    id: 'e2e-p99',
    title: 'End-to-end latency through the proxy, p99',
    source: PLAN_002,
    scenario: 'direct-vs-proxied',
    unit: 'ms',
    goal: { op: '<', value: 50 },
    better: 'lower',
    read: proxiedLatency('p99_us'),
    trials: (s) => s.trials.filter((t) => t.phase === 'latency' && t.target === 'proxied').map((t) => t.p99_us / 1000),
  },
  {
    id: 'connections',
    title: 'Concurrent connections held',
    source: PLAN_002,
    scenario: 'concurrency',
    unit: 'count',
    goal: { op: '>=', value: 1_000 },
    better: 'higher',
    read: (s) => {
      const clients = s.metrics['concurrency.clients']?.value;
      const held = s.metrics['concurrency.held_ratio']?.value;
      if (clients === undefined || held === undefined)
        return { notMeasured: 'concurrency has no clients or held ratio' };
      return Math.round(clients * held);
    },
  },
  {
    id: 'connections-success',
    title: 'Sessions opened at that concurrency',
    source: PLAN_002,
    scenario: 'concurrency',
    unit: 'pct',
    goal: { op: '>=', value: 95 },
    better: 'higher',
    read: metric('concurrency.session_success_ratio', 100),
  },
  {
    id: 'throughput',
    title: 'Calls/s across those connections',
    source: PLAN_002,
    scenario: 'concurrency',
    unit: 'rps',
    goal: { op: '>=', value: 500 },
    better: 'higher',
    read: metric('concurrency.calls_per_sec'),
  },
  {
    id: 'auth',
    title: 'Authentication (HS256 JWT), p99',
    source: PLAN_002,
    scenario: 'components',
    unit: 'ms',
    goal: { op: '<', value: 5 },
    better: 'lower',
    read: metric('components.auth_hs256.p99_ns', 1e-6),
  },
  {
    id: 'rate-limit',
    title: 'Rate-limit check, p99',
    source: PLAN_002,
    scenario: 'components',
    unit: 'us',
    goal: { op: '<', value: 100 },
    better: 'lower',
    read: metric('components.rate_limit.p99_ns', 1e-3),
  },
  {
    id: 'memory-idle',
    title: 'Memory per session, idle',
    source: PLAN_002,
    scenario: 'memory-per-session',
    unit: 'bytes',
    goal: { op: '<', value: 10 * 1024 },
    better: 'lower',
    read: metric('memory.idle.rss_per_session_bytes'),
  },
  {
    id: 'memory-stream',
    title: 'Memory per active session (one GET stream)',
    source: PLAN_002,
    scenario: 'memory-per-session',
    unit: 'bytes',
    goal: { op: '<', value: 10 * 1024 },
    better: 'lower',
    read: metric('memory.stream.rss_per_session_bytes'),
  },
  {
    id: 'cleanup',
    title: 'Memory given back when every session closes (of the growth)',
    source: PLAN_002,
    scenario: 'memory-per-session',
    unit: 'pct',
    goal: { op: '>=', value: 50 },
    better: 'higher',
    read: (s) => {
      const idle = s.metrics['memory.idle.released_ratio']?.value;
      const stream = s.metrics['memory.stream.released_ratio']?.value;
      if (idle === undefined || stream === undefined)
        return { notMeasured: 'memory-per-session has no released ratio' };
      return Math.round(Math.min(idle, stream) * 1000) / 10;
    },
  },
  {
    id: 'soak',
    title: '30-minute soak: leaks suspected, children left',
    source: PLAN_002,
    scenario: 'soak',
    unit: 'count',
    goal: { op: '<', value: 1 },
    better: 'lower',
    read: (s) => {
      const short = tooShort(s);
      if (short !== undefined) return short;
      const leak = s.metrics['soak.leak_suspected']?.value;
      const left = s.metrics['soak.children_left']?.value;
      if (leak === undefined || left === undefined) return { notMeasured: 'soak has no leak verdict' };
      return leak + left;
    },
  },
  {
    id: 'soak-errors',
    title: '30-minute soak: calls failed',
    source: PLAN_002,
    scenario: 'soak',
    unit: 'count',
    goal: { op: '<', value: 1 },
    better: 'lower',
    read: (s) => tooShort(s) ?? metric('soak.errors')(s),
  },
  {
    id: 'stdio-rate',
    title: 'stdio forward proxy, sustainable calls/s',
    source: PLAN_004,
    scenario: 'stdio-hammer',
    unit: 'rps',
    goal: { op: '>=', value: 500 },
    better: 'higher',
    read: metric('forward.max_sustainable_rate'),
  },
  {
    id: 'stdio-children',
    title: 'stdio children per bridged session (never one per call)',
    source: PLAN_004,
    scenario: 'stdio-hammer',
    unit: 'ratio',
    goal: { op: '<=', value: 1 },
    better: 'lower',
    read: metric('bridge.children_per_session'),
  },
  {
    id: 'sse-lost',
    title: 'SSE fan-out: events lost',
    source: PLAN_004,
    scenario: 'sse-fanout',
    unit: 'count',
    goal: { op: '<', value: 1 },
    better: 'lower',
    read: metric('fanout.lost'),
  },
  {
    id: 'startup',
    title: 'Proxy start-up to its ready line (median)',
    source: OURS,
    scenario: 'footprint',
    unit: 'ms',
    goal: { op: '<', value: 100 },
    better: 'lower',
    read: metric('footprint.startup_ms'),
  },
  {
    id: 'idle-cpu',
    title: 'CPU at idle',
    source: OURS,
    scenario: 'footprint',
    unit: 'pct',
    goal: { op: '<', value: 1 },
    better: 'lower',
    read: metric('footprint.idle_cpu_pct'),
  },
  {
    id: 'idle-rss',
    title: 'RSS at idle',
    source: OURS,
    scenario: 'footprint',
    unit: 'bytes',
    better: 'lower',
    read: metric('footprint.idle_rss_bytes'),
  },
  {
    id: 'package',
    title: 'npm package size (tarball)',
    source: OURS,
    scenario: 'footprint',
    unit: 'bytes',
    better: 'lower',
    read: metric('footprint.package_bytes'),
  },
] satisfies Gate[]);

/** The scenarios the gates read: what a release runs. */
export const GATE_SCENARIOS: readonly string[] = Object.freeze([...new Set(GATES.map((g) => g.scenario))].sort());

function scenarioOf(results: ResultsFile, name: string): CompletedScenario | { readonly missing: string } {
  const s = results.scenarios.find((x) => x.name === name);
  if (s === undefined) return { missing: `${name} did not run` };
  if (s.state !== 'completed') return { missing: `${name} failed: ${s.error}` };
  if (s.partial === true) return { missing: `${name} was cut short` };
  return s;
}

export function meets(goal: NonNullable<Gate['goal']>, value: number): boolean {
  switch (goal.op) {
    case '<':
      return value < goal.value;
    case '<=':
      return value <= goal.value;
    case '>=':
      return value >= goal.value;
    case '>':
      return value > goal.value;
  }
}

/** Every gate read from `results`, each with its change since `previous` when there is one. */
export function evaluateGates(results: ResultsFile, previous?: ResultsFile, gates = GATES): GateRow[] {
  return gates.map((gate) => {
    const s = scenarioOf(results, gate.scenario);
    const read = 'missing' in s ? { notMeasured: s.missing } : gate.read(s);
    const value = typeof read === 'number' && Number.isFinite(read) ? read : null;
    const why = typeof read === 'number' ? undefined : read.notMeasured;
    const verdict: GateVerdict =
      value === null
        ? 'not measured'
        : gate.goal === undefined
          ? 'reported'
          : meets(gate.goal, value)
            ? 'pass'
            : 'fail';
    const row: GateRow = { gate, value, verdict, ...(why !== undefined ? { why } : {}) };
    return previous === undefined ? row : { ...row, previous: changeSince(gate, results, previous, value) };
  });
}

/** Signed off when every gate with a goal passed (not measured is not passed). */
export function signedOff(rows: readonly GateRow[]): boolean {
  return rows.every((r) => r.verdict === 'pass' || r.verdict === 'reported');
}

const NOISE_FLOOR_PCT = 5;
const ALPHA = 0.05;

function changeSince(gate: Gate, results: ResultsFile, previous: ResultsFile, now: number | null): PreviousChange {
  const before = scenarioOf(previous, gate.scenario);
  const read = 'missing' in before ? undefined : gate.read(before);
  const value = typeof read === 'number' && Number.isFinite(read) ? read : null;
  const plain = (): PreviousChange => ({
    value,
    basis: 'figure',
    changePct: value === null || now === null || value === 0 ? null : round1(((now - value) / Math.abs(value)) * 100),
  });
  const head = scenarioOf(results, gate.scenario);
  if (gate.trials === undefined || 'missing' in before || 'missing' in head) return plain();
  const base = gate.trials(before);
  const mine = gate.trials(head);
  if (base.length < 2 || mine.length < 2) return plain();
  const scale = Math.abs(median(base));
  const shift = hodgesLehmann(base, mine);
  const changePct = scale === 0 ? null : round1((shift.estimate / scale) * 100);
  const { p } = mannWhitney(mine, base);
  const big = changePct !== null && Math.abs(changePct) >= NOISE_FLOOR_PCT;
  const worse = changePct !== null && (gate.better === 'lower' ? changePct > 0 : changePct < 0);
  return {
    value,
    basis: 'trials',
    changePct,
    verdict: p < ALPHA && big ? (worse ? 'regressed' : 'improved') : '~',
    note: `Mann–Whitney over ${base.length} vs ${mine.length} trials, p = ${p.toFixed(3)}`,
  };
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
