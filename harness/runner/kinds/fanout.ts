/**
 * Runs a fan-out scenario: the mock sends sequenced notifications on every stream; N sessions each hold one GET
 * stream through the proxy, or N clients of the stateless revision one `subscriptions/listen` stream each. After a warm-up, deliveries are counted for the profile's duration: delivery latency
 * (send time → receipt) in µs, events/s against what was sent, loss, duplicates, reordering, dropped streams, and
 * the proxy's RSS and CPU from /proc.
 */
import type { FanoutScenario } from '../../../scenarios/define.js';
import { abortableSleep } from '../../../core/runtime/clock.js';
import { ownCpuMicros } from '../../load/outcome.js';
import { requireOpenFiles } from '../../measure/limits.js';
import { FanoutReceiver } from '../../load/sse-streams.js';
import { processCpuMicros, processRssBytes } from '../../measure/cpu.js';
import { summarise } from '../../../core/measure/histogram.js';
import type { Metric } from '../../results/schema.js';
import { latencyRecord } from '../result.js';
import type { KindResult, RunContext, ScenarioKind } from '../kind.js';

const OPEN_BATCH = 50;

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

  const target = ctx.connect(new URL(proxy.url), { connections: p.streams + 32 });
  const receiver = new FanoutReceiver();
  ctx.defer(() => receiver.close());
  const warmedUp = ctx.trialStarted({ phase: 'warmup', trial: 0, trials: 1, target: 'proxied' });
  const rssIdle = processRssBytes(proxy.pid) ?? 0;
  if (ctx.scenario.streamsVia === 'listen') {
    // The stateless revision: no session, one subscriptions/listen stream per client.
    for (let i = 0; i < p.streams && !signal.aborted; i += OPEN_BATCH)
      await Promise.all(Array.from({ length: Math.min(OPEN_BATCH, p.streams - i) }, () => receiver.listen(target)));
  } else {
    const sessions = await ctx.openSessions(target, p.streams);
    for (let i = 0; i < sessions.length && !signal.aborted; i += OPEN_BATCH)
      await Promise.all(sessions.slice(i, i + OPEN_BATCH).map((s) => receiver.open(target, s)));
  }
  await abortableSleep(p.warmupMs, signal);
  warmedUp({ askedRate: p.streams * p.notifyRate, achievedRate: 0, errors: 0 });

  const measured = ctx.trialStarted({ phase: 'latency', trial: 1, trials: 1, target: 'proxied' });
  const cpu0 = processCpuMicros(proxy.pid);
  const gen0 = ownCpuMicros();
  const t0 = performance.now();
  receiver.startCounting();
  await abortableSleep(p.durationMs, signal);
  receiver.stopCounting();
  const durationMs = performance.now() - t0;
  const cpu1 = processCpuMicros(proxy.pid);
  const generatorCpuPct = ((ownCpuMicros() - gen0) / (durationMs * 1000)) * 100;
  const rss = processRssBytes(proxy.pid) ?? 0;
  const t = receiver.tally;
  const lost = t.lost();
  const asked = p.streams * p.notifyRate;
  const rate = (t.received * 1000) / durationMs;
  const proxyCpuUs = cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : null;
  measured({ askedRate: asked, achievedRate: rate, errors: lost + t.duplicated + t.reordered + t.dropped });

  const summary = summarise(t.histogram);
  const m: Record<string, Metric> = {};
  for (const key of ['p50', 'p90', 'p95', 'p99', 'p99.9', 'max'] as const)
    m[`fanout.delivery.${key}_us`] = { value: summary[`${key}_us`], unit: 'us', better: 'lower' };
  m['fanout.events_per_sec'] = { value: round(rate), unit: 'rps', better: 'higher' };
  m['fanout.delivered_ratio'] = { value: Math.round((rate / asked) * 1000) / 1000, unit: 'ratio', better: 'higher' };
  m['fanout.lost'] = { value: lost, unit: 'count', better: 'lower' };
  m['fanout.duplicated'] = { value: t.duplicated, unit: 'count', better: 'lower' };
  m['fanout.reordered'] = { value: t.reordered, unit: 'count', better: 'lower' };
  m['fanout.streams_dropped'] = { value: t.dropped, unit: 'count', better: 'lower' };
  m['fanout.proxy_rss_bytes'] = { value: rss, unit: 'bytes', better: 'lower' };
  m['fanout.proxy_rss_per_stream_bytes'] = {
    value: Math.round(Math.max(0, rss - rssIdle) / p.streams),
    unit: 'bytes',
    better: 'lower',
  };
  if (proxyCpuUs !== null)
    m['fanout.proxy_cpu_pct'] = {
      value: Math.round((proxyCpuUs / (durationMs * 1000)) * 1000) / 10,
      unit: 'pct',
      better: 'lower',
    };

  const warnings: string[] = [];
  if (rate < asked * 0.95)
    warnings.push(`delivered ${Math.round(rate)} events/s of the ${asked} sent: the proxy or the receiver fell behind`);
  if (generatorCpuPct > 90)
    warnings.push(`the receiver used ${Math.round(generatorCpuPct)}% CPU: delivery latency includes its own queueing`);
  return ctx.result(
    { ...p },
    {
      metrics: m,
      targets: {
        proxied: {
          url: proxy.url,
          // Each event's time from the mock's send (in the event) to its arrival here.
          latency: latencyRecord('delivery', t.histogram),
          throughputRps: round(rate),
          errors: { lost, duplicated: t.duplicated, reordered: t.reordered, streams_dropped: t.dropped },
          errorSamples: [],
          cpuUsPerRequest: {
            open: proxyCpuUs === null || t.received === 0 ? null : Math.round((proxyCpuUs / t.received) * 100) / 100,
            closed: null,
          },
        },
      },
      trials: [
        {
          phase: 'latency',
          trial: 1,
          target: 'proxied',
          asked: { rate: asked, durationMs: p.durationMs },
          achieved: {
            rate: round(rate),
            sent: 0,
            completed: t.received,
            ok: t.received,
            lateSends: 0,
            dropped: 0,
            maxSendLagUs: 0,
            durationMs: round(durationMs),
          },
          p50_us: summary.p50_us,
          p99_us: summary.p99_us,
          errors: lost + t.duplicated + t.reordered + t.dropped,
          generatorCpuPct: Math.round(generatorCpuPct * 10) / 10,
          targetCpuUs: proxyCpuUs === null ? null : Math.round(proxyCpuUs),
        },
      ],
      warnings,
    },
  );
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

const fanoutKind: ScenarioKind<FanoutScenario> = {
  kind: 'fanout',
  estimateMs: (scenario, profile) => {
    const f = scenario.profiles[profile];
    return f.warmupMs + f.durationMs + Math.ceil(f.streams / 50) * 150 + 3_000;
  },
  run: runFanout,
};

export default fanoutKind;
