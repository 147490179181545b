/**
 * Runs a soak: open-model load at a steady rate for the profile's duration, with sessions replaced all along (churn),
 * while the proxy's memory (after a forced GC), open descriptors and child processes are sampled. After the warm-up,
 * a line is fitted to each over time. A leak is suspected when, over the later half of the run, the slope's 95%
 * interval lies wholly above a floor: growth that would add more than LEAK_FLOOR_PCT of the starting value over the
 * whole run. The later half, because one-time growth (compiled code, allocator arenas, caches filling) levels off
 * early while a leak keeps going. When the load ends every session is closed: the proxy must then have no children.
 */
import type { SoakScenario } from '../../../scenarios/define.js';
import { abortableSleep, monotonicNs } from '../../../core/runtime/clock.js';
import { McpPerfError } from '../../../core/runtime/errors.js';
import type { McpHttpSession } from '../../load/mcp-session.js';
import { drive } from '../../load/executors.js';
import { CallSource, type LoadOutcome } from '../../load/outcome.js';
import { processDescendantCount, processFdCount } from '../../measure/cpu.js';
import { proxyMemoryAfterGc } from '../../measure/scrape.js';
import { fitLine, slopeSurelyAbove, tQuantile975, type LineFit } from '../../measure/fit.js';
import { summarise, createLatencyHistogram, recordMicros, type Histogram } from '../../../core/measure/histogram.js';
import type { Metric, Series } from '../../results/schema.js';
import type { Child } from '../children.js';
import { latencyRecord, roundTo } from '../result.js';
import { quoteCommand } from '../../../core/runtime/argv.js';
import type { KindResult, RunContext, ScenarioKind } from '../kind.js';

/** A trend that adds less than this share of the starting value over the run is noise, whatever its p-value. */
const LEAK_FLOOR_PCT = 5;
/** How long closed sessions' children get to exit (stdin closed, then SIGTERM, then SIGKILL in the proxy). */
const CHILD_EXIT_WAIT_MS = 5_000;

interface Sample {
  readonly s: number;
  readonly rss: number;
  readonly heap: number;
  readonly fds: number;
  readonly children: number;
}

