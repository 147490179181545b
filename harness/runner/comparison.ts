/**
 * Runs a comparison scenario: starts the mock, the proxy and the relay as processes, opens MCP sessions on each
 * target, warms every target up, then runs interleaved trials (A B C A B C …) so machine drift hits all targets
 * alike — first open-model latency trials, then closed-model throughput trials with the mock's latency at zero.
 */
import {
  type ComparisonProfile,
  type ComparisonScenario,
  type ProfileName,
  type TargetName,
} from '../../scenarios/define.js';
import { runClosedModel } from '../load/closed-model.js';
import { McpHttpSession, createTargetPool, type SessionTarget } from '../load/mcp-session.js';
import { runOpenModel } from '../load/open-model.js';
import { CallSource, type LoadOutcome } from '../load/outcome.js';
import { processTreeCpuMicros } from '../measure/cpu.js';
import { mergeHistograms, summarise, type Histogram, type LatencySummary } from '../../core/measure/histogram.js';
import type { CompletedScenario, Metric, TargetResult, TrialRecord } from '../results/schema.js';
import { CLI_BIN, type ProcessGroup } from './children.js';
import type { EventSink } from './events.js';
import { latencyRecord, roundTo } from './result.js';
import { quoteCommand } from '../../core/runtime/argv.js';
import { expandArgv, TARGETS, type TargetSpec } from '../../scenarios/targets.js';
import type { KindResult, ScenarioKind } from './kind.js';

export interface ComparisonRun {
  readonly scenario: ComparisonScenario;
  readonly profileName: ProfileName;
  readonly profile: ComparisonProfile;
  readonly group: ProcessGroup;
  readonly signal: AbortSignal;
  readonly emit: EventSink;
  readonly checkpoint: (result: KindResult) => void;
}

const REQUEST_TIMEOUT_MS = 10_000;
/**
 * Each phase's warm-up starts with a closed-model burst (mock latency 0) of at most this long per target. Before the
 * latency phase it is for JIT-compiled targets, which reach their top tier only after thousands of requests: at
 * 1,000 req/s alone, V8 optimises our proxy's request path 5-10 s in, and until then its p50 runs up to ~170 µs
 * above its steady state; a one-second burst is ~18,000 requests (docs/measurement.md has the figures).
 */
export const BURST_WARMUP_MS = 1_000;
const SATURATED_GENERATOR_CPU_PCT = 90;
const LATE_SEND_WARN_FRACTION = 0.01;

interface Seat {
  readonly name: TargetName;
  readonly target: SessionTarget;
  /** The process whose CPU is charged to this target: the proxy, the relay, or the mock itself for direct. */
  readonly pid: number;
  readonly sessions: McpHttpSession[];
  readonly latency: Histogram[];
  readonly service: Histogram[];
  readonly rates: number[];
  readonly errors: Record<string, number>;
  readonly errorSamples: string[];
  readonly cpu: { open: { us: number; requests: number }; closed: { us: number; requests: number } };
}

