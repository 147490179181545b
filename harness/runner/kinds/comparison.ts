/**
 * The comparison kind: the same load on every target of the scenario (rows of the targets table, in front of the
 * same mock), after a warm-up each, in interleaved trials (A B C, B C A, C A B …) so machine drift hits all targets alike —
 * first latency trials with the scenario's latency executor (open model at the profile's rate), then throughput
 * trials with its throughput executor (closed model, the mock's latency at zero).
 */
import type { ComparisonScenario, MatrixScenario, ShootoutScenario } from '../../../scenarios/define.js';
import { drive } from '../../load/executors.js';
import { McpHttpSession, StatelessHttpSession, type SessionTarget } from '../../load/mcp-session.js';
import { CallSource, type CallableSession, type LoadOutcome } from '../../load/outcome.js';
import { STATELESS, STATELESS_INPUT, STATELESS_TASK } from '../../../core/protocol/revisions.js';
import { statelessMeta } from '../../../core/protocol/stateless.js';
import { abortableSleep } from '../../../core/runtime/clock.js';
import {
  processCpuMicros,
  processDescendantCount,
  processRssBytes,
  processTree,
  processTreeCpuMicros,
  processTreeRssBytes,
} from '../../measure/cpu.js';
import { targetVersion } from '../versions.js';
import { commandAvailable } from '../children.js';
import { TARGETS, type TargetSpec } from '../../../scenarios/targets.js';
import { mergeHistograms, summarise, type Histogram, type LatencySummary } from '../../../core/measure/histogram.js';
import type { Metric, TargetResult, TrialRecord } from '../../results/schema.js';
import { latencyRecord, roundTo } from '../result.js';
import { median } from '../../compare/stats.js';
import type { KindResult, RunContext, ScenarioKind, StartedTarget } from '../kind.js';
import { isSteady, WARMUP_CALLS_PER_CHILD, type WarmupSlice } from '../steady.js';
import { untilQuiet } from '../quiet.js';

const REQUEST_TIMEOUT_MS = 10_000;
/** Sessions opened at once, so set-up is not one burst. */
const OPEN_BATCH = 50;
/**
 * Each phase's warm-up starts with a closed-model burst (mock latency 0) of at most this long per target. Before the
 * latency phase it is for JIT-compiled targets, which reach their top tier only after thousands of requests: at
 * 1,000 req/s alone, V8 optimises our proxy's request path 5-10 s in, and until then its p50 runs up to ~170 µs
 * above its steady state; a one-second burst is ~18,000 requests (docs/measurement.md has the figures). A burst goes
 * on, in quarter-burst slices, until the seat is steady (harness/runner/steady.ts): at least one burst long, at most
 * STEADY_MAX_BURSTS; a smoke profile's shorter burst is one, fixed. The second phase's burst asks the children for
 * their calls again: after the latency phase (5 ms timers, new code to them, at 15 calls/s each) a bridge's children
 * ran at ~3,600 calls/s, steady, where they had reached ~7,000 (a burst ended by steadiness alone, 2026-12-03).
 */
export const BURST_WARMUP_MS = 1_000;
/** The longest burst, in bursts: a bridge's 32 stdio children took ~5 s at saturation here (steady.ts). */
export const STEADY_MAX_BURSTS = 10;
/**
 * A seat idle this long before a trial gets a lead-in. V8's memory reducer collects in a process idle for ~8 s, and
 * what it collects the hot path must rebuild: after a 15 s pause our proxy's first 250 ms ran at 2,836 and 3,994
 * calls/s against ~7,000 before it; after 4 s, at 5,257 and 6,220 against ~5,500 (2026-12-03, a probe). At a low rate
 * the rebuilding lasts: after 10-40 s idle, 2 s at 500 calls/s took 2-2.8 page faults per call (0.1 in steady load) and
 * the proxy's own code 1.5-2x its steady time per request, all 2 s long (docs/measurement.md).
 */
export const LEAD_IN_AFTER_IDLE_MS = 6_000;
/**
 * The longest lead-in before a trial, in bursts. Our proxy, idle 15 s and then at saturation, ran its
 * first 250 ms slices at 4,152, 5,247, 7,651 and 8,961 calls/s (161, 121, 77 and 75 µs of CPU per call) against
 * ~9,500 before the pause (2026-12-03): a trial that began cold lost most of its first second.
 */
export const LEAD_IN_MAX_BURSTS = 2;
/** Before each trial's lead-in, how long the other seats and the mock may stay busy (harness/runner/quiet.ts). */
export const QUIET_MAX_MS = 5_000;
const SATURATED_GENERATOR_CPU_PCT = 90;
const LATE_SEND_WARN_FRACTION = 0.01;

