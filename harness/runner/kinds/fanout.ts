/**
 * Runs a fan-out scenario: the mock sends sequenced notifications on every stream; N sessions each hold one GET
 * stream (or N clients of the stateless revision one `subscriptions/listen` stream each), first straight from the
 * mock, then through the proxy. After a warm-up, deliveries are counted for the profile's duration: delivery latency
 * (send time → receipt) in µs, events/s against what was sent, loss, duplicates, reordering, dropped streams; the
 * proxy's added delivery latency over the direct phase; CPU per event of each hop (mock, proxy, receiver), and the
 * proxy's RSS, from /proc.
 */
import { FANOUT_PATTERNS, type FanoutScenario, type NotifyPattern } from '../../../scenarios/define.js';
import { abortableSleep } from '../../../core/runtime/clock.js';
import { ownCpuMicros } from '../../load/outcome.js';
import { requireOpenFiles } from '../../measure/limits.js';
import { FanoutReceiver } from '../../load/sse-streams.js';
import { processCpuMicros, processRssBytes } from '../../measure/cpu.js';
import { summarise } from '../../../core/measure/histogram.js';
import type { Metric, TargetResult, TrialRecord } from '../../results/schema.js';
import { McpHttpSession } from '../../load/mcp-session.js';
import { latencyRecord } from '../result.js';
import type { KindResult, RunContext, ScenarioKind } from '../kind.js';
import type { Child } from '../children.js';

const OPEN_BATCH = 50;

/** What one phase measured: the receiver's tally and the CPU each process spent. */
interface Phase {
  readonly tally: FanoutReceiver['tally'];
  readonly durationMs: number;
  readonly rate: number;
  /** CPU µs over the counted window: the mock, the proxy (undefined in the direct phase), the receiver. */
  readonly cpu: { readonly mock: number | null; readonly proxy: number | null; readonly receiver: number };
}

