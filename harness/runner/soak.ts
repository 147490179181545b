/**
 * Runs a soak: open-model load at a steady rate for the profile's duration, with sessions replaced all along (churn),
 * while the proxy's memory (after a forced GC), open descriptors and child processes are sampled. After the warm-up,
 * a line is fitted to each over time. A leak is suspected when, over the later half of the run, the slope's 95%
 * interval lies wholly above a floor: growth that would add more than LEAK_FLOOR_PCT of the starting value over the
 * whole run. The later half, because one-time growth (compiled code, allocator arenas, caches filling) levels off
 * early while a leak keeps going. When the load ends every session is closed: the proxy must then have no children.
 */
import type { SoakScenario } from '../../scenarios/define.js';
import { abortableSleep, monotonicNs } from '../../core/runtime/clock.js';
import { McpPerfError } from '../../core/runtime/errors.js';
import { McpHttpSession, createTargetPool, type SessionTarget } from '../load/mcp-session.js';
import { runOpenModel } from '../load/open-model.js';
import { CallSource } from '../load/outcome.js';
import { processDescendantCount, processFdCount } from '../measure/cpu.js';
import { proxyMemoryAfterGc } from '../measure/scrape.js';
import { fitLine, tQuantile975, type LineFit } from '../measure/fit.js';
import { summarise, createLatencyHistogram, recordMicros, type Histogram } from '../../core/measure/histogram.js';
import type { CompletedScenario, Metric, Series } from '../results/schema.js';
import { CLI_BIN, type Child } from './children.js';
import type { ScenarioRun } from './events.js';
import { completedScenario, latencyRecord, roundTo } from './result.js';
import { quoteCommand } from '../../core/runtime/argv.js';
import type { ScenarioKind } from './kind.js';

export type SoakRun = ScenarioRun<SoakScenario>;

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