interface Seat {
  readonly name: string;
  readonly target: SessionTarget;
  /** The process whose CPU is charged to this target (with its children); none for a target already running. */
  readonly pid: number | undefined;
  readonly sessions: CallableSession[];
  /** params._meta of its calls (the stateless revision's). */
  readonly meta?: Record<string, unknown>;
  /** The mock's tool its calls name: elicit for STATELESS_INPUT (each call answered over a second round). */
  readonly tool?: 'echo' | 'elicit';
  /** Tool arguments every call adds: `task: true` for STATELESS_TASK (each call made a task, polled). */
  readonly args?: Record<string, unknown>;
  /** The MCP revision its sessions speak, when the kind seats targets per revision. */
  readonly revision?: string;
  readonly latency: Histogram[];
  readonly service: Histogram[];
  readonly rates: number[];
  readonly errors: Record<string, number>;
  readonly errorSamples: string[];
  readonly cpu: { open: { us: number; requests: number }; closed: { us: number; requests: number } };
  readonly about?: TargetResult['about'];
  /** What it fronts: the Streamable HTTP mock, or the stdio mock (a bridge). */
  readonly upstream: TargetSpec['upstream'];
  /** Its open-model rate: the profile's, or its target's maxRate where that is lower. */
  readonly rate: number;
  /** Its closed-model clients: the scenario's, or its target's maxVus where that is lower. */
  readonly vus: number;
  readonly footprint?: TargetResult['footprint'];
}

/** What a kind built on the comparison (the shootout) changes about it. */
export interface ComparisonOptions {
  /** The seats, in order; the first is the reference. @default the scenario's targets */
  readonly targets?: readonly string[];
  /**
   * Also record what each seat is (mode, version, command) and what holding the scenario's sessions costs it: its
   * process tree's RSS and descendants before and after they are opened, per session.
   */
  readonly inventory?: boolean;
  /** Warnings to carry into the result (seats that were skipped). */
  readonly warnings?: readonly string[];
  /** Settings to record beside the comparison's own. */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** Metrics of its own, from the targets' results and each seat's sessions (every checkpoint and the end). */
  readonly metrics?: (
    targets: Readonly<Record<string, TargetResult>>,
    sessions: ReadonlyMap<string, readonly CallableSession[]>,
  ) => Record<string, Metric>;
  /**
   * MCP revisions to seat each target in: a seat per revision and target, named `<revision>.<target>`, its sessions
   * opened in that revision (2026-07-28: stateless, no session). @default one seat per target, sessions as they come
   */
  readonly revisions?: readonly string[];
}

/** After the sessions are opened and before the footprint is read: lazy allocations and child start-up settle. */
const FOOTPRINT_SETTLE_MS = 500;

type Phase = 'latency' | 'throughput';

