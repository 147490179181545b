/**
 * The footprint scenario: what the proxy costs before load, and where its time goes under load.
 *   start-up   spawn → ready line of `mcp-perf proxy --upstream …`, several times; the median and the slowest
 *   idle       CPU (all threads, /proc) and RSS of a started proxy left alone for idleMs
 *   package    `npm pack --dry-run --json` of this package: the tarball and unpacked sizes a user downloads
 *   profile    the reverse proxy started with `node --cpu-prof`, under open-model load at the profile's rate for
 *              profileMs, then ended gracefully so V8 writes the profile; summarised (measure/cpu-profile.ts)
 */
import { execa } from 'execa';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FootprintScenario } from '../../../scenarios/define.js';
import { abortableSleep, monotonicNs } from '../../../core/runtime/clock.js';
import { McpPerfError } from '../../../core/runtime/errors.js';
import { drive } from '../../load/executors.js';
import { CallSource } from '../../load/outcome.js';
import { processCpuMicros, processRssBytes } from '../../measure/cpu.js';
import { summariseCpuProfile, type CpuProfileRecord } from '../../measure/cpu-profile.js';
import type { Metric } from '../../results/schema.js';
import { CLI_BIN } from '../children.js';
import { roundTo } from '../result.js';
import type { KindResult, RunContext, ScenarioKind } from '../kind.js';

const PACKAGE_ROOT = dirname(dirname(CLI_BIN));
/**
 * Start-up's tail (the first health probe, lazy compilation) is not idling: the idle window starts this long after
 * the ready line. The window itself (1–30 s by profile) includes the proxy's periodic work: its upstream health
 * probe every 5 s, so quick's 3 s window may miss one and release's 30 s holds six.
 */
const SETTLE_MS = 300;