export async function runSoak(run: SoakRun): Promise<Omit<CompletedScenario, 'startedAt' | 'durationMs'>> {
  const { scenario, group, signal, emit } = run;
  const p = scenario.profiles[run.profileName];
  const started = performance.now();
  const step = (label: string): void =>
    emit({ type: 'step', scenario: scenario.name, label, elapsedMs: performance.now() - started });

  const latency = ['--latency-ms', String(scenario.mockLatencyMs)];
  let proxy: Child;
  let mock: Child | undefined;
  const common = ['--debug-memory', '--max-sessions', String(p.sessions * 4)];
  if (scenario.upstream === 'stdio') {
    const command = quoteCommand([process.execPath, CLI_BIN, 'mock', 'stdio', ...latency]);
    proxy = await group.start('proxy', ['proxy', '--upstream-cmd', command, ...common]);
  } else {
    mock = await group.start('mock', ['mock', 'http', ...latency]);
    proxy = await group.start('proxy', ['proxy', '--upstream', mock.url, ...common]);
  }
  emit({
    type: 'processes-ready',
    scenario: scenario.name,
    processes: [mock, proxy].filter((c) => c !== undefined).map((c) => ({ name: c.name, pid: c.pid, url: c.url })),
  });

  const url = new URL(proxy.url);
  const target: SessionTarget = { url, pool: createTargetPool(url, 64), requestTimeoutMs: 10_000 };
  const sessions: McpHttpSession[] = [];
  const retiring = new Set<Promise<void>>();
  const samples: Sample[] = [];
  const windows = new Map<number, { histogram: Histogram; errors: number }>();
  const histogram = createLatencyHistogram();
  let churned = 0;
  let churnErrors = 0;
  try {
    for (let i = 0; i < p.sessions; i++) sessions.push(await McpHttpSession.open(target));
    const source = new CallSource(sessions, {});
    const control = new AbortController();
    const stop = (): void => control.abort();
    signal.addEventListener('abort', stop, { once: true });

    const totalMs = p.warmupMs + p.durationMs;
    const t0 = monotonicNs();
    const secondsSince = (ns: bigint): number => Number(ns - t0) / 1e9;
    const load = runOpenModel({
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
        if (us === null) w.errors++;
        else {
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
          const fresh = await McpHttpSession.open(target);
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

    // Sampling, until the load is done.
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
    }
    const outcome = await load;
    await churn;
    await Promise.all(retiring);
    signal.removeEventListener('abort', stop);
    if (signal.aborted) throw new McpPerfError('MCP_PERF_INTERRUPTED', 'soak interrupted');

    const counted = samples.filter((x) => x.s * 1000 >= p.warmupMs);
    const runMin = p.durationMs / 60_000;
    // Trends are judged on the later half of the counted samples (see the top of this file).
    const later = counted.slice(Math.floor(counted.length / 2));
    if (later.length < 3)
      throw new McpPerfError(
        'MCP_PERF_TARGET',
        `only ${later.length} samples in the run's later half; lengthen durationMs or sample more often`,
      );
    const trend = (pick: (x: Sample) => number): LineFit => fitLine(later.map((x) => [x.s / 60, pick(x)]));
    const heapFit = trend((x) => x.heap);
    const rssFit = trend((x) => x.rss);
    const fdFit = trend((x) => x.fds);
    const suspect = (fit: LineFit, start: number): boolean => {
      const low = fit.slope - tQuantile975(fit.n - 2) * fit.slopeStdErr;
      return low * runMin > (start * LEAK_FLOOR_PCT) / 100;
    };
    const heapStart = counted[0]!.heap;
    const rssStart = counted[0]!.rss;
    const leak = suspect(heapFit, heapStart) || suspect(rssFit, rssStart);

    // Every session closed: its child must go too.
    step('closing every session; waiting for the children to exit');
    await Promise.all(sessions.splice(0).map((s) => s.close()));
    let childrenLeft = processDescendantCount(proxy.pid);
    for (let waited = 0; childrenLeft > 0 && waited < CHILD_EXIT_WAIT_MS; waited += 100) {
      await abortableSleep(100, signal);
      childrenLeft = processDescendantCount(proxy.pid);
    }
    const summary = summarise(histogram);
    const errors = Object.values(outcome.errors).reduce((a, b) => a + (b ?? 0), 0);

    const m: Record<string, Metric> = {
      'soak.rate': { value: Math.round(outcome.achieved.rate), unit: 'rps', better: 'none' },
      'soak.latency.p50_us': { value: summary.p50_us, unit: 'us', better: 'lower' },
      'soak.latency.p99_us': { value: summary.p99_us, unit: 'us', better: 'lower' },
      'soak.errors': { value: errors + churnErrors, unit: 'count', better: 'lower' },
      'soak.dropped_sends': { value: outcome.achieved.dropped, unit: 'count', better: 'lower' },
      'soak.sessions_churned': { value: churned, unit: 'count', better: 'none' },
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
      'soak.children_max': { value: Math.max(...samples.map((x) => x.children)), unit: 'count', better: 'none' },
      'soak.children_left': { value: childrenLeft, unit: 'count', better: 'lower' },
      'soak.samples': { value: later.length, unit: 'count', better: 'none' },
    };

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
        fit: {
          label: `heap trend, later half: ${Math.round(heapFit.slope)} bytes/min`,
          slope: heapFit.slope / 60,
          intercept: heapFit.intercept,
        },
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

    const warnings: string[] = [];
    if (leak)
      warnings.push(
        `memory grows beyond noise: heap ${Math.round(heapFit.slope)} bytes/min, RSS ${Math.round(rssFit.slope)} bytes/min`,
      );
    if (outcome.achieved.lateSends > outcome.achieved.sent * 0.01)
      warnings.push(`${outcome.achieved.lateSends} sends left more than 1 ms late: the generator fell behind`);
    return completedScenario(
      scenario,
      run.profileName,
      { ...p, upstream: scenario.upstream, mockLatencyMs: scenario.mockLatencyMs },
      {
        metrics: m,
        targets: {
          proxied: {
            url: proxy.url,
            latency: latencyRecord('open', histogram),
            throughputRps: Math.round(outcome.achieved.rate),
            errors: { ...outcome.errors, churn: churnErrors },
            errorSamples: outcome.errorSamples,
            cpuUsPerRequest: { open: null, closed: null },
          },
        },
        trials: [],
        warnings,
        series,
      },
    );
  } finally {
    await Promise.all(retiring);
    await Promise.all(sessions.map((s) => s.close()));
    await target.pool.destroy();
  }
}

async function sample(proxy: Child, s: number): Promise<Sample> {
  const { rss, heapUsed } = await proxyMemoryAfterGc(proxy.url, proxy.pid);
  return { s, rss, heap: heapUsed, fds: processFdCount(proxy.pid) ?? 0, children: processDescendantCount(proxy.pid) };
}

export const soakKind: ScenarioKind<SoakScenario> = {
  kind: 'soak',
  estimateMs: (scenario, profile) => {
    const k = scenario.profiles[profile];
    return k.warmupMs + k.durationMs + k.sessions * 100 + 3_000;
  },
  run: (ctx) => runSoak(ctx),
};