export async function runSoak(ctx: RunContext<SoakScenario>): Promise<KindResult> {
  const { scenario, signal, profile: p } = ctx;
  const step = ctx.step;

  const knobs = { latencyMs: scenario.mockLatencyMs };
  const common = ['--debug-memory', '--max-sessions', String(p.sessions * 4)];
  const proxy =
    scenario.upstream === 'stdio'
      ? await ctx.start('proxy', ['proxy', '--upstream-cmd', quoteCommand(ctx.stdioMockArgv(knobs)), ...common])
      : await ctx.start('proxy', ['proxy', '--upstream', (await ctx.startMock('mock', knobs)).url, ...common]);
  ctx.ready();

  const target = ctx.connect(new URL(proxy.url), { connections: 64 });
  const retiring = new Set<Promise<void>>();
  ctx.defer(() => Promise.all(retiring));
  const samples: Sample[] = [];
  const windows = new Map<number, { histogram: Histogram; errors: number }>();
  const histogram = createLatencyHistogram();
  let churned = 0;
  let churnErrors = 0;
  let failedCalls = 0;
  const sessions: McpHttpSession[] = await ctx.openSessions(target, p.sessions);
  if (signal.aborted) return result();
  const source = new CallSource(sessions, {});
  const control = new AbortController();
  const stop = (): void => control.abort();
  signal.addEventListener('abort', stop, { once: true });
  ctx.defer(() => signal.removeEventListener('abort', stop));

  const totalMs = p.warmupMs + p.durationMs;
  const t0 = monotonicNs();
  const secondsSince = (ns: bigint): number => Number(ns - t0) / 1e9;
  const load = drive('constant-arrival-rate', {
    rate: p.rate,
    durationMs: totalMs,
    maxInFlight: Math.max(64, p.rate),
    source,
    signal: control.signal,
    onComplete: (intended, us) => {
      const at = secondsSince(intended);
      const key = Math.floor((at * 1000) / p.sampleEveryMs);
      let w = windows.get(key);
      if (w === undefined) windows.set(key, (w = { histogram: createLatencyHistogram(), errors: 0 }));
      if (us === null) {
        w.errors++;
        if (at * 1000 >= p.warmupMs) failedCalls++;
      } else {
        recordMicros(w.histogram, us);
        if (at * 1000 >= p.warmupMs) recordMicros(histogram, us);
      }
    },
  });

  // Churn: replace one session at a time; the old one is closed a little later, once calls in flight on it are done.
  const churn = (async () => {
    const everyMs = p.churnPerSec > 0 ? 1000 / p.churnPerSec : Infinity;
    let next = 0;
    while (!control.signal.aborted && Number.isFinite(everyMs)) {
      await abortableSleep(everyMs, control.signal).catch(() => {});
      if (control.signal.aborted) break;
      try {
        const [fresh] = await ctx.openSessions(target, 1);
        if (fresh === undefined) break;
        const old = sessions[next]!;
        sessions[next] = fresh;
        next = (next + 1) % sessions.length;
        churned++;
        const retire = abortableSleep(500, control.signal)
          .catch(() => {})
          .then(() => old.close());
        retiring.add(retire);
        void retire.then(() => retiring.delete(retire));
      } catch {
        churnErrors++;
      }
    }
  })();

  // Sampling, until the load is done; every sample is a checkpoint an abort keeps.
  let done = false;
  void load.finally(() => {
    done = true;
    control.abort();
  });
  while (!done && !signal.aborted) {
    await abortableSleep(p.sampleEveryMs, control.signal).catch(() => {});
    if (done || signal.aborted) break;
    samples.push(await sample(proxy, secondsSince(monotonicNs())));
    const last = samples[samples.length - 1]!;
    step(
      `${Math.round(last.s)} s of ${Math.round(totalMs / 1000)} s · heap ${(last.heap / 2 ** 20).toFixed(1)} MiB · ${last.fds} fds · ${last.children} children`,
    );
    ctx.checkpoint(result);
  }
  const outcome = await load;
  await churn;
  await Promise.all(retiring);
  if (signal.aborted) return result();
  if (laterHalf().length < 3)
    throw new McpPerfError(
      'MCP_PERF_TARGET',
      `only ${laterHalf().length} samples in the run's later half; lengthen durationMs or sample more often`,
    );

  // Every session closed: its child must go too.
  step('closing every session; waiting for the children to exit');
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  let childrenLeft = processDescendantCount(proxy.pid);
  for (let waited = 0; childrenLeft > 0 && waited < CHILD_EXIT_WAIT_MS; waited += 100) {
    await abortableSleep(100, signal);
    childrenLeft = processDescendantCount(proxy.pid);
  }
  return result({ outcome, childrenLeft });

  /** Samples after the warm-up, later half: trends are judged there (see the top of this file). */
  function laterHalf(): Sample[] {
    const counted = samples.filter((x) => x.s * 1000 >= p.warmupMs);
    return counted.slice(Math.floor(counted.length / 2));
  }

  /**
   * The result from what has been measured: the whole run once `end` is given (the load's outcome and the children
   * left after closing every session), or, for a checkpoint, the samples and calls so far (no trend before three
   * samples in the later half).
   */
  function result(end?: { outcome: LoadOutcome; childrenLeft: number }): KindResult {
    const counted = samples.filter((x) => x.s * 1000 >= p.warmupMs);
    const later = laterHalf();
    const measuredS = samples.length > 0 ? samples[samples.length - 1]!.s - p.warmupMs / 1000 : 0;
    const runMin = end !== undefined ? p.durationMs / 60_000 : Math.max(measuredS, 0) / 60;
    const summary = summarise(histogram);
    const rate = end !== undefined ? end.outcome.achieved.rate : measuredS > 0 ? histogram.totalCount / measuredS : 0;
    const errors =
      end !== undefined ? Object.values(end.outcome.errors).reduce((a, b) => a + (b ?? 0), 0) : failedCalls;

    const m: Record<string, Metric> = {
      'soak.rate': { value: Math.round(rate), unit: 'rps', better: 'none' },
      'soak.latency.p50_us': { value: summary.p50_us, unit: 'us', better: 'lower' },
      'soak.latency.p99_us': { value: summary.p99_us, unit: 'us', better: 'lower' },
      'soak.errors': { value: errors + churnErrors, unit: 'count', better: 'lower' },
      'soak.sessions_churned': { value: churned, unit: 'count', better: 'none' },
      'soak.samples': { value: later.length, unit: 'count', better: 'none' },
    };
    if (samples.length > 0)
      m['soak.children_max'] = { value: Math.max(...samples.map((x) => x.children)), unit: 'count', better: 'none' };
    if (end !== undefined) {
      m['soak.dropped_sends'] = { value: end.outcome.achieved.dropped, unit: 'count', better: 'lower' };
      m['soak.children_left'] = { value: end.childrenLeft, unit: 'count', better: 'lower' };
    }
    const warnings: string[] = [];
    let heapFit: LineFit | undefined;
    if (later.length >= 3 && runMin > 0) {
      const trend = (pick: (x: Sample) => number): LineFit => fitLine(later.map((x) => [x.s / 60, pick(x)]));
      heapFit = trend((x) => x.heap);
      const rssFit = trend((x) => x.rss);
      const fdFit = trend((x) => x.fds);
      const suspect = (fit: LineFit, start: number): boolean =>
        slopeSurelyAbove(fit, (start * LEAK_FLOOR_PCT) / 100 / runMin);
      const heapStart = counted[0]!.heap;
      const rssStart = counted[0]!.rss;
      const leak = suspect(heapFit, heapStart) || suspect(rssFit, rssStart);
      Object.assign(m, {
        'soak.heap_slope_bytes_per_min': { value: Math.round(heapFit.slope), unit: 'bytes', better: 'lower' },
        'soak.rss_slope_bytes_per_min': { value: Math.round(rssFit.slope), unit: 'bytes', better: 'lower' },
        'soak.heap_growth_pct': {
          value: roundTo(((heapFit.slope * runMin) / heapStart) * 100, 1),
          unit: 'pct',
          better: 'lower',
        },
        'soak.rss_growth_pct': {
          value: roundTo(((rssFit.slope * runMin) / rssStart) * 100, 1),
          unit: 'pct',
          better: 'lower',
        },
        'soak.leak_suspected': { value: leak ? 1 : 0, unit: 'count', better: 'lower' },
        // Descriptors come and go with churn: only growth the trend's 95% interval is sure of counts.
        'soak.fd_growth': {
          value: Math.max(0, Math.round((fdFit.slope - tQuantile975(fdFit.n - 2) * fdFit.slopeStdErr) * runMin)),
          unit: 'count',
          better: 'lower',
        },
      } satisfies Record<string, Metric>);
      if (leak)
        warnings.push(
          `memory grows beyond noise: heap ${Math.round(heapFit.slope)} bytes/min, RSS ${Math.round(rssFit.slope)} bytes/min`,
        );
    }
    if (end !== undefined && end.outcome.achieved.lateSends > end.outcome.achieved.sent * 0.01)
      warnings.push(`${end.outcome.achieved.lateSends} sends left more than 1 ms late: the generator fell behind`);

    const secs = (x: Sample): number => roundTo(x.s, 1);
    const perWindow = [...windows.entries()]
      .sort(([a], [b]) => a - b)
      .map(([k, w]) => ({ s: ((k + 0.5) * p.sampleEveryMs) / 1000, w }));
    const series: Record<string, Series> = {
      memory: {
        title: 'proxy memory over time (after a forced GC)',
        x: { label: 'seconds', unit: 's' },
        y: { label: 'bytes', unit: 'bytes' },
        lines: [
          { label: 'RSS', points: samples.map((x) => [secs(x), x.rss]) },
          { label: 'V8 heap used', points: samples.map((x) => [secs(x), x.heap]) },
        ],
        ...(heapFit === undefined
          ? {}
          : {
              fit: {
                label: `heap trend, later half: ${Math.round(heapFit.slope)} bytes/min`,
                slope: heapFit.slope / 60,
                intercept: heapFit.intercept,
              },
            }),
      },
      resources: {
        title: 'open descriptors and child processes over time',
        x: { label: 'seconds', unit: 's' },
        y: { label: 'count', unit: 'count' },
        lines: [
          { label: 'open fds', points: samples.map((x) => [secs(x), x.fds]) },
          { label: 'children', points: samples.map((x) => [secs(x), x.children]) },
        ],
      },
      latency: {
        title: `latency over time (per ${p.sampleEveryMs / 1000} s window, from intended send time)`,
        x: { label: 'seconds', unit: 's' },
        y: { label: 'µs', unit: 'us' },
        lines: [
          { label: 'p50', points: perWindow.map(({ s, w }) => [roundTo(s, 1), summarise(w.histogram).p50_us]) },
          { label: 'p99', points: perWindow.map(({ s, w }) => [roundTo(s, 1), summarise(w.histogram).p99_us]) },
        ],
      },
    };
    return ctx.result(
      { ...p, upstream: scenario.upstream, mockLatencyMs: scenario.mockLatencyMs },
      {
        metrics: m,
        targets: {
          proxied: {
            url: proxy.url,
            latency: latencyRecord('open', histogram),
            throughputRps: Math.round(rate),
            errors:
              end !== undefined
                ? { ...end.outcome.errors, churn: churnErrors }
                : { failed: failedCalls, churn: churnErrors },
            errorSamples: end !== undefined ? end.outcome.errorSamples : [],
            cpuUsPerRequest: { open: null, closed: null },
          },
        },
        trials: [],
        warnings,
        series,
      },
    );
  }
}

async function sample(proxy: Child, s: number): Promise<Sample> {
  const { rss, heapUsed } = await proxyMemoryAfterGc(proxy.url, proxy.pid);
  return { s, rss, heap: heapUsed, fds: processFdCount(proxy.pid) ?? 0, children: processDescendantCount(proxy.pid) };
}

const soakKind: ScenarioKind<SoakScenario> = {
  kind: 'soak',
  estimateMs: (scenario, profile) => {
    const k = scenario.profiles[profile];
    return k.warmupMs + k.durationMs + k.sessions * 100 + 3_000;
  },
  run: runSoak,
};

export default soakKind;