export async function runFootprint(ctx: RunContext<FootprintScenario>): Promise<KindResult> {
  const p = ctx.profile;
  const metrics: Record<string, Metric> = {};
  const warnings: string[] = [];
  const settings = { ...p };
  const result = (profile?: CpuProfileRecord): KindResult =>
    ctx.result(settings, { metrics, targets: {}, trials: [], warnings, ...(profile ? { cpuProfile: profile } : {}) });

  const mock = await ctx.startMock('mock', { latencyMs: 5, payloadBytes: 64 });
  const proxyArgs = ['proxy', '--upstream', mock.url];

  // Start-up: each proxy is ended before the next starts, so none competes with another for the CPU.
  const startups: number[] = [];
  for (let i = 0; i < p.startups && !ctx.signal.aborted; i++) {
    ctx.step(`start-up ${i + 1} of ${p.startups}`);
    const t0 = monotonicNs();
    const proxy = await ctx.start(`proxy-start-${i + 1}`, proxyArgs);
    startups.push(Number(monotonicNs() - t0) / 1e6);
    await ctx.stop(proxy);
  }
  if (ctx.signal.aborted) return result();
  const sorted = [...startups].sort((a, b) => a - b);
  metrics['footprint.startup_ms'] = {
    value: roundTo(sorted[Math.floor(sorted.length / 2)]!, 1),
    unit: 'ms',
    better: 'lower',
  };
  metrics['footprint.startup_max_ms'] = { value: roundTo(sorted[sorted.length - 1]!, 1), unit: 'ms', better: 'lower' };
  ctx.checkpoint(result);

  // Idle: CPU over a window with no client at all, and RSS at its end.
  ctx.step(`idle for ${(p.idleMs / 1000).toFixed(0)} s`);
  const idle = await ctx.start('proxy-idle', proxyArgs);
  await abortableSleep(SETTLE_MS, ctx.signal);
  const cpu0 = processCpuMicros(idle.pid);
  const t0 = monotonicNs();
  await abortableSleep(p.idleMs, ctx.signal);
  if (ctx.signal.aborted) return result();
  const cpu1 = processCpuMicros(idle.pid);
  const rss = processRssBytes(idle.pid);
  const wallUs = Number(monotonicNs() - t0) / 1e3;
  if (cpu0 !== undefined && cpu1 !== undefined)
    metrics['footprint.idle_cpu_pct'] = {
      value: roundTo((100 * (cpu1 - cpu0)) / wallUs, 3),
      unit: 'pct',
      better: 'lower',
    };
  else warnings.push('idle CPU not measured: /proc cannot tell the CPU time of the proxy here');
  if (rss !== undefined) metrics['footprint.idle_rss_bytes'] = { value: rss, unit: 'bytes', better: 'lower' };
  await ctx.stop(idle);
  ctx.checkpoint(result);

  ctx.step('package size (npm pack --dry-run)');
  const pack = await packageSize(ctx.signal);
  if (typeof pack === 'string') warnings.push(`package size not measured: ${pack}`);
  else {
    metrics['footprint.package_bytes'] = { value: pack.size, unit: 'bytes', better: 'lower' };
    metrics['footprint.unpacked_bytes'] = { value: pack.unpackedSize, unit: 'bytes', better: 'lower' };
    metrics['footprint.package_files'] = { value: pack.entryCount, unit: 'count', better: 'none' };
  }
  ctx.checkpoint(result);

  // Profile: the proxy alone under steady load; V8 writes the profile when it exits, so it is ended before reading.
  const dir = await mkdtemp(join(tmpdir(), 'mcp-perf-cpuprof-'));
  ctx.defer(() => rm(dir, { recursive: true, force: true }));
  const profiled = await ctx.start('proxy-profiled', proxyArgs, {
    nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', 'proxy.cpuprofile'],
  });
  ctx.ready();
  const target = ctx.connect(new URL(profiled.url), { connections: 64 });
  const sessions = await ctx.openSessions(target, p.sessions);
  if (ctx.signal.aborted) return result();
  const end = ctx.trialStarted({ phase: 'latency', trial: 1, trials: 1, target: 'proxy-profiled' });
  const fromUs = Number(monotonicNs() / 1000n);
  const outcome = await drive('constant-arrival-rate', {
    rate: p.rate,
    maxInFlight: Math.max(64, p.rate),
    durationMs: p.profileMs,
    source: new CallSource(sessions, {}),
    signal: ctx.signal,
  });
  const toUs = Number(monotonicNs() / 1000n);
  const errors = outcome.achieved.completed - outcome.achieved.ok + outcome.achieved.dropped;
  end({ askedRate: p.rate, achievedRate: outcome.achieved.rate, errors });
  if (ctx.signal.aborted) return result();
  await Promise.all(sessions.map((s) => s.close()));
  await ctx.stop(profiled);
  metrics['footprint.profile_errors'] = { value: errors, unit: 'count', better: 'lower' };
  metrics['footprint.profile_rate'] = { value: roundTo(outcome.achieved.rate, 1), unit: 'rps', better: 'none' };
  const file = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined)
    throw new McpPerfError('MCP_PERF_CHILD_EXIT', `the profiled proxy wrote no CPU profile into ${dir}`);
  const profile = summariseCpuProfile(JSON.parse(await readFile(join(dir, file), 'utf8')), {
    window: { fromUs, toUs },
    process: `mcp-perf proxy (reverse), ${p.rate} calls/s open model over ${p.sessions} sessions, ${(p.profileMs / 1000).toFixed(1)} s`,
  });
  metrics['footprint.profile_busy_pct'] = { value: roundTo(100 - profile.idlePct, 1), unit: 'pct', better: 'lower' };
  return result(profile);
}

/** `npm pack --dry-run --json` here: sizes of the tarball a user downloads, or why they could not be had. */
async function packageSize(
  signal: AbortSignal,
): Promise<{ size: number; unpackedSize: number; entryCount: number } | string> {
  const r = await execa('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: PACKAGE_ROOT,
    reject: false,
    cancelSignal: signal,
    timeout: 60_000,
    stdin: 'ignore',
  });
  if (r.exitCode !== 0) return `npm pack failed (${String(r.stderr).trim().split('\n').pop() ?? r.exitCode})`;
  try {
    const [entry] = JSON.parse(String(r.stdout)) as Array<{ size: number; unpackedSize: number; entryCount: number }>;
    if (entry === undefined || typeof entry.size !== 'number') return 'npm pack printed no sizes';
    return { size: entry.size, unpackedSize: entry.unpackedSize, entryCount: entry.entryCount };
  } catch {
    return 'npm pack printed something that is not JSON';
  }
}

const footprintKind: ScenarioKind<FootprintScenario> = {
  kind: 'footprint',
  estimateMs: (scenario, profile) => {
    const p = scenario.profiles[profile];
    return p.startups * 400 + SETTLE_MS + p.idleMs + 4_000 + p.profileMs + 3_000;
  },
  run: runFootprint,
};

export default footprintKind;
