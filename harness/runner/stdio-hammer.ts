/**
 * Runs the stdio-hammer scenario. Forward proxy: `mcp-perf proxy --stdio -- mcp-perf mock stdio` driven by pipelined
 * tools/call at rising windows (outstanding requests); each window is one step, with its throughput and latency
 * (from each request's send). The highest sustainable step is the last before p99 passes the knee factor times the
 * first step's, or errors start. Bridge: `mcp-perf proxy --upstream-cmd "mcp-perf mock stdio"` under rising
 * closed-model concurrency across its sessions; its /metrics must show one child spawned per session, never one per
 * request.
 */
import type { StdioHammerScenario } from '../../scenarios/define.js';
import { runClosedModel } from '../load/closed-model.js';
import { McpHttpSession, createTargetPool, type SessionTarget } from '../load/mcp-session.js';
import { CallSource, type LoadOutcome } from '../load/outcome.js';
import { runStdioPipelined } from '../load/stdio-pipelined.js';
import { summarise } from '../../core/measure/histogram.js';
import type { CompletedScenario, Metric, TargetResult, TrialRecord } from '../results/schema.js';
import { CLI_BIN } from './children.js';
import { scrapeGauge } from '../measure/scrape.js';
import type { ScenarioRun } from './events.js';
import { quoteCommand } from '../../core/runtime/argv.js';
import { latencyRecord } from './result.js';
import type { ScenarioKind } from './kind.js';

export type StdioHammerRun = ScenarioRun<StdioHammerScenario>;

/** p99 this many times the first step's marks the knee. */
const KNEE_FACTOR = 4;

