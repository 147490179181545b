/**
 * Runs the stdio-hammer scenario. Forward proxy: `mcp-perf proxy --stdio -- mcp-perf mock stdio` driven by pipelined
 * tools/call at rising windows (outstanding requests); each window is one step, with its throughput and latency
 * (from each request's send). The highest sustainable step is the last before p99 passes the knee factor times the
 * first step's, or errors start. Bridge: `mcp-perf proxy --upstream-cmd "mcp-perf mock stdio"` under rising
 * closed-model concurrency across its sessions; its /metrics must show one child spawned per session, never one per
 * request. One more step pipes the largest window straight into the mock: the forward proxy's rate over that is a
 * same-run ratio, a gate that holds on any machine (the absolute rate only means something against this machine's
 * baseline).
 */
import type { StdioHammerScenario } from '../../../scenarios/define.js';
import { drive } from '../../load/executors.js';
import { CallSource, type LoadOutcome } from '../../load/outcome.js';
import { runStdioPipelined } from '../../load/stdio-pipelined.js';
import { summarise } from '../../../core/measure/histogram.js';
import type { Metric, TargetResult, TrialRecord } from '../../results/schema.js';
import { CLI_BIN } from '../children.js';
import { scrapeGauge } from '../../measure/scrape.js';
import { quoteCommand } from '../../../core/runtime/argv.js';
import { latencyRecord } from '../result.js';
import type { KindResult, RunContext, ScenarioKind } from '../kind.js';

/** p99 this many times the first step's marks the knee. */
const KNEE_FACTOR = 4;

interface Step {
  readonly rate: number;
  readonly p99: number;
  readonly errors: number;
}