export async function runComparison(
  ctx: RunContext<ComparisonScenario> | RunContext<ShootoutScenario> | RunContext<MatrixScenario>,
  options: ComparisonOptions = {},
): Promise<KindResult> {
  const { scenario, profile, signal } = ctx as RunContext<ComparisonScenario>;
  const names = options.targets ?? scenario.targets;

  // The same behaviour behind both mocks: the HTTP one for seats that front HTTP, the stdio one for a bridge.
  const knobs = { latencyMs: scenario.mock.latencyMs, payloadBytes: scenario.mock.payloadBytes };
  const mock = await ctx.startMock('mock', { ...knobs, response: scenario.mock.response });
  const upstreams = { http: mock, stdioArgv: ctx.stdioMockArgv(knobs), maxSessions: scenario.sessions * 2 };
  const started: StartedTarget[] = [];
  for (const name of names) started.push(await ctx.startTarget(name, upstreams));
  ctx.ready();

  const seats: Seat[] = [];
  const trials: TrialRecord[] = [];
  const warnings = new Set<string>(options.warnings);
  const variants = (options.revisions ?? [undefined]).flatMap((revision) =>
    started.map((t, index) => ({ t, index, revision })),
  );
  for (const { t, index, revision } of variants) {
    const target = ctx.connect(t.url, { connections: 64, requestTimeoutMs: REQUEST_TIMEOUT_MS });
    const before = options.inventory ? treeFigures(t.chargedPid) : undefined;
    const sessions: CallableSession[] =
      revision === undefined
        ? await ctx.openSessions(target, scenario.sessions)
        : await openInRevision(ctx, target, scenario.sessions, revision);
    let about: Seat['about'];
    let footprint: Seat['footprint'];
    if (options.inventory) {
      await abortableSleep(FOOTPRINT_SETTLE_MS, signal).catch(() => undefined);
      const after = treeFigures(t.chargedPid);
      const per = (a: number | undefined, b: number | undefined, scale: number): number | null =>
        a === undefined || b === undefined || sessions.length === 0
          ? null
          : roundTo((b - a) / scale / sessions.length, 2);
      footprint = {
        sessions: sessions.length,
        rssPerSessionKiB: per(before?.rss, after?.rss, 1024),
        ownRssPerSessionKiB: per(before?.ownRss, after?.ownRss, 1024),
        childrenPerSession: per(before?.children, after?.children, 1),
      };
      const version = await targetVersion(t.spec);
      const ours = t.spec.version !== undefined && 'npm' in t.spec.version && t.spec.version.npm === 'mcp-perf';
      about = {
        mode: index === 0 ? 'reference' : t.spec.upstream === 'http' ? 'reverse' : 'bridge',
        ...(version === undefined ? {} : { version }),
        ...(t.command === undefined ? {} : { command: t.command }),
        ...(ours ? { ours: true as const } : {}),
        ...(rateOf(t.spec) < profile.rate ? { rate: rateOf(t.spec) } : {}),
        ...((t.spec.maxVus ?? Infinity) < scenario.throughputConcurrency ? { vus: t.spec.maxVus } : {}),
      };
    }
    seats.push({
      name: revision === undefined ? t.name : `${revision}.${t.name}`,
      target,
      pid: t.chargedPid,
      sessions,
      ...(revision === undefined ? {} : { revision }),
      ...(revision === STATELESS || revision === STATELESS_INPUT ? { meta: statelessMeta('mcp-perf-load') } : {}),
      ...(revision === STATELESS_INPUT ? { tool: 'elicit' as const } : {}),
      ...(revision === STATELESS_TASK
        ? { meta: statelessMeta('mcp-perf-load', { tasks: true }), args: { task: true } }
        : {}),
      upstream: t.spec.upstream,
      rate: rateOf(t.spec),
      vus: Math.min(scenario.throughputConcurrency, t.spec.maxVus ?? Infinity),
      ...(about === undefined ? {} : { about }),
      ...(footprint === undefined ? {} : { footprint }),
      latency: [],
      service: [],
      rates: [],
      errors: {},
      errorSamples: [],
      cpu: { open: { us: 0, requests: 0 }, closed: { us: 0, requests: 0 } },
    });
  }
  if (signal.aborted) return assemble();
  for (const seat of seats)
    if (seat.pid === undefined)
      warnings.add(`${seat.name} was already running: no CPU of its is charged, and its figures carry none`);

  const sources = new Map(
    seats.map((s) => [
      s,
      {
        open: new CallSource(s.sessions, { ...s.args }, { ids: scenario.ids, meta: s.meta, tool: s.tool }),
        closed: new CallSource(
          s.sessions,
          { latencyMs: 0, ...s.args },
          { ids: scenario.ids, meta: s.meta, tool: s.tool },
        ),
      },
    ]),
  );
  // Latency: the scenario's latency executor at the profile's rate; throughput: at saturation, mock latency 0.
  /** When each seat last had load (performance.now()): how long it has been idle. */
  const lastLoad = new Map<Seat, number>();
  const load = async (phase: Phase, seat: Seat, durationMs: number): Promise<LoadOutcome> => {
    const outcome = await drive(phase === 'latency' ? scenario.executors.latency : scenario.executors.throughput, {
      source: phase === 'latency' ? sources.get(seat)!.open : sources.get(seat)!.closed,
      durationMs,
      signal,
      rate: seat.rate,
      maxInFlight: scenario.maxInFlight,
      vus: seat.vus,
    });
    lastLoad.set(seat, performance.now());
    return outcome;
  };

  const burstMs = Math.min(profile.warmupMs, BURST_WARMUP_MS);
  /** A phase's burst: slices until the seat is warm, or STEADY_MAX_BURSTS of them have passed (said, then). */
  async function untilSteady(seat: Seat): Promise<LoadOutcome> {
    // A smoke profile's short burst only checks that load flows.
    if (burstMs < BURST_WARMUP_MS) return load('throughput', seat, burstMs);
    // Four slices a burst: a seat in one process is steady after one burst.
    const { outcome, capped } = await steadySlices(seat, {
      sliceMs: burstMs / 4,
      callsPerChild: WARMUP_CALLS_PER_CHILD,
      maxMs: STEADY_MAX_BURSTS * burstMs,
      what: 'warm-up burst',
    });
    if (capped !== undefined)
      warnings.add(`${seat.name} was not warm after a ${capped}: its figures may still include its warm-up`);
    return outcome;
  }
  /**
   * Right before a trial of a seat idle LEAD_IN_AFTER_IDLE_MS or more: slices of an eighth of a burst until
   * the seat is back at its pace — half a burst for a seat that is (its pace ramps, and steadiness waits for the ramp
   * to end), LEAD_IN_MAX_BURSTS at most.
   */
  async function leadIn(seat: Seat): Promise<{ ms: number } | undefined> {
    const started = performance.now();
    if (started - (lastLoad.get(seat) ?? started) < LEAD_IN_AFTER_IDLE_MS) return undefined;
    const { capped } = await steadySlices(seat, {
      sliceMs: burstMs / 8,
      callsPerChild: 0,
      maxMs: LEAD_IN_MAX_BURSTS * burstMs,
      what: 'lead-in',
    });
    if (capped !== undefined) unsteadyLeads.set(seat.name, [...(unsteadyLeads.get(seat.name) ?? []), capped]);
    return { ms: Math.round(performance.now() - started) };
  }
  /** Per seat, the lead-ins that ended unsteady: said once a seat, in assemble(). */
  const unsteadyLeads = new Map<string, string[]>();
  /**
   * Closed-model slices until the seat is steady and its working children (those that used CPU in the first slice: a
   * bridge's, not a shell that only waits on one) have had callsPerChild calls each; or until maxMs has passed, when
   * `capped` says how long it ran and why it was not done.
   */
  async function steadySlices(
    seat: Seat,
    {
      sliceMs,
      callsPerChild,
      maxMs,
      what,
    }: { sliceMs: number; callsPerChild: number; maxMs: number; /** For `capped`. */ what: string },
  ): Promise<{ outcome: LoadOutcome; capped?: string }> {
    const slices: WarmupSlice[] = [];
    const tree = seat.pid === undefined ? [] : processTree(seat.pid).filter((pid) => pid !== seat.pid);
    const startCpu = tree.map(processCpuMicros);
    let minCalls = 0;
    let calls = 0;
    for (;;) {
      const before = seat.pid === undefined ? undefined : processTreeCpuMicros(seat.pid);
      const outcome = await load('throughput', seat, sliceMs);
      const after = seat.pid === undefined ? undefined : processTreeCpuMicros(seat.pid);
      const completed = outcome.achieved.completed;
      calls += completed;
      if (slices.length === 0) {
        const working = tree.filter((pid, i) => (processCpuMicros(pid) ?? 0) > (startCpu[i] ?? Infinity)).length;
        minCalls = callsPerChild * working;
      }
      slices.push({
        calls: completed,
        rate: outcome.achieved.rate,
        cpuPerCallUs:
          before === undefined || after === undefined || completed === 0 ? undefined : (after - before) / completed,
      });
      if (signal.aborted || (calls >= minCalls && isSteady(slices))) return { outcome };
      if (slices.length * sliceMs >= maxMs) {
        const why = isSteady(slices)
          ? `its children had ${Math.round(calls / (minCalls / callsPerChild))} calls each of the ${callsPerChild} asked`
          : `its last calls/s per ${sliceMs} ms: ${slices
              .slice(-4)
              .map((s) => Math.round(s.rate))
              .join(', ')}`;
        return { outcome, capped: `${(slices.length * sliceMs) / 1000} s ${what} (${why})` };
      }
    }
  }
  /** Per seat, the times the others were still busy when its trial began (said once a seat, in assemble()). */
  const noisyStarts = new Map<string, string[]>();
  /** Until every process but this seat's — the other seats' trees and the mock — has gone quiet (noted if not). */
  async function quiet(seat: Seat): Promise<void> {
    const others = new Map<number, string>();
    if (mock.pid !== seat.pid) others.set(mock.pid, 'the mock');
    for (const s of seats)
      if (s.pid !== undefined && s.pid !== seat.pid && !others.has(s.pid)) others.set(s.pid, s.name);
    const { busy } = await untilQuiet(others, { maxMs: QUIET_MAX_MS, signal });
    if (busy !== undefined)
      noisyStarts.set(seat.name, [
        ...(noisyStarts.get(seat.name) ?? []),
        `${busy.sharePct}% of a core, most of it ${busy.busiest}`,
      ]);
  }
  function rateOf(spec: TargetSpec): number {
    return Math.min(profile.rate, spec.maxRate ?? Infinity);
  }
  type Warmup = (seat: Seat) => Promise<LoadOutcome>;
  /** Before a trial: the others quiet, then the seat back at its pace. */
  const quietThenLeadIn = async (seat: Seat): Promise<{ ms: number } | undefined> => {
    await quiet(seat);
    return leadIn(seat);
  };
  const phases: Array<{
    phase: Phase;
    warmups: Warmup[];
    lead?: (seat: Seat) => Promise<{ ms: number } | undefined>;
    trialMs: number;
  }> = [
    {
      phase: 'latency',
      warmups: [untilSteady, (seat) => load('latency', seat, profile.warmupMs)],
      // A lead-in at saturation brings back the state steady load keeps a seat in (its heap grown, its code optimised);
      // the trial then runs on caches as cold as steady load at its rate leaves them (docs/measurement.md).
      ...(burstMs < BURST_WARMUP_MS ? {} : { lead: quietThenLeadIn }),
      trialMs: profile.latencyTrialMs,
    },
    {
      phase: 'throughput',
      warmups: [untilSteady],
      // Not in a smoke profile, whose trials only check that load flows.
      ...(burstMs < BURST_WARMUP_MS ? {} : { lead: quietThenLeadIn }),
      trialMs: profile.throughputTrialMs,
    },
  ];
  // Seats take turns only with the seats in front of the same mock — those each is judged against — and each group
  // runs both phases before the next: first the reference's (direct and the reverse proxies before the HTTP mock),
  // then the other's (the bridges before the stdio mock). A rotation of every seat put the bridges' trials, whole
  // process trees at saturation, between one reverse proxy's trial and the next's, and the Node seats' calls/s read
  // lower after them (docs/proxy.md, "Seats that are compared take turns").
  const first = seats[0]?.upstream;
  const groups = [seats.filter((s) => s.upstream === first), seats.filter((s) => s.upstream !== first)].filter(
    (group) => group.length > 0,
  );
  run: for (const group of groups)
    for (const { phase, warmups, lead, trialMs } of phases) {
      const whole = await ctx.interleave({
        seats: group,
        phase,
        trials: profile.trials,
        warmups,
        ...(lead === undefined ? {} : { lead }),
        load: (seat) => load(phase, seat, trialMs),
        // The whole tree: a bridge's stdio children do part of its work.
        cpu: (seat) => (seat.pid === undefined ? undefined : processTreeCpuMicros(seat.pid)),
        onRound: (trial, round) => {
          for (const { seat, outcome, cpuUs, leadInMs } of round) {
            trials.push({
              ...record(phase, trial, seat, outcome, cpuUs, warnings),
              ...(leadInMs === null ? {} : { leadInMs }),
            });
            absorb(seat, phase, outcome, cpuUs);
          }
        },
        checkpoint: assemble,
      });
      if (!whole) break run;
    }
  return assemble();

  function leadWarnings(): string[] {
    return [
      ...[...unsteadyLeads].map(
        ([name, capped]) =>
          `${name} was not steady after a lead-in before ${capped.length} of its trials (the last: ${capped.at(-1)}): those trials may be slow`,
      ),
      ...[...noisyStarts].map(
        ([name, busy]) =>
          `the other seats were still busy ${QUIET_MAX_MS / 1000} s after the trial before ${busy.length} of ${name}'s (the last: ${busy.at(-1)}): those trials shared the machine`,
      ),
    ];
  }

  /** The result from the whole rounds so far; throughput figures only once a throughput round has run. */
  function assemble(): KindResult {
    const targets: Record<string, TargetResult> = {};
    const latencies = new Map<string, LatencySummary>();
    for (const seat of seats) {
      const latency = mergeHistograms(seat.latency);
      const service = mergeHistograms(seat.service);
      latencies.set(seat.name, summarise(latency));
      targets[seat.name] = {
        url: seat.target.url.href,
        latency: latencyRecord('open', latency),
        serviceTime: latencyRecord('closed', service),
        throughputRps: roundTo(medianOrZero(seat.rates), 1),
        errors: { ...seat.errors },
        errorSamples: [...seat.errorSamples],
        cpuUsPerRequest: { open: perRequest(seat.cpu.open), closed: perRequest(seat.cpu.closed) },
        ...(seat.about === undefined ? {} : { about: seat.about }),
        ...(seat.footprint === undefined ? {} : { footprint: seat.footprint }),
      };
    }
    const sessions = new Map(seats.map((seat) => [seat.name, seat.sessions]));
    // A run cut short can stop before a group's turn, or between its phases: a seat has figures only for the phases
    // it ran (a whole round of each is the checkpoint), and none for a phase it did not.
    const ran = (phase: Phase) => new Set(trials.filter((t) => t.phase === phase).map((t) => t.target));
    const [latencyRan, throughputRan] = [ran('latency'), ran('throughput')];
    const unmeasured = seats.filter((seat) => !latencyRan.has(seat.name)).map((seat) => seat.name);
    const seatOf = (metric: string) => seats.find((seat) => metric.startsWith(`${seat.name}.`))?.name;
    let metrics = {
      ...comparisonMetrics(
        seats.filter((seat) => latencyRan.has(seat.name)),
        targets,
        latencies,
        trials,
      ),
      ...options.metrics?.(targets, sessions),
    };
    metrics = Object.fromEntries(
      Object.entries(metrics).filter(([k]) => {
        const seat = seatOf(k);
        return (
          !/throughput|cpu_us_per_req/.test(k) ||
          (seat === undefined ? throughputRan.size > 0 : throughputRan.has(seat))
        );
      }),
    );
    return ctx.result(
      {
        ...profile,
        mock: scenario.mock,
        targets: names,
        executors: scenario.executors,
        sessions: scenario.sessions,
        throughputConcurrency: scenario.throughputConcurrency,
        maxInFlight: scenario.maxInFlight,
        ids: scenario.ids ?? 'unique',
        ...options.settings,
      },
      {
        metrics,
        targets,
        trials: [...trials],
        warnings: [
          ...warnings,
          ...leadWarnings(),
          // Built anew at each checkpoint: a group not run yet is unmeasured only if the run ends there.
          ...(unmeasured.length === 0
            ? []
            : [`not measured: ${unmeasured.join(', ')} (the run stopped before their turn)`]),
        ],
      },
    );
  }
}