export async function runFanout(ctx: RunContext<FanoutScenario>): Promise<KindResult> {
  const { signal, profile: p } = ctx;
  const patterns = ctx.scenario.patterns ?? FANOUT_PATTERNS;
  requireOpenFiles(
    ctx.scenario.name,
    2 * p.streams + 256,
    `a client and an upstream socket per stream, ${p.streams} streams`,
  );
  // A mock and a proxy per pattern (the pattern is the mock's: --notify-pattern); each pair idles while another runs.
  const pairs: Array<{ pattern: NotifyPattern; mock: Child; proxy: Child }> = [];
  for (const [i, pattern] of patterns.entries()) {
    const suffix = i === 0 ? '' : `-${pattern}`;
    const mock = await ctx.startMock(`mock${suffix}`, { notifyRate: p.notifyRate, notifyPattern: pattern });
    const proxy = await ctx.start(`proxy${suffix}`, [
      'proxy',
      '--upstream',
      mock.url,
      '--max-sessions',
      String(p.streams * 2),
    ]);
    pairs.push({ pattern, mock, proxy });
  }
  ctx.ready();
  const asked = p.streams * p.notifyRate;
  const listen = ctx.scenario.streamsVia === 'listen';
  const trials = 2 * pairs.length;

  /**
   * Opens the streams through `url`, warms up, counts deliveries for the profile's duration, and closes them all
   * (the mock notifies every open stream: one phase's streams must be gone before the next).
   */
  const phase = async (name: string, url: string, trial: number, mock: Child, proxy?: Child): Promise<Phase> => {
    const target = ctx.connect(new URL(url), { connections: p.streams + 32 });
    const receiver = new FanoutReceiver();
    const sessions: McpHttpSession[] = [];
    try {
      const warmedUp = ctx.trialStarted({ phase: 'warmup', trial, trials, target: name });
      for (let i = 0; i < p.streams && !signal.aborted; i += OPEN_BATCH) {
        const n = Math.min(OPEN_BATCH, p.streams - i);
        if (listen) await Promise.all(Array.from({ length: n }, () => receiver.listen(target)));
        else {
          const batch = await Promise.all(Array.from({ length: n }, () => McpHttpSession.open(target)));
          sessions.push(...batch);
          await Promise.all(batch.map((s) => receiver.open(target, s)));
        }
      }
      await abortableSleep(p.warmupMs, signal);
      warmedUp({ askedRate: asked, achievedRate: 0, errors: 0 });
      const measured = ctx.trialStarted({ phase: 'latency', trial, trials, target: name });
      const mock0 = processCpuMicros(mock.pid);
      const proxy0 = proxy === undefined ? undefined : processCpuMicros(proxy.pid);
      const own0 = ownCpuMicros();
      const t0 = performance.now();
      receiver.startCounting();
      await abortableSleep(p.durationMs, signal);
      receiver.stopCounting();
      const durationMs = performance.now() - t0;
      const cpu = {
        mock: delta(mock0, processCpuMicros(mock.pid)),
        proxy: proxy === undefined ? null : delta(proxy0, processCpuMicros(proxy.pid)),
        receiver: ownCpuMicros() - own0,
      };
      const t = receiver.tally;
      const rate = (t.received * 1000) / durationMs;
      measured({ askedRate: asked, achievedRate: rate, errors: t.lost() + t.duplicated + t.reordered + t.dropped });
      return { tally: t, durationMs, rate, cpu };
    } finally {
      receiver.close();
      await Promise.all(sessions.map((s) => s.close().catch(() => {})));
    }
  };

  const m: Record<string, Metric> = {};
  const targets: Record<string, TargetResult> = {};
  const trialRecords: TrialRecord[] = [];
  const warnings: string[] = [];
  for (const [i, { pattern, mock, proxy }] of pairs.entries()) {
    if (signal.aborted) break;
    // The first pattern's figures are fanout.*; each other one's fanout.<pattern>.*, its seats <seat>-<pattern>.
    const prefix = i === 0 ? 'fanout.' : `fanout.${pattern}.`;
    const seat = (name: string): string => (i === 0 ? name : `${name}-${pattern}`);
    // The mock alone first: the delivery latency a receiver sees with nothing between, and what the proxy adds to it.
    const direct = await phase(seat('direct'), mock.url, 2 * i + 1, mock);
    const rssIdle = processRssBytes(proxy.pid) ?? 0;
    const proxied = await phase(seat('proxied'), proxy.url, 2 * i + 2, mock, proxy);
    const rss = processRssBytes(proxy.pid) ?? 0;
    Object.assign(m, patternMetrics(prefix, direct, proxied, asked));
    m[`${prefix}proxy_rss_bytes`] = { value: rss, unit: 'bytes', better: 'lower' };
    m[`${prefix}proxy_rss_per_stream_bytes`] = {
      value: Math.round(Math.max(0, rss - rssIdle) / p.streams),
      unit: 'bytes',
      better: 'lower',
    };
    const generatorCpuPct = (proxied.cpu.receiver / (proxied.durationMs * 1000)) * 100;
    if (proxied.rate < asked * 0.95)
      warnings.push(
        `${pattern}: delivered ${Math.round(proxied.rate)} events/s of the ${asked} sent: the proxy or the receiver fell behind`,
      );
    if (generatorCpuPct > 90)
      warnings.push(
        `${pattern}: the receiver used ${Math.round(generatorCpuPct)}% CPU: delivery latency includes its own queueing`,
      );
    targets[seat('direct')] = targetResult(direct, mock.url);
    targets[seat('proxied')] = targetResult(proxied, proxy.url);
    trialRecords.push(
      trialRecord(seat('direct'), 2 * i + 1, direct, asked, p.durationMs),
      trialRecord(seat('proxied'), 2 * i + 2, proxied, asked, p.durationMs),
    );
  }
  return ctx.result({ ...p, patterns }, { metrics: m, targets, trials: trialRecords, warnings });
}

