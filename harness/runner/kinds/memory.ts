/**
 * Runs the memory-per-session scenario. The proxy runs with --debug-memory, so before every sample the harness asks
 * it for a full GC (GET /debug/memory) and then reads its RSS from /proc. Two passes, each on a fresh set of sessions:
 * idle sessions (initialized, no stream), then sessions holding one GET stream each. In each pass the session count
 * rises through the profile's steps; bytes per session is the slope of a line fitted to (sessions, RSS). Then every
 * session is closed (DELETE, streams ended) and the share of the peak's growth that came back is measured.
 */
import type { MemoryScenario } from '../../../scenarios/define.js';
import { abortableSleep } from '../../../core/runtime/clock.js';
import { McpHttpSession, type SessionTarget } from '../../load/mcp-session.js';
import { FanoutReceiver } from '../../load/sse-streams.js';
import { requireOpenFiles } from '../../measure/limits.js';
import { proxyMemoryAfterGc } from '../../measure/scrape.js';
import { fitLine } from '../../measure/fit.js';
import type { Metric, Series } from '../../results/schema.js';
import { roundTo } from '../result.js';
import type { Child } from '../children.js';
import type { KindResult, RunContext, ScenarioKind } from '../kind.js';

const OPEN_BATCH = 50;
const WARMUP_SESSIONS = 100;
/** The proxy's young generation, per semi-space (V8's default grows to 16 MiB). */
const SEMI_SPACE_MIB = 1;
const MODES = ['idle', 'stream'] as const;
type Mode = (typeof MODES)[number];

interface Sample {
  readonly sessions: number;
  readonly rss: number;
  readonly heapUsed: number;
  /** V8's young generation, committed (it grows with the allocation rate and stays grown: not per session). */
  readonly youngGeneration: number;
}