function record(
  phase: 'latency' | 'throughput',
  trial: number,
  seat: Seat,
  o: LoadOutcome,
  targetCpuUs: number | null,
  warnings: Set<string>,
): TrialRecord {
  const summary = summarise(o.histogram);
  const generatorCpuPct = roundTo((o.generatorCpuUs / (o.achieved.durationMs * 1000)) * 100, 1);
  if (o.model === 'open' && o.achieved.lateSends > o.achieved.sent * LATE_SEND_WARN_FRACTION) {
    warnings.add(
      `load generator sent more than ${LATE_SEND_WARN_FRACTION * 100}% of requests late in ${seat.name} latency trial ${trial} (worst ${o.achieved.maxSendLagUs} µs): its tail includes the generator's own stall`,
    );
  }
  if (o.achieved.dropped > 0)
    warnings.add(
      `load generator dropped ${o.achieved.dropped} sends (over ${o.asked.rate} req/s with too many outstanding): the target could not keep up`,
    );
  if (o.model === 'closed' && generatorCpuPct > SATURATED_GENERATOR_CPU_PCT) {
    warnings.add(
      `load generator used over ${SATURATED_GENERATOR_CPU_PCT}% CPU in ${seat.name} throughput trials: that throughput is the generator's ceiling, not the target's`,
    );
  }
  return {
    phase,
    trial,
    target: seat.name,
    asked: o.asked,
    achieved: { ...o.achieved, rate: roundTo(o.achieved.rate, 1), durationMs: roundTo(o.achieved.durationMs, 1) },
    p50_us: summary.p50_us,
    p99_us: summary.p99_us,
    errors: o.achieved.completed - o.achieved.ok,
    generatorCpuPct,
    targetCpuUs: targetCpuUs === null ? null : Math.round(targetCpuUs),
  };
}