/** One pattern's figures: delivery through the proxy, straight from the mock, what the proxy adds, loss, CPU by hop. */
function patternMetrics(prefix: string, direct: Phase, proxied: Phase, asked: number): Record<string, Metric> {
  const m: Record<string, Metric> = {};
  const t = proxied.tally;
  const summary = summarise(t.histogram);
  const directSummary = summarise(direct.tally.histogram);
  for (const key of ['p50', 'p90', 'p95', 'p99', 'p99.9', 'max'] as const)
    m[`${prefix}delivery.${key}_us`] = { value: summary[`${key}_us`], unit: 'us', better: 'lower' };
  for (const key of ['p50', 'p90', 'p99'] as const) {
    m[`${prefix}direct.delivery.${key}_us`] = { value: directSummary[`${key}_us`], unit: 'us', better: 'lower' };
    m[`${prefix}added.${key}_us`] = {
      value: summary[`${key}_us`] - directSummary[`${key}_us`],
      unit: 'us',
      better: 'lower',
    };
  }
  m[`${prefix}delivery_p50_ratio`] = {
    value: Math.round((summary.p50_us / Math.max(1, directSummary.p50_us)) * 1000) / 1000,
    unit: 'ratio',
    better: 'lower',
  };
  m[`${prefix}events_per_sec`] = { value: round(proxied.rate), unit: 'rps', better: 'higher' };
  m[`${prefix}delivered_ratio`] = {
    value: Math.round((proxied.rate / asked) * 1000) / 1000,
    unit: 'ratio',
    better: 'higher',
  };
  m[`${prefix}lost`] = { value: t.lost(), unit: 'count', better: 'lower' };
  m[`${prefix}duplicated`] = { value: t.duplicated, unit: 'count', better: 'lower' };
  m[`${prefix}reordered`] = { value: t.reordered, unit: 'count', better: 'lower' };
  m[`${prefix}streams_dropped`] = { value: t.dropped, unit: 'count', better: 'lower' };
  m[`${prefix}direct.lost`] = {
    value: direct.tally.lost() + direct.tally.duplicated + direct.tally.reordered + direct.tally.dropped,
    unit: 'count',
    better: 'lower',
  };
  // CPU per event delivered, hop by hop: where the time goes (in a broadcast each hop handles every event of a burst
  // in turn).
  const hops: Array<[string, number | null]> = [
    ['mock', perEvent(proxied.cpu.mock, proxied)],
    ['proxy', perEvent(proxied.cpu.proxy, proxied)],
    ['receiver', perEvent(proxied.cpu.receiver, proxied)],
  ];
  for (const [hop, value] of hops)
    if (value !== null) m[`${prefix}cpu_us_per_event.${hop}`] = { value, unit: 'us', better: 'lower' };
  if (proxied.cpu.proxy !== null)
    m[`${prefix}proxy_cpu_pct`] = {
      value: Math.round((proxied.cpu.proxy / (proxied.durationMs * 1000)) * 1000) / 10,
      unit: 'pct',
      better: 'lower',
    };
  return m;
}

function perEvent(us: number | null, ph: Phase): number | null {
  return us === null || ph.tally.received === 0 ? null : Math.round((us / ph.tally.received) * 10) / 10;
}

function targetResult(ph: Phase, url: string): TargetResult {
  return {
    url,
    // Each event's time from the mock's send (in the event) to its arrival here.
    latency: latencyRecord('delivery', ph.tally.histogram),
    throughputRps: round(ph.rate),
    errors: {
      lost: ph.tally.lost(),
      duplicated: ph.tally.duplicated,
      reordered: ph.tally.reordered,
      streams_dropped: ph.tally.dropped,
    },
    errorSamples: [],
    cpuUsPerRequest: { open: perEvent(ph.cpu.proxy, ph), closed: null },
  };
}

function trialRecord(target: string, trial: number, ph: Phase, asked: number, durationMs: number): TrialRecord {
  const s = summarise(ph.tally.histogram);
  return {
    phase: 'latency',
    trial,
    target,
    asked: { rate: asked, durationMs },
    achieved: {
      rate: round(ph.rate),
      sent: 0,
      completed: ph.tally.received,
      ok: ph.tally.received,
      lateSends: 0,
      dropped: 0,
      maxSendLagUs: 0,
      durationMs: round(ph.durationMs),
    },
    p50_us: s.p50_us,
    p99_us: s.p99_us,
    errors: ph.tally.lost() + ph.tally.duplicated + ph.tally.reordered + ph.tally.dropped,
    generatorCpuPct: Math.round((ph.cpu.receiver / (ph.durationMs * 10)) * 10) / 10,
    targetCpuUs: ph.cpu.proxy === null ? null : Math.round(ph.cpu.proxy),
  };
}

function delta(before: number | undefined, after: number | undefined): number | null {
  return before === undefined || after === undefined ? null : after - before;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

const fanoutKind: ScenarioKind<FanoutScenario> = {
  kind: 'fanout',
  estimateMs: (scenario, profile) => {
    const f = scenario.profiles[profile];
    const patterns = (scenario.patterns ?? FANOUT_PATTERNS).length;
    return patterns * (2 * (f.warmupMs + f.durationMs + Math.ceil(f.streams / 50) * 150) + 1_500) + 1_500;
  },
  run: runFanout,
};

export default fanoutKind;
