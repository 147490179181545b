/**
 * Runs a fan-out scenario: the mock sends sequenced notifications on every stream; N sessions each hold one GET
 * stream (or N clients of the stateless revision one `subscriptions/listen` stream each), first straight from the
 * mock, then through the proxy. After a warm-up, deliveries are counted for the profile's duration: delivery latency
 * (send time → receipt) in µs, events/s against what was sent, loss, duplicates, reordering, dropped streams; the
 * proxy's added delivery latency over the direct phase; CPU per event of each hop (mock, proxy, receiver), and the
 * proxy's RSS, from /proc.
 */
import type { FanoutScenario } from '../../../scenarios/define.js';
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
  requireOpenFiles(
    ctx.scenario.name,
    2 * p.streams + 256,
    `a client and an upstream socket per stream, ${p.streams} streams`,
  );
  const mock = await ctx.startMock('mock', { notifyRate: p.notifyRate });
  const proxy = await ctx.start('proxy', ['proxy', '--upstream', mock.url, '--max-sessions', String(p.streams * 2)]);
  ctx.ready();
  const asked = p.streams * p.notifyRate;
  const listen = ctx.scenario.streamsVia === 'listen';

  /**
   * Opens the streams through `url`, warms up, counts deliveries for the profile's duration, and closes them all
   * (the mock broadcasts to every open stream: one phase's streams must be gone before the next).
   */
  const phase = async (name: 'direct' | 'proxied', url: string, trial: number): Promise<Phase> => {
    const target = ctx.connect(new URL(url), { connections: p.streams + 32 });
    const receiver = new FanoutReceiver();
    const sessions: McpHttpSession[] = [];
    try {
      const warmedUp = ctx.trialStarted({ phase: 'warmup', trial, trials: 2, target: name });
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
      const measured = ctx.trialStarted({ phase: 'latency', trial, trials: 2, target: name });
      const mock0 = processCpuMicros(mock.pid);
      const proxy0 = name === 'proxied' ? processCpuMicros(proxy.pid) : undefined;
      const own0 = ownCpuMicros();
      const t0 = performance.now();
      receiver.startCounting();
      await abortableSleep(p.durationMs, signal);
      receiver.stopCounting();
      const durationMs = performance.now() - t0;
      const cpu = {
        mock: delta(mock0, processCpuMicros(mock.pid)),
        proxy: name === 'proxied' ? delta(proxy0, processCpuMicros(proxy.pid)) : null,
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

  // The mock alone first: the delivery latency a receiver sees with nothing between, and what the proxy adds to it.
  const direct = await phase('direct', mock.url, 1);
  const rssIdle = processRssBytes(proxy.pid) ?? 0;
  const proxied = await phase('proxied', proxy.url, 2);
  const rss = processRssBytes(proxy.pid) ?? 0;
  const t = proxied.tally;
  const lost = t.lost();
  const summary = summarise(t.histogram);
  const directSummary = summarise(direct.tally.histogram);
  const m: Record<string, Metric> = {};
  for (const key of ['p50', 'p90', 'p95', 'p99', 'p99.9', 'max'] as const)
    m[`fanout.delivery.${key}_us`] = { value: summary[`${key}_us`], unit: 'us', better: 'lower' };
  for (const key of ['p50', 'p90', 'p99'] as const) {
    m[`fanout.direct.delivery.${key}_us`] = { value: directSummary[`${key}_us`], unit: 'us', better: 'lower' };
    m[`fanout.added.${key}_us`] = {
      value: summary[`${key}_us`] - directSummary[`${key}_us`],
      unit: 'us',
      better: 'lower',
    };
  }
  m['fanout.delivery_p50_ratio'] = {
    value: Math.round((summary.p50_us / Math.max(1, directSummary.p50_us)) * 1000) / 1000,
    unit: 'ratio',
    better: 'lower',
  };
  m['fanout.events_per_sec'] = { value: round(proxied.rate), unit: 'rps', better: 'higher' };
  m['fanout.delivered_ratio'] = {
    value: Math.round((proxied.rate / asked) * 1000) / 1000,
    unit: 'ratio',
    better: 'higher',
  };
  m['fanout.lost'] = { value: lost, unit: 'count', better: 'lower' };
  m['fanout.duplicated'] = { value: t.duplicated, unit: 'count', better: 'lower' };
  m['fanout.reordered'] = { value: t.reordered, unit: 'count', better: 'lower' };
  m['fanout.streams_dropped'] = { value: t.dropped, unit: 'count', better: 'lower' };
  m['fanout.direct.lost'] = {
    value: direct.tally.lost() + direct.tally.duplicated + direct.tally.reordered + direct.tally.dropped,
    unit: 'count',
    better: 'lower',
  };
  m['fanout.proxy_rss_bytes'] = { value: rss, unit: 'bytes', better: 'lower' };
  m['fanout.proxy_rss_per_stream_bytes'] = {
    value: Math.round(Math.max(0, rss - rssIdle) / p.streams),
    unit: 'bytes',
    better: 'lower',
  };
  // CPU per event delivered, hop by hop: where a burst's time goes (each hop handles every event of a burst in turn).
  const perEvent = (us: number | null, ph: Phase): number | null =>
    us === null || ph.tally.received === 0 ? null : Math.round((us / ph.tally.received) * 10) / 10;
  const hops: Array<[string, number | null]> = [
    ['fanout.cpu_us_per_event.mock', perEvent(proxied.cpu.mock, proxied)],
    ['fanout.cpu_us_per_event.proxy', perEvent(proxied.cpu.proxy, proxied)],
    ['fanout.cpu_us_per_event.receiver', perEvent(proxied.cpu.receiver, proxied)],
  ];
  for (const [name, value] of hops) if (value !== null) m[name] = { value, unit: 'us', better: 'lower' };
  if (proxied.cpu.proxy !== null)
    m['fanout.proxy_cpu_pct'] = {
      value: Math.round((proxied.cpu.proxy / (proxied.durationMs * 1000)) * 1000) / 10,
      unit: 'pct',
      better: 'lower',
    };
  const generatorCpuPct = (proxied.cpu.receiver / (proxied.durationMs * 1000)) * 100;

  const warnings: string[] = [];
  if (proxied.rate < asked * 0.95)
    warnings.push(
      `delivered ${Math.round(proxied.rate)} events/s of the ${asked} sent: the proxy or the receiver fell behind`,
    );
  if (generatorCpuPct > 90)
    warnings.push(`the receiver used ${Math.round(generatorCpuPct)}% CPU: delivery latency includes its own queueing`);
  const target = (ph: Phase, url: string): TargetResult => ({
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
  });
  const trial = (name: string, ph: Phase): TrialRecord => {
    const s = summarise(ph.tally.histogram);
    return {
      phase: 'latency',
      trial: name === 'direct' ? 1 : 2,
      target: name,
      asked: { rate: asked, durationMs: p.durationMs },
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
  };
  return ctx.result(
    { ...p },
    {
      metrics: m,
      targets: { direct: target(direct, mock.url), proxied: target(proxied, proxy.url) },
      trials: [trial('direct', direct), trial('proxied', proxied)],
      warnings,
    },
  );
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
    return 2 * (f.warmupMs + f.durationMs + Math.ceil(f.streams / 50) * 150) + 3_000;
  },
  run: runFanout,
};

export default fanoutKind;