function absorb(seat: Seat, phase: 'latency' | 'throughput', o: LoadOutcome, targetCpuUs: number | null): void {
  (phase === 'latency' ? seat.latency : seat.service).push(o.histogram);
  if (phase === 'throughput') seat.rates.push(o.achieved.rate);
  for (const [kind, n] of Object.entries(o.errors)) seat.errors[kind] = (seat.errors[kind] ?? 0) + (n ?? 0);
  for (const s of o.errorSamples) if (seat.errorSamples.length < 5) seat.errorSamples.push(s);
  if (targetCpuUs !== null) {
    const cpu = phase === 'latency' ? seat.cpu.open : seat.cpu.closed;
    cpu.us += targetCpuUs;
    cpu.requests += o.achieved.completed;
  }
}

const PERCENTILE_KEYS = ['p50', 'p90', 'p95', 'p99', 'p99.9'] as const;

/** The flat metric map that thresholds and the baseline diff read. */
function comparisonMetrics(
  seats: readonly Seat[],
  targets: Record<string, TargetResult>,
  latencies: ReadonlyMap<string, LatencySummary>,
  trials: readonly TrialRecord[],
): Record<string, Metric> {
  const m: Record<string, Metric> = {};
  const us = (value: number): Metric => ({ value, unit: 'us', better: 'lower' });
  if (seats.length === 0) return m;
  for (const seat of seats) {
    // The reference: the first seat, or with revisions the first seat of the same revision.
    const reference = seats.find((r) => r.revision === seat.revision)!;
    const ref = targets[reference.name]!;
    const refLatency = latencies.get(reference.name)!;
    const t = targets[seat.name]!;
    const s = latencies.get(seat.name)!;
    for (const p of PERCENTILE_KEYS) m[`${seat.name}.latency.${p}_us`] = us(s[`${p}_us`]);
    m[`${seat.name}.latency.max_us`] = us(s.max_us);
    m[`${seat.name}.throughput_rps`] = { value: t.throughputRps, unit: 'rps', better: 'higher' };
    m[`${seat.name}.errors`] = {
      value: Object.values(t.errors).reduce((a, b) => a + b, 0),
      unit: 'count',
      better: 'lower',
    };
    // Answers that reached the wrong call: always a figure (0 is the claim), whatever other errors there were.
    m[`${seat.name}.crossed`] = { value: t.errors.crossed ?? 0, unit: 'count', better: 'lower' };
    if (t.cpuUsPerRequest.closed !== null)
      m[`${seat.name}.cpu_us_per_req`] = { value: t.cpuUsPerRequest.closed, unit: 'us', better: 'lower' };
    if (t.footprint?.rssPerSessionKiB != null)
      m[`${seat.name}.rss_per_session_bytes`] = {
        value: Math.round(t.footprint.rssPerSessionKiB * 1024),
        unit: 'bytes',
        better: 'lower',
      };
    if (t.footprint?.childrenPerSession != null)
      m[`${seat.name}.children_per_session`] = {
        value: t.footprint.childrenPerSession,
        unit: 'count',
        better: 'lower',
      };
    if (seat === reference) continue;
    for (const p of PERCENTILE_KEYS) {
      const added = s[`${p}_us`] - refLatency[`${p}_us`];
      m[`${seat.name}.added.${p}_us`] = { value: added, unit: 'us', better: 'lower' };
      m[`${seat.name}.overhead_pct.${p}`] = {
        value: roundTo((added / Math.max(1, refLatency[`${p}_us`])) * 100, 2),
        unit: 'pct',
        better: 'lower',
      };
    }
    m[`${seat.name}.throughput_ratio`] = {
      value: roundTo(t.throughputRps / Math.max(1e-9, ref.throughputRps), 3),
      unit: 'ratio',
      better: 'higher',
    };
  }
  const proxied = targets.proxied;
  const relay = targets.relay;
  if (proxied !== undefined && relay !== undefined) {
    m['proxied.throughput_vs_relay'] = {
      value: roundTo(proxied.throughputRps / Math.max(1e-9, relay.throughputRps), 3),
      unit: 'ratio',
      better: 'higher',
    };
    for (const p of ['p50', 'p99'] as const) {
      m[`proxied.added_vs_relay.${p}_us`] = us(
        latencies.get('proxied')![`${p}_us`] - latencies.get('relay')![`${p}_us`],
      );
    }
  }
  const latencyTrials = trials.filter((t) => t.phase === 'latency');
  const sent = latencyTrials.reduce((a, t) => a + t.achieved.sent, 0);
  m['load.achieved_rate'] = {
    value: roundTo(medianOrZero(latencyTrials.map((t) => t.achieved.rate)), 1),
    unit: 'rps',
    better: 'none',
  };
  m['load.late_send_pct'] = {
    value: roundTo((latencyTrials.reduce((a, t) => a + t.achieved.lateSends, 0) / Math.max(1, sent)) * 100, 2),
    unit: 'pct',
    better: 'lower',
  };
  m['load.dropped'] = {
    value: latencyTrials.reduce((a, t) => a + t.achieved.dropped, 0),
    unit: 'count',
    better: 'lower',
  };
  return m;
}

