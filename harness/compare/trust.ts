/**
 * The experiment that shows `mcp-perf compare` can be trusted, on this build and this machine:
 *
 *   A/A   the same build on both sides must flag nothing;
 *   A/B   with the proxy's injected latency set to a share (+10% by default) of the proxied p50, it must flag a
 *         regression.
 *
 * Runs cost most, so they are pooled: `poolA` plain runs and `poolB` injected runs, made interleaved (A A B A A B …)
 * so drift hits both pools. Each A/A comparison is a seeded random split of pool A into two disjoint sides of
 * `perSide`; each A/B comparison takes `perSide` random runs from each pool. Comparisons drawn from one pool share
 * runs, so they are not independent trials: the figures say how the decision behaves on this machine's noise, not
 * a false-alarm rate to three decimals.
 */
import { join } from 'node:path';
import { execa } from 'execa';
import { seededRandom } from '../../core/runtime/random.js';
import { McpPerfError } from '../../core/runtime/errors.js';
import { readResults } from '../results/io.js';
import type { CompletedScenario, ResultsFile } from '../results/schema.js';
import { CLI_BIN } from '../runner/children.js';
import { compareRuns, type CompareOptions } from './analyse.js';

export interface TrustPlan {
  readonly scenario: string;
  readonly profile: string;
  /** Only these seats run (`run --seats`); every seat when absent. */
  readonly seats?: readonly string[];
  readonly poolA: number;
  readonly poolB: number;
  readonly perSide: number;
  readonly comparisons: number;
  /** Injected latency as a percentage of the proxied p50 of the first plain run. */
  readonly injectPct: number;
  readonly seed: number;
  readonly compare: CompareOptions;
  readonly outDir: string;
  readonly signal: AbortSignal;
  readonly progress: (line: string) => void;
}

export interface TrustResult {
  readonly plan: Omit<TrustPlan, 'signal' | 'progress' | 'outDir'>;
  readonly injectedMs: number;
  /** A/A comparisons that flagged anything (regressed or improved). */
  readonly aaFlagged: number;
  /** A/B comparisons that flagged a regression. */
  readonly abDetected: number;
  readonly aa: ReadonlyArray<{ readonly flagged: readonly string[] }>;
  readonly ab: ReadonlyArray<{ readonly regressed: readonly string[] }>;
}

export async function runTrustExperiment(plan: TrustPlan): Promise<TrustResult> {
  if (plan.poolA < 2 * plan.perSide)
    throw new McpPerfError(
      'MCP_PERF_CONFIG',
      `pool A (${plan.poolA}) must hold two disjoint sides of ${plan.perSide}`,
      { exitCode: 2 },
    );
  if (plan.poolB < plan.perSide)
    throw new McpPerfError('MCP_PERF_CONFIG', `pool B (${plan.poolB}) must hold at least one side of ${plan.perSide}`, {
      exitCode: 2,
    });
  const a: ResultsFile[] = [];
  const b: ResultsFile[] = [];
  const run = async (pool: 'a' | 'b', extra: string[]): Promise<ResultsFile> => {
    const list = pool === 'a' ? a : b;
    const dir = join(plan.outDir, pool, `run-${String(list.length + 1).padStart(2, '0')}`);
    const args = [
      'run',
      plan.scenario,
      '--profile',
      plan.profile,
      '--out',
      dir,
      '--no-report',
      '--baseline',
      join(plan.outDir, 'no-baseline.json'),
      ...(plan.seats === undefined ? [] : ['--seats', plan.seats.join(',')]),
      ...extra,
    ];
    const r = await execa(process.execPath, [CLI_BIN, ...args], {
      reject: false,
      all: true,
      stdin: 'ignore',
      cancelSignal: plan.signal,
      env: { CI: 'true' },
    });
    if (plan.signal.aborted) throw plan.signal.reason;
    if (r.exitCode !== 0 && r.exitCode !== 99)
      throw new McpPerfError(
        'MCP_PERF_CHILD_EXIT',
        `mcp-perf ${args.join(' ')} exited ${String(r.exitCode)}:\n${String(r.all).slice(-800)}`,
      );
    const results = await readResults(join(dir, 'results.json'));
    list.push(results);
    plan.progress(`pool ${pool.toUpperCase()} ${list.length}/${pool === 'a' ? plan.poolA : plan.poolB}`);
    return results;
  };

  const first = await run('a', []);
  const p50 = (first.scenarios.find((s) => s.name === plan.scenario) as CompletedScenario | undefined)?.metrics[
    'proxied.latency.p50_us'
  ]?.value;
  if (p50 === undefined)
    throw new McpPerfError(
      'MCP_PERF_TARGET',
      `scenario ${plan.scenario} has no proxied.latency.p50_us to size the injected latency from`,
    );
  const injectedMs = Math.round(((p50 * plan.injectPct) / 100 / 1000) * 1000) / 1000;
  plan.progress(`proxied p50 ${p50} µs: injecting ${injectedMs} ms (+${plan.injectPct}%) in pool B`);
  // Interleave so that machine drift reaches both pools alike.
  while (a.length < plan.poolA || b.length < plan.poolB) {
    const wantA = a.length / plan.poolA <= b.length / plan.poolB;
    if (wantA && a.length < plan.poolA) await run('a', []);
    else await run('b', [`--proxy-args=--inject-latency-ms ${injectedMs}`]);
  }

  const random = seededRandom(plan.seed);
  const shuffled = <T>(xs: readonly T[]): T[] => {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };
  const aa = Array.from({ length: plan.comparisons }, () => {
    const s = shuffled(a);
    const c = compareRuns(s.slice(0, plan.perSide), s.slice(plan.perSide, 2 * plan.perSide), plan.compare);
    return { flagged: c.rows.filter((r) => r.verdict !== '~').map((r) => `${r.metric} ${r.verdict} ${r.changePct}%`) };
  });
  const ab = Array.from({ length: plan.comparisons }, () => {
    const c = compareRuns(shuffled(a).slice(0, plan.perSide), shuffled(b).slice(0, plan.perSide), plan.compare);
    return { regressed: c.rows.filter((r) => r.verdict === 'regressed').map((r) => `${r.metric} ${r.changePct}%`) };
  });
  const { signal: _s, progress: _p, outDir: _o, ...kept } = plan;
  return {
    plan: kept,
    injectedMs,
    aaFlagged: aa.filter((x) => x.flagged.length > 0).length,
    abDetected: ab.filter((x) => x.regressed.length > 0).length,
    aa,
    ab,
  };
}