export async function runStdioHammer(
  run: StdioHammerRun,
): Promise<Omit<CompletedScenario, 'startedAt' | 'durationMs'>> {
  const { scenario, group, signal, emit } = run;
  const p = scenario.profiles[run.profileName];
  const started = performance.now();
  const elapsed = (): number => performance.now() - started;
  const node = process.execPath;
  const targets: Record<string, TargetResult> = {};
  const metrics: Record<string, Metric> = {};
  const trials: TrialRecord[] = [];
  const stepCount = p.windows.length + p.concurrency.length;
  let step = 0;

  const record = (name: string, o: LoadOutcome, label: string): void => {
    const summary = summarise(o.histogram);
    const errors = o.achieved.completed - o.achieved.ok;
    targets[name] = {
      url: label,
      // A fixed window of requests in flight: service times (closed model).
      latency: latencyRecord('closed', o.histogram),
      throughputRps: Math.round(o.achieved.rate),
      errors: { ...o.errors } as Record<string, number>,
      errorSamples: o.errorSamples,
      cpuUsPerRequest: { open: null, closed: null },
    };
    trials.push({
      phase: 'throughput',
      trial: 1,
      target: name,
      asked: o.asked,
      achieved: { ...o.achieved, rate: Math.round(o.achieved.rate), durationMs: Math.round(o.achieved.durationMs) },
      p50_us: summary.p50_us,
      p99_us: summary.p99_us,
      errors,
      generatorCpuPct: Math.round((o.generatorCpuUs / (o.achieved.durationMs * 1000)) * 1000) / 10,
      targetCpuUs: null,
    });
  };

  // Forward proxy, one fresh proxy + mock pair per step (the driver owns and ends them).
  const forward: Array<{ window: number; rate: number; p99: number; errors: number }> = [];
  for (const window of p.windows) {
    if (signal.aborted) break;
    const name = `forward-w${window}`;
    emit({
      type: 'trial-start',
      scenario: scenario.name,
      phase: 'throughput',
      trial: ++step,
      trials: stepCount,
      target: name,
      elapsedMs: elapsed(),
    });
    const o = await runStdioPipelined({
      command: [node, CLI_BIN, 'proxy', '--stdio', '--', node, CLI_BIN, 'mock', 'stdio'],
      window,
      durationMs: p.stepMs,
      warmupMs: p.warmupMs,
      toolArguments: {},
      signal,
    });
    record(name, o, `mcp-perf proxy --stdio (window ${window})`);
    const summary = summarise(o.histogram);
    forward.push({ window, rate: o.achieved.rate, p99: summary.p99_us, errors: o.achieved.completed - o.achieved.ok });
    metrics[`forward.w${window}.rate`] = { value: Math.round(o.achieved.rate), unit: 'rps', better: 'higher' };
    metrics[`forward.w${window}.p99_us`] = { value: summary.p99_us, unit: 'us', better: 'lower' };
    emit({
      type: 'trial-end',
      scenario: scenario.name,
      phase: 'throughput',
      trial: step,
      trials: stepCount,
      target: name,
      elapsedMs: elapsed(),
      askedRate: null,
      achievedRate: o.achieved.rate,
      errors: o.achieved.completed - o.achieved.ok,
    });
  }
  const base = forward[0];
  let sustainable = base;
  for (const s of forward) {
    if (base === undefined || s.errors > 0 || s.p99 > base.p99 * KNEE_FACTOR) break;
    if (s.rate > (sustainable?.rate ?? 0)) sustainable = s;
  }
  metrics['forward.max_sustainable_rate'] = {
    value: Math.round(sustainable?.rate ?? 0),
    unit: 'rps',
    better: 'higher',
  };
  metrics['forward.errors'] = { value: forward.reduce((n, s) => n + s.errors, 0), unit: 'count', better: 'lower' };

  // HTTP → stdio bridge: sessions first, then rising concurrency across them.
  const stdioMock = quoteCommand([node, CLI_BIN, 'mock', 'stdio']);
  const bridge = await group.start('bridge', [
    'proxy',
    '--upstream-cmd',
    stdioMock,
    '--max-sessions',
    String(p.sessions * 2),
  ]);
  emit({
    type: 'processes-ready',
    scenario: scenario.name,
    processes: [{ name: bridge.name, pid: bridge.pid, url: bridge.url }],
  });
  const url = new URL(bridge.url);
  const target: SessionTarget = {
    url,
    pool: createTargetPool(url, Math.max(...p.concurrency) + 8),
    requestTimeoutMs: 10_000,
  };
  const sessions: McpHttpSession[] = [];
  let bridgeErrors = 0;
  const bridgeSteps: Array<{ rate: number; p99: number }> = [];
  try {
    for (let i = 0; i < p.sessions; i++) sessions.push(await McpHttpSession.open(target));
    const source = new CallSource(sessions, {});
    await runClosedModel({ concurrency: p.concurrency[0]!, durationMs: p.warmupMs, source, signal });
    for (const concurrency of p.concurrency) {
      if (signal.aborted) break;
      const name = `bridge-c${concurrency}`;
      emit({
        type: 'trial-start',
        scenario: scenario.name,
        phase: 'throughput',
        trial: ++step,
        trials: stepCount,
        target: name,
        elapsedMs: elapsed(),
      });
      const o = await runClosedModel({ concurrency, durationMs: p.stepMs, source, signal });
      record(name, o, `mcp-perf proxy --upstream-cmd (concurrency ${concurrency})`);
      bridgeErrors += o.achieved.completed - o.achieved.ok;
      metrics[`bridge.c${concurrency}.rate`] = { value: Math.round(o.achieved.rate), unit: 'rps', better: 'higher' };
      metrics[`bridge.c${concurrency}.p99_us`] = { value: summarise(o.histogram).p99_us, unit: 'us', better: 'lower' };
      bridgeSteps.push({ rate: o.achieved.rate, p99: summarise(o.histogram).p99_us });
      emit({
        type: 'trial-end',
        scenario: scenario.name,
        phase: 'throughput',
        trial: step,
        trials: stepCount,
        target: name,
        elapsedMs: elapsed(),
        askedRate: null,
        achievedRate: o.achieved.rate,
        errors: o.achieved.completed - o.achieved.ok,
      });
    }
    // The proof: the bridge's own counters.
    const spawned = (await scrapeGauge(bridge.url, 'mcp_proxy_children_spawned_total')) ?? NaN;
    const open = (await scrapeGauge(bridge.url, 'mcp_proxy_active_sessions')) ?? NaN;
    metrics['bridge.sessions'] = { value: open, unit: 'count', better: 'none' };
    metrics['bridge.children_spawned'] = { value: spawned, unit: 'count', better: 'none' };
    metrics['bridge.children_per_session'] = {
      value: open > 0 ? Math.round((spawned / open) * 1000) / 1000 : 0,
      unit: 'ratio',
      better: 'lower',
    };
    metrics['bridge.errors'] = { value: bridgeErrors, unit: 'count', better: 'lower' };
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
    await target.pool.destroy();
  }

  return {
    name: scenario.name,
    description: scenario.description,
    kind: scenario.kind,
    profile: run.profileName,
    settings: { ...p },
    thresholds: scenario.thresholds,
    goals: scenario.goals,
    state: 'completed',
    metrics,
    targets,
    trials,
    warnings: [],
    series: {
      p99_by_step: {
        title: 'p99 against the rate each step achieved (the knee is where the forward proxy stops being sustainable)',
        x: { label: 'messages or calls / s', unit: 'rps' },
        y: { label: 'p99 (µs)', unit: 'us' },
        lines: [
          {
            label: 'stdio forward (windows ' + p.windows.join(', ') + ')',
            points: forward.map((f) => [Math.round(f.rate), f.p99]),
          },
          {
            label: 'HTTP → stdio bridge (concurrency ' + p.concurrency.join(', ') + ')',
            points: bridgeSteps.map((b) => [Math.round(b.rate), b.p99]),
          },
        ],
      },
    },
  };
}

export const stdioHammerKind: ScenarioKind<StdioHammerScenario> = {
  kind: 'stdio-hammer',
  estimateMs: (scenario, profile) => {
    const h = scenario.profiles[profile];
    return (
      h.windows.length * (h.warmupMs + h.stepMs + 600) +
      h.warmupMs +
      h.concurrency.length * h.stepMs +
      h.sessions * 60 +
      2_000
    );
  },
  run: (ctx) => runStdioHammer(ctx),
};