/** Resident memory and descendants of the process tree a seat is charged to; undefined without one. */
function treeFigures(
  pid: number | undefined,
): { rss: number | undefined; ownRss: number | undefined; children: number } | undefined {
  return pid === undefined
    ? undefined
    : { rss: processTreeRssBytes(pid), ownRss: processRssBytes(pid), children: processDescendantCount(pid) };
}

function perRequest(cpu: { us: number; requests: number }): number | null {
  return cpu.requests > 0 ? roundTo(cpu.us / cpu.requests, 2) : null;
}

/** The median, or 0 before any trial measured it (a checkpoint after the first round). */
function medianOrZero(values: readonly number[]): number {
  return values.length === 0 ? 0 : median(values);
}

/**
 * `count` sessions in one MCP revision, in batches, each closed when the scenario ends: the stateless revision's
 * (server/discover, then no session; with STATELESS_INPUT its calls ask for input once, answered; with STATELESS_TASK
 * each is made a task and polled), or an initialize
 * that must settle on the revision asked for.
 */
async function openInRevision(
  ctx: RunContext<ComparisonScenario> | RunContext<ShootoutScenario> | RunContext<MatrixScenario>,
  target: SessionTarget,
  count: number,
  revision: string,
): Promise<CallableSession[]> {
  const opened: Array<McpHttpSession | StatelessHttpSession> = [];
  ctx.defer(() => Promise.all(opened.map((s) => s.close())));
  while (opened.length < count && !ctx.signal.aborted) {
    const batch = Math.min(OPEN_BATCH, count - opened.length);
    opened.push(
      ...(await Promise.all(
        Array.from({ length: batch }, () =>
          revision === STATELESS
            ? StatelessHttpSession.open(target)
            : revision === STATELESS_INPUT
              ? StatelessHttpSession.open(target, 'mcp-perf-load', { tool: 'elicit' })
              : revision === STATELESS_TASK
                ? StatelessHttpSession.open(target, 'mcp-perf-load', { tasks: true })
                : McpHttpSession.open(target, 'mcp-perf-load', revision),
        ),
      )),
    );
  }
  return opened;
}