export async function runStdioHammer(ctx: RunContext<StdioHammerScenario>): Promise<KindResult> {
  const { signal, profile: p } = ctx;
  const node = process.execPath;
  const targets: Record<string, TargetResult> = {};
  const metrics: Record<string, Metric> = {};
  const trials: TrialRecord[] = [];
  const stepCount = p.windows.length + 1 + p.concurrency.length;
  const forward: Array<Step & { window: number }> = [];
  const directSteps: Array<Step & { window: number }> = [];
  const bridgeSteps: Array<Step & { concurrency: number }> = [];
  let step = 0;

  const record = (name: string, o: LoadOutcome, label: string): void => {
    const summary = summarise(o.histogram);
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
      errors: o.achieved.completed - o.achieved.ok,
      generatorCpuPct: Math.round((o.generatorCpuUs / (o.achieved.durationMs * 1000)) * 1000) / 10,
      targetCpuUs: null,
    });
  };
  const stepOf = (o: LoadOutcome): Step => ({
    rate: o.achieved.rate,
    p99: summarise(o.histogram).p99_us,
    errors: o.achieved.completed - o.achieved.ok,
  });

  // Forward proxy, one fresh proxy + mock pair per step (the driver owns and ends them).
  for (const window of p.windows) {
    const name = `forward-w${window}`;
    const o = await ctx.trial({ phase: 'throughput', trial: ++step, trials: stepCount, target: name }, () =>
      runStdioPipelined({
        command: [node, CLI_BIN, 'proxy', '--stdio', '--', node, CLI_BIN, 'mock', 'stdio'],
        window,
        durationMs: p.stepMs,
        warmupMs: p.warmupMs,
        toolArguments: {},
        signal,
      }),
    );
    if (o === undefined) return result();
    record(name, o, `mcp-perf proxy --stdio (window ${window})`);
    forward.push({ window, ...stepOf(o) });
    ctx.checkpoint(result);
  }

  // The reference: the same pipelining, the largest window, no proxy between the driver and the mock.
  const top = Math.max(...p.windows);
  const d = await ctx.trial({ phase: 'throughput', trial: ++step, trials: stepCount, target: `direct-w${top}` }, () =>
    runStdioPipelined({
      command: [node, CLI_BIN, 'mock', 'stdio'],
      window: top,
      durationMs: p.stepMs,
      warmupMs: p.warmupMs,
      toolArguments: {},
      signal,
    }),
  );
  if (d === undefined) return result();
  record(`direct-w${top}`, d, `mcp-perf mock stdio, no proxy (window ${top})`);
  directSteps.push({ window: top, ...stepOf(d) });
  ctx.checkpoint(result);

  // HTTP → stdio bridge: sessions first, then rising concurrency across them.
  const bridge = await ctx.start('bridge', [
    'proxy',
    '--upstream-cmd',
    quoteCommand(ctx.stdioMockArgv()),
    '--max-sessions',
    String(p.sessions * 2),
  ]);
  ctx.ready();
  const target = ctx.connect(new URL(bridge.url), { connections: Math.max(...p.concurrency) + 8 });
  const sessions = await ctx.openSessions(target, p.sessions);
  if (signal.aborted) return result();
  const source = new CallSource(sessions, {});
  await drive('constant-vus', { vus: p.concurrency[0]!, durationMs: p.warmupMs, source, signal });
  for (const concurrency of p.concurrency) {
    const name = `bridge-c${concurrency}`;
    const o = await ctx.trial({ phase: 'throughput', trial: ++step, trials: stepCount, target: name }, () =>
      drive('constant-vus', { vus: concurrency, durationMs: p.stepMs, source, signal }),
    );
    if (o === undefined) return result();
    record(name, o, `mcp-perf proxy --upstream-cmd (concurrency ${concurrency})`);
    bridgeSteps.push({ concurrency, ...stepOf(o) });
    ctx.checkpoint(result);
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
  return result();

  /** The result from the steps so far. */
  function result(): KindResult {
    const m: Record<string, Metric> = {};
    for (const f of forward) {
      m[`forward.w${f.window}.rate`] = { value: Math.round(f.rate), unit: 'rps', better: 'higher' };
      m[`forward.w${f.window}.p99_us`] = { value: f.p99, unit: 'us', better: 'lower' };
    }
    if (forward.length > 0) {
      const base = forward[0]!;
      let sustainable = base;
      for (const f of forward) {
        if (f.errors > 0 || f.p99 > base.p99 * KNEE_FACTOR) break;
        if (f.rate > sustainable.rate) sustainable = f;
      }
      m['forward.max_sustainable_rate'] = { value: Math.round(sustainable.rate), unit: 'rps', better: 'higher' };
      m['forward.errors'] = { value: forward.reduce((n, f) => n + f.errors, 0), unit: 'count', better: 'lower' };
    }
    const direct = directSteps[0];
    const sameWindow = direct === undefined ? undefined : forward.find((f) => f.window === direct.window);
    if (direct !== undefined && sameWindow !== undefined) {
      m[`direct.w${direct.window}.rate`] = { value: Math.round(direct.rate), unit: 'rps', better: 'higher' };
      m['direct.errors'] = { value: direct.errors, unit: 'count', better: 'lower' };
      m['forward.throughput_vs_direct'] = {
        value: Math.round((sameWindow.rate / Math.max(1e-9, direct.rate)) * 1000) / 1000,
        unit: 'ratio',
        better: 'higher',
      };
    }
    for (const b of bridgeSteps) {
      m[`bridge.c${b.concurrency}.rate`] = { value: Math.round(b.rate), unit: 'rps', better: 'higher' };
      m[`bridge.c${b.concurrency}.p99_us`] = { value: b.p99, unit: 'us', better: 'lower' };
    }
    if (bridgeSteps.length > 0)
      m['bridge.errors'] = { value: bridgeSteps.reduce((n, b) => n + b.errors, 0), unit: 'count', better: 'lower' };
    return ctx.result(
      { ...p },
      {
        metrics: { ...m, ...metrics },
        targets: { ...targets },
        trials: [...trials],
        warnings: [],
        series: {
          p99_by_step: {
            title:
              'p99 against the rate each step achieved (the knee is where the forward proxy stops being sustainable)',
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
      },
    );
  }
}

const stdioHammerKind: ScenarioKind<StdioHammerScenario> = {
  kind: 'stdio-hammer',
  estimateMs: (scenario, profile) => {
    const h = scenario.profiles[profile];
    return (
      (h.windows.length + 1) * (h.warmupMs + h.stepMs + 600) +
      h.warmupMs +
      h.concurrency.length * h.stepMs +
      h.sessions * 60 +
      2_000
    );
  },
  run: runStdioHammer,
};

export default stdioHammerKind;