export async function runComparison(run: ComparisonRun): Promise<Omit<CompletedScenario, 'startedAt' | 'durationMs'>> {
  const { scenario, profile, group, signal, emit } = run;
  const started = performance.now();
  const elapsed = (): number => performance.now() - started;

  // The same behaviour behind both mocks: the HTTP one for direct, proxied and relay; the stdio one for a bridge.
  const knobs = [
    '--latency-ms',
    String(scenario.mock.latencyMs),
    '--payload-bytes',
    String(scenario.mock.payloadBytes),
  ];
  const mock = await group.start('mock', ['mock', 'http', ...knobs, '--response', scenario.mock.response]);
  const stdioMock = [process.execPath, CLI_BIN, 'mock', 'stdio', ...knobs];
  // Each seat is a row of the targets table: started from its argv template, or the mock itself.
  const placeholders = {
    upstream_url: mock.url,
    upstream_cmd: quoteCommand(stdioMock),
    max_sessions: String(scenario.sessions * 2),
  };
  const urls = new Map<TargetName, { url: string; pid: number }>();
  const processes = [mock];
  for (const name of scenario.targets) {
    const spec: TargetSpec = TARGETS[name];
    if (spec.argv === undefined || spec.process === undefined) {
      urls.set(name, { url: mock.url, pid: mock.pid });
      continue;
    }
    const child = await group.start(spec.process, expandArgv(spec.argv, placeholders));
    // CPU is charged to the process in the seat, or to the mock for a seat that is the mock.
    urls.set(name, { url: child.url, pid: spec.charge === 'self' ? child.pid : mock.pid });
    processes.push(child);
  }
  emit({
    type: 'processes-ready',
    scenario: scenario.name,
    processes: processes.map((c) => ({ name: c.name, pid: c.pid, url: c.url })),
  });

  const seats: Seat[] = [];
  const trials: TrialRecord[] = [];
  const warnings = new Set<string>();
  try {
    for (const name of scenario.targets) {
      const url = new URL(urls.get(name)!.url);
      const target: SessionTarget = { url, pool: createTargetPool(url, 64), requestTimeoutMs: REQUEST_TIMEOUT_MS };
      const seat: Seat = {
        name,
        target,
        pid: urls.get(name)!.pid,
        sessions: [],
        latency: [],
        service: [],
        rates: [],
        errors: {},
        errorSamples: [],
        cpu: { open: { us: 0, requests: 0 }, closed: { us: 0, requests: 0 } },
      };
      seats.push(seat);
      for (let i = 0; i < scenario.sessions; i++) seat.sessions.push(await McpHttpSession.open(target));
    }

    const openSources = new Map(seats.map((s) => [s, new CallSource(s.sessions, {})]));
    const closedSources = new Map(seats.map((s) => [s, new CallSource(s.sessions, { latencyMs: 0 })]));

    const open = (seat: Seat, durationMs: number): Promise<LoadOutcome> =>
      runOpenModel({
        rate: profile.rate,
        durationMs,
        maxInFlight: scenario.maxInFlight,
        source: openSources.get(seat)!,
        signal,
      });
    const closed = (seat: Seat, durationMs: number): Promise<LoadOutcome> =>
      runClosedModel({
        concurrency: scenario.throughputConcurrency,
        durationMs,
        source: closedSources.get(seat)!,
        signal,
      });

    const burstMs = Math.min(profile.warmupMs, BURST_WARMUP_MS);
    const phases = [
      {
        phase: 'latency' as const,
        warmups: [
          { drive: closed, ms: burstMs },
          { drive: open, ms: profile.warmupMs },
        ],
        trialMs: profile.latencyTrialMs,
        drive: open,
      },
      {
        phase: 'throughput' as const,
        warmups: [{ drive: closed, ms: burstMs }],
        trialMs: profile.throughputTrialMs,
        drive: closed,
      },
    ];
    for (const { phase, warmups, trialMs, drive } of phases) {
      for (const seat of seats) {
        for (const warmup of warmups) {
          if (signal.aborted) break;
          emit({
            type: 'trial-start',
            scenario: scenario.name,
            phase: 'warmup',
            trial: 0,
            trials: profile.trials,
            target: seat.name,
            elapsedMs: elapsed(),
          });
          const w = await warmup.drive(seat, warmup.ms);
          emit({
            type: 'trial-end',
            scenario: scenario.name,
            phase: 'warmup',
            trial: 0,
            trials: profile.trials,
            target: seat.name,
            elapsedMs: elapsed(),
            askedRate: w.asked.rate ?? null,
            achievedRate: w.achieved.rate,
            errors: w.achieved.completed - w.achieved.ok,
          });
        }
      }
      for (let trial = 1; trial <= profile.trials && !signal.aborted; trial++) {
        for (const seat of seats) {
          if (signal.aborted) break;
          emit({
            type: 'trial-start',
            scenario: scenario.name,
            phase,
            trial,
            trials: profile.trials,
            target: seat.name,
            elapsedMs: elapsed(),
          });
          // The whole tree: a bridge's stdio children do part of its work.
          const cpuBefore = processTreeCpuMicros(seat.pid);
          const outcome = await drive(seat, trialMs);
          if (signal.aborted) break; // a trial the abort cut short is not a trial
          const cpuAfter = processTreeCpuMicros(seat.pid);
          const targetCpuUs = cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : null;
          trials.push(record(phase, trial, seat, outcome, targetCpuUs, warnings));
          absorb(seat, phase, outcome, targetCpuUs);
          emit({
            type: 'trial-end',
            scenario: scenario.name,
            phase,
            trial,
            trials: profile.trials,
            target: seat.name,
            elapsedMs: elapsed(),
            askedRate: outcome.asked.rate ?? null,
            achievedRate: outcome.achieved.rate,
            errors: outcome.achieved.completed - outcome.achieved.ok,
          });
        }
        // A whole round (every seat has run this trial) is a result in itself, should the run be aborted now.
        if (!signal.aborted) run.checkpoint(assemble());
      }
    }
    return assemble();
  } finally {
    for (const seat of seats) {
      await Promise.all(seat.sessions.map((s) => s.close()));
      await seat.target.pool.destroy();
    }
  }

  /** The result from the trials so far; throughput figures only once a throughput trial has run. */
  function assemble(): KindResult {
    const targets: Record<string, TargetResult> = {};
    const latencies = new Map<string, LatencySummary>();
    for (const seat of seats) {
      const latency = mergeHistograms(seat.latency);
      const service = mergeHistograms(seat.service);
      latencies.set(seat.name, summarise(latency));
      const result: TargetResult = {
        url: seat.target.url.href,
        latency: latencyRecord('open', latency),
        serviceTime: latencyRecord('closed', service),
        throughputRps: roundTo(median(seat.rates), 1),
        errors: seat.errors,
        errorSamples: seat.errorSamples,
        cpuUsPerRequest: { open: perRequest(seat.cpu.open), closed: perRequest(seat.cpu.closed) },
      };
      targets[seat.name] = result;
    }
    let metrics = comparisonMetrics(seats, targets, latencies, trials);
    if (!trials.some((t) => t.phase === 'throughput')) {
      metrics = Object.fromEntries(Object.entries(metrics).filter(([k]) => !/throughput|cpu_us_per_req/.test(k)));
    }
    return {
      name: scenario.name,
      description: scenario.description,
      kind: scenario.kind,
      profile: run.profileName,
      settings: {
        ...profile,
        mock: scenario.mock,
        targets: scenario.targets,
        sessions: scenario.sessions,
        throughputConcurrency: scenario.throughputConcurrency,
        maxInFlight: scenario.maxInFlight,
      },
      thresholds: scenario.thresholds,
      goals: scenario.goals,
      state: 'completed',
      metrics,
      targets,
      trials: [...trials],
      warnings: [...warnings],
    };
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
  const reference = seats[0]!;
  const ref = targets[reference.name]!;
  const refLatency = latencies.get(reference.name)!;
  for (const seat of seats) {
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
    if (t.cpuUsPerRequest.closed !== null)
      m[`${seat.name}.cpu_us_per_req`] = { value: t.cpuUsPerRequest.closed, unit: 'us', better: 'lower' };
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
    value: roundTo(median(latencyTrials.map((t) => t.achieved.rate)), 1),
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

function perRequest(cpu: { us: number; requests: number }): number | null {
  return cpu.requests > 0 ? roundTo(cpu.us / cpu.requests, 2) : null;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const comparisonKind: ScenarioKind<ComparisonScenario> = {
  kind: 'comparison',
  estimateMs: (scenario, profile) => {
    const p = scenario.profiles[profile];
    // An open-model warm-up, and a closed-model burst before each phase.
    return (
      scenario.targets.length *
        (p.warmupMs + 2 * Math.min(p.warmupMs, BURST_WARMUP_MS) + p.trials * (p.latencyTrialMs + p.throughputTrialMs)) +
      3_000
    );
  },
  run: (ctx) => runComparison({ ...ctx, profile: ctx.scenario.profiles[ctx.profileName] }),
};