/** Every seat a scenario names is a row of the targets table. */
export function checkSeatsKnown(
  scenario: ComparisonScenario | ShootoutScenario | MatrixScenario,
  targets: Readonly<Record<string, TargetSpec>>,
): void {
  for (const name of scenario.targets)
    if (!Object.hasOwn(targets, name))
      throw new Error(`scenario ${scenario.name}: unknown target "${name}"; known: ${Object.keys(targets).join(', ')}`);
}

/** A bridge's warm-up bursts: its children each want their calls (~5 s for 32 of ours; supergateway's take 10). */
const CHILDREN_WARMUP_BURSTS = 6;

/** Expected wall time of a comparison of these seats (the scenario's targets, once per revision for a matrix). */
export function estimateComparisonMs(
  scenario: ComparisonScenario | ShootoutScenario | MatrixScenario,
  profile: keyof ComparisonScenario['profiles'],
  seats: readonly string[] = scenario.targets,
): number {
  const p = scenario.profiles[profile];
  // An open-model warm-up, a closed-model burst before each phase (a few for a seat with children to warm), and
  // outside a smoke profile a lead-in of half a burst or more before each trial that follows a long wait.
  const burst = Math.min(p.warmupMs, BURST_WARMUP_MS);
  const lead = (trialMs: number): number =>
    burst < BURST_WARMUP_MS || (seats.length - 1) * trialMs < LEAD_IN_AFTER_IDLE_MS ? 0 : burst / 2;
  let ms = 3_000;
  for (const name of seats) {
    const bursts =
      burst < BURST_WARMUP_MS || (TARGETS as Readonly<Record<string, TargetSpec>>)[name]?.upstream !== 'stdio'
        ? 1
        : CHILDREN_WARMUP_BURSTS;
    ms +=
      p.warmupMs +
      2 * bursts * burst +
      p.trials * (p.latencyTrialMs + lead(p.latencyTrialMs) + p.throughputTrialMs + lead(p.throughputTrialMs));
  }
  return ms;
}

const comparisonKind: ScenarioKind<ComparisonScenario> = {
  kind: 'comparison',
  estimateMs: (scenario, profile) => estimateComparisonMs(scenario, profile),
  check: (scenario, targets) => {
    checkSeatsKnown(scenario, targets);
    if (scenario.ids !== undefined && scenario.ids !== 'unique' && scenario.ids !== 'collide')
      throw new Error(
        `scenario ${scenario.name}: ids must be "unique" or "collide", got ${JSON.stringify(scenario.ids)}`,
      );
    // A seat whose command is missing is refused now, before anything starts.
    for (const name of scenario.targets) {
      const argv0 = targets[name]!.argv?.[0];
      if (argv0 !== undefined && !commandAvailable(argv0))
        throw new Error(
          `target "${name}": ${argv0} is not installed${targets[name]!.install === undefined ? ' (not on PATH nor in node_modules/.bin)' : `: ${targets[name]!.install}`}`,
        );
    }
  },
  run: runComparison,
};

export default comparisonKind;