export async function runMemory(ctx: RunContext<MemoryScenario>): Promise<KindResult> {
  const { signal, profile: p } = ctx;
  const peak = Math.max(...p.steps);
  // With a GET stream each, a session holds a client and an upstream socket in the proxy.
  requireOpenFiles(ctx.scenario.name, 2 * peak + 256, `2 per session with a stream, ${peak} sessions`);
  const step = ctx.step;

  const mock = await ctx.startMock('mock');
  // Idle expiry off: a slow step must not shed the sessions it is measuring. V8's young generation capped at 1 MiB a
  // semi-space: left alone it grows with the allocation rate towards 2 × 16 MiB while the sessions open, and stays
  // grown — a fixed reservation, not per-session memory, that the fitted line would spread over the sessions
  // (16–24 MiB over the quick profile's 2,000 streams: over half the slope). young_generation_growth_bytes shows it.
  const proxy = await ctx.start(
    'proxy',
    ['proxy', '--upstream', mock.url, '--debug-memory', '--max-sessions', String(peak + 100), '--session-idle-ms', '0'],
    { nodeArgs: [`--max-semi-space-size=${SEMI_SPACE_MIB}`] },
  );
  ctx.ready();

  const url = new URL(proxy.url);
  const metrics: Record<string, Metric> = {};
  const series: Record<string, Series> = {};
  const warnings: string[] = [];
  const samples: Record<Mode, Sample[]> = { idle: [], stream: [] };

  for (const mode of MODES) {
    // A stream holds its connection for as long as it is open; idle sessions share a few keep-alive connections.
    const target = ctx.connect(url, { connections: mode === 'stream' ? peak + 16 : 16 });
    const receiver = new FanoutReceiver();
    const sessions: McpHttpSession[] = [];
    ctx.defer(() => closeAll(sessions, receiver));
    // Warm-up: the first sessions pay one-time costs (compiled code, connection buffers, table growth) that are
    // not per-session; a small wave opened and closed first keeps them out of the slope.
    step(`${mode} sessions: warm-up`);
    await openUpTo(
      sessions,
      Math.min(WARMUP_SESSIONS, p.steps[0]!),
      target,
      mode === 'stream' ? receiver : undefined,
      signal,
    );
    await closeAll(sessions, receiver);
    await abortableSleep(p.settleMs, signal);
    samples[mode].push(await sample(proxy, 0));
    for (const count of p.steps) {
      step(`${mode} sessions: opening ${count}`);
      await openUpTo(sessions, count, target, mode === 'stream' ? receiver : undefined, signal);
      await abortableSleep(p.settleMs, signal);
      samples[mode].push(await sample(proxy, count));
    }
    step(`${mode} sessions: closing ${sessions.length}`);
    await closeAll(sessions, receiver);
    await abortableSleep(p.settleMs, signal);
    const after = await sample(proxy, 0);
    // A second wave of the peak count on the warmed process. Freed memory stays in the allocator for reuse (glibc
    // rarely returns it to the OS, so RSS hardly falls after a close): what shows a leak is the second wave growing
    // RSS again, and V8's heap not coming back down when the wave closes.
    step(`${mode} sessions: reopening ${peak}, closing again`);
    await openUpTo(sessions, peak, target, mode === 'stream' ? receiver : undefined, signal);
    await abortableSleep(p.settleMs, signal);
    const again = await sample(proxy, peak);
    await closeAll(sessions, receiver);
    await abortableSleep(p.settleMs, signal);
    const afterAgain = await sample(proxy, 0);

    const points = samples[mode];
    const fit = fitLine(points.map((s) => [s.sessions, s.rss]));
    const heapFit = fitLine(points.map((s) => [s.sessions, s.heapUsed]));
    const base = points[0]!;
    const top = points[points.length - 1]!;
    const m = `memory.${mode}`;
    metrics[`${m}.rss_per_session_bytes`] = { value: Math.round(fit.slope), unit: 'bytes', better: 'lower' };
    metrics[`${m}.heap_per_session_bytes`] = { value: Math.round(heapFit.slope), unit: 'bytes', better: 'lower' };
    // With the young generation capped this stays near 0; a figure here means the cap did not hold.
    metrics[`${m}.young_generation_growth_bytes`] = {
      value: points[points.length - 1]!.youngGeneration - points[0]!.youngGeneration,
      unit: 'bytes',
      better: 'none',
    };
    metrics[`${m}.fit_r2`] = { value: roundTo(fit.r2, 3), unit: 'ratio', better: 'none' };
    metrics[`${m}.points`] = { value: points.length, unit: 'count', better: 'none' };
    metrics[`${m}.rss_peak_bytes`] = { value: Math.max(top.rss, again.rss), unit: 'bytes', better: 'lower' };
    metrics[`${m}.rss_after_close_bytes`] = { value: afterAgain.rss, unit: 'bytes', better: 'lower' };
    const heapTaken = again.heapUsed - after.heapUsed;
    metrics[`${m}.released_ratio`] = {
      value: roundTo(heapTaken > 0 ? (again.heapUsed - afterAgain.heapUsed) / heapTaken : 1, 3),
      unit: 'ratio',
      better: 'higher',
    };
    const firstGrowth = top.rss - base.rss;
    metrics[`${m}.rss_regrowth_ratio`] = {
      value: roundTo(firstGrowth > 0 ? Math.max(0, again.rss - Math.max(top.rss, after.rss)) / firstGrowth : 0, 3),
      unit: 'ratio',
      better: 'lower',
    };
    metrics[`${m}.heap_retained_per_session_bytes`] = {
      value: Math.round((afterAgain.heapUsed - after.heapUsed) / peak),
      unit: 'bytes',
      better: 'lower',
    };
    if (fit.r2 < 0.9)
      warnings.push(
        `${mode} sessions: RSS is not linear in the session count (r² ${roundTo(fit.r2, 3)}): bytes per session is a rough figure`,
      );
    series[`${mode}_rss`] = {
      title: `proxy memory against ${mode === 'idle' ? 'idle sessions' : 'sessions with one GET stream each'} (after a forced GC)`,
      x: { label: 'sessions', unit: 'count' },
      y: { label: 'bytes', unit: 'bytes' },
      lines: [
        { label: 'RSS', points: points.map((s) => [s.sessions, s.rss]) },
        { label: 'V8 heap used', points: points.map((s) => [s.sessions, s.heapUsed]) },
        { label: 'RSS after closing all', points: [[0, after.rss]] },
        {
          label: 'second wave: RSS',
          points: [
            [peak, again.rss],
            [0, afterAgain.rss],
          ],
        },
      ],
      fit: { label: `fit: ${Math.round(fit.slope)} bytes/session`, slope: fit.slope, intercept: fit.intercept },
    };
    // The next mode starts on a fresh pool: this one's connections must not count in its memory.
    await target.pool.destroy();
    // A mode is a result in itself, should the run be aborted in the next one.
    ctx.checkpoint(result);
  }
  return result();

  function result(): KindResult {
    return ctx.result(
      { ...p, proxyNodeArgs: [`--max-semi-space-size=${SEMI_SPACE_MIB}`] },
      { metrics: { ...metrics }, targets: {}, trials: [], warnings: [...warnings], series: { ...series } },
    );
  }
}

async function sample(proxy: Child, sessions: number): Promise<Sample> {
  const { rss, heapUsed, youngGeneration } = await proxyMemoryAfterGc(proxy.url, proxy.pid);
  return { sessions, rss, heapUsed, youngGeneration };
}

/** Opens sessions (each with its GET stream when a receiver is given) until there are `count`. */
async function openUpTo(
  sessions: McpHttpSession[],
  count: number,
  target: SessionTarget,
  receiver: FanoutReceiver | undefined,
  signal: AbortSignal,
): Promise<void> {
  while (sessions.length < count && !signal.aborted) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(OPEN_BATCH, count - sessions.length) }, () => McpHttpSession.open(target)),
    );
    sessions.push(...batch);
    if (receiver !== undefined) await Promise.all(batch.map((s) => receiver.open(target, s)));
  }
}

async function closeAll(sessions: McpHttpSession[], receiver: FanoutReceiver): Promise<void> {
  receiver.close();
  const all = sessions.splice(0);
  for (let i = 0; i < all.length; i += OPEN_BATCH)
    await Promise.all(all.slice(i, i + OPEN_BATCH).map((s) => s.close()));
}

const memoryKind: ScenarioKind<MemoryScenario> = {
  kind: 'memory',
  estimateMs: (scenario, profile) => {
    const m = scenario.profiles[profile];
    const opened = m.steps.reduce((a, b) => Math.max(a, b), 0);
    return 2 * ((m.steps.length + 5) * (m.settleMs + 100) + opened * 2) + 2_000;
  },
  run: runMemory,
};

export default memoryKind;
