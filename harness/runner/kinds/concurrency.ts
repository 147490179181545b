/**
 * Runs the concurrency scenario. Every client has a connection of its own (a one-connection pool) and opens its own
 * session; a barrier holds them until all are open, so the proxy holds every connection and session at the same
 * moment — read then from its /metrics and /proc. Then each client makes its calls back to back and ends its session
 * with DELETE. Failures are data: a client whose initialize fails is counted, the others go on.
 */
import type { ConcurrencyScenario } from '../../../scenarios/define.js';
import { McpHttpSession, type CallOutcome } from '../../load/mcp-session.js';
import { ErrorTally, ownCpuMicros } from '../../load/outcome.js';
import { processFdCount, processRssBytes } from '../../measure/cpu.js';
import { createLatencyHistogram, recordMicros, summarise } from '../../../core/measure/histogram.js';
import { scrapeGauge } from '../../measure/scrape.js';
import type { Metric } from '../../results/schema.js';
import { latencyRecord, roundTo } from '../result.js';
import type { KindResult, RunContext, ScenarioKind } from '../kind.js';

/** Clients connect in waves of this many, so the set-up is not one SYN burst the listen backlog drops. */
const CONNECT_WAVE = 200;

export async function runConcurrency(ctx: RunContext<ConcurrencyScenario>): Promise<KindResult> {
  const { scenario, signal, profile: p } = ctx;
  const step = ctx.step;

  const mock = await ctx.startMock('mock', { latencyMs: scenario.mockLatencyMs });
  const proxy = await ctx.start('proxy', ['proxy', '--upstream', mock.url, '--max-sessions', String(p.clients + 100)]);
  ctx.ready();

  // A connection of its own for every client.
  const url = new URL(proxy.url);
  const targets = Array.from({ length: p.clients }, () =>
    ctx.connect(url, { connections: 1, requestTimeoutMs: 30_000 }),
  );
  const sessions: Array<McpHttpSession | undefined> = new Array(p.clients);
  const openErrors: string[] = [];
  const tally = new ErrorTally();
  const histogram = createLatencyHistogram();
  let callsOk = 0;
  let callsDone = 0;
  let clientsOk = 0;
  ctx.defer(() => Promise.all(sessions.map((s) => s?.close())));
  // 1. Everyone connects and opens a session.
  const t0 = performance.now();
  for (let i = 0; i < p.clients && !signal.aborted; i += CONNECT_WAVE) {
    step(`opening sessions ${i + 1}–${Math.min(i + CONNECT_WAVE, p.clients)} of ${p.clients}`);
    await Promise.all(
      targets.slice(i, i + CONNECT_WAVE).map(async (target, k) => {
        try {
          sessions[i + k] = await McpHttpSession.open(target, `mcp-perf-client-${i + k}`);
        } catch (err) {
          openErrors.push((err as Error).message);
        }
      }),
    );
  }
  const openMs = performance.now() - t0;

  // 2. The barrier: all open at once. What the proxy holds now is the point of the scenario.
  const heldSessions = (await scrapeGauge(proxy.url, 'mcp_proxy_active_sessions')) ?? 0;
  const fds = processFdCount(proxy.pid) ?? 0;
  const rss = processRssBytes(proxy.pid) ?? 0;

  // 3. A session's worth of calls each, all clients at once, then DELETE.
  step(`${p.clients} clients calling`);
  const gen0 = ownCpuMicros();
  const t1 = performance.now();
  let nextId = 1;
  await Promise.all(
    sessions.map(async (session, i) => {
      if (session === undefined || signal.aborted) return;
      let fine = true;
      const list = await session.call(nextId, `{"jsonrpc":"2.0","id":${nextId++},"method":"tools/list"}`);
      fine &&= count(list);
      for (let c = 0; c < p.callsPerClient && !signal.aborted; c++) {
        const id = nextId++;
        const s0 = performance.now();
        const outcome = await session.call(
          id,
          `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"text":"c"}}}`,
        );
        if (outcome.ok) recordMicros(histogram, (performance.now() - s0) * 1000);
        fine = count(outcome) && fine;
      }
      await session.close();
      sessions[i] = undefined;
      if (fine) clientsOk++;
    }),
  );
  const callMs = performance.now() - t1;
  const generatorCpuPct = ((ownCpuMicros() - gen0) / (callMs * 1000)) * 100;

  const summary = summarise(histogram);
  const opened = p.clients - openErrors.length;
  const m: Record<string, Metric> = {
    'concurrency.clients': { value: p.clients, unit: 'count', better: 'none' },
    'concurrency.session_success_ratio': {
      value: roundTo(clientsOk / p.clients, 3),
      unit: 'ratio',
      better: 'higher',
    },
    'concurrency.call_success_ratio': {
      value: roundTo(callsDone > 0 ? callsOk / callsDone : 0, 3),
      unit: 'ratio',
      better: 'higher',
    },
    'concurrency.initialize_failures': { value: p.clients - opened, unit: 'count', better: 'lower' },
    'concurrency.calls': { value: callsDone, unit: 'count', better: 'none' },
    'concurrency.call_errors': { value: callsDone - callsOk, unit: 'count', better: 'lower' },
    'concurrency.calls_per_sec': { value: Math.round((callsDone * 1000) / callMs), unit: 'rps', better: 'higher' },
    'concurrency.sessions_per_sec': { value: Math.round((opened * 1000) / openMs), unit: 'rps', better: 'higher' },
    'concurrency.held_ratio': { value: roundTo(heldSessions / p.clients, 3), unit: 'ratio', better: 'higher' },
    'concurrency.proxy_fds_at_peak': { value: fds, unit: 'count', better: 'none' },
    'concurrency.proxy_rss_at_peak_bytes': { value: rss, unit: 'bytes', better: 'lower' },
    'concurrency.call.p50_us': { value: summary.p50_us, unit: 'us', better: 'lower' },
    'concurrency.call.p99_us': { value: summary.p99_us, unit: 'us', better: 'lower' },
  };
  for (const [kind, n] of Object.entries(tally.counts))
    m[`concurrency.errors.${kind}`] = { value: n, unit: 'count', better: 'lower' };

  const warnings: string[] = [];
  if (openErrors.length > 0)
    warnings.push(`${openErrors.length} of ${p.clients} clients could not open a session; first: ${openErrors[0]}`);
  if (generatorCpuPct > 90)
    warnings.push(
      `the generator used ${Math.round(generatorCpuPct)}% CPU while the clients called: calls/s is a floor`,
    );
  return ctx.result(
    { ...p, mockLatencyMs: scenario.mockLatencyMs },
    {
      metrics: m,
      targets: {
        proxied: {
          url: proxy.url,
          // Each client calls back to back: service times (closed model), not open-model latencies.
          latency: latencyRecord('closed', histogram),
          throughputRps: m['concurrency.calls_per_sec']!.value,
          errors: { ...tally.counts, initialize: p.clients - opened },
          errorSamples: [...openErrors.slice(0, 3), ...tally.samples],
          cpuUsPerRequest: { open: null, closed: null },
        },
      },
      trials: [],
      warnings,
    },
  );

  function count(outcome: CallOutcome): boolean {
    callsDone++;
    if (outcome.ok) callsOk++;
    else tally.add(outcome);
    return outcome.ok;
  }
}

const concurrencyKind: ScenarioKind<ConcurrencyScenario> = {
  kind: 'concurrency',
  estimateMs: (scenario, profile) => {
    const c = scenario.profiles[profile];
    return c.clients + (c.clients * (c.callsPerClient + 2)) / 8 + 1_000;
  },
  run: runConcurrency,
};

export default concurrencyKind;
