/**
 * Runs the trials of a comparison: base and head alternate (B H B H …) on this machine, each trial one
 * `mcp-perf run` of the side's own build, so drift over the session hits both sides alike. Each run's results.json
 * is one sample. A run that ends in anything but 0 or 99 (thresholds) stops the comparison.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { McpPerfError } from '../../core/runtime/errors.js';
import type { Side } from './worktrees.js';

export interface TrialPlan {
  readonly sides: readonly [Side, Side];
  readonly trials: number;
  readonly scenarios: readonly string[];
  readonly profile: string;
  readonly outDir: string;
  /** Extra flags for each side's proxies (`mcp-perf run --proxy-args`), e.g. an injected latency for an experiment. */
  readonly proxyArgs: { readonly base: string; readonly head: string };
  readonly signal: AbortSignal;
  readonly progress: (line: string) => void;
}

export async function runTrials(plan: TrialPlan): Promise<{ base: string[]; head: string[] }> {
  const paths = { base: [] as string[], head: [] as string[] };
  const started = performance.now();
  for (let i = 1; i <= plan.trials; i++) {
    for (const side of plan.sides) {
      if (plan.signal.aborted) throw plan.signal.reason;
      const dir = join(plan.outDir, side.name, `run-${String(i).padStart(2, '0')}`);
      await mkdir(dir, { recursive: true });
      const args = [
        'run',
        ...plan.scenarios,
        '--profile',
        plan.profile,
        '--out',
        dir,
        '--no-report',
        '--baseline',
        join(plan.outDir, 'no-baseline.json'),
      ];
      const extra = plan.proxyArgs[side.name];
      if (extra !== '') args.push(`--proxy-args=${extra}`); // with =: a value starting with -- is otherwise read as a flag
      const t0 = performance.now();
      const r = await execa(process.execPath, [join(side.root, 'bin', 'mcp-perf.js'), ...args], {
        cwd: side.root,
        reject: false,
        all: true,
        stdin: 'ignore',
        cancelSignal: plan.signal,
        env: { CI: 'true' }, // plain progress lines in the log, no live terminal line
      });
      await writeFile(join(dir, 'run.log'), String(r.all ?? ''));
      if (plan.signal.aborted) throw plan.signal.reason;
      if (r.exitCode !== 0 && r.exitCode !== 99) {
        throw new McpPerfError(
          'MCP_PERF_CHILD_EXIT',
          `${side.name} (${side.label}) trial ${i}: \`mcp-perf ${args.join(' ')}\` exited ${String(r.exitCode)}; log: ${join(dir, 'run.log')}\n${String(r.all ?? '').slice(-800)}`,
        );
      }
      paths[side.name].push(join(dir, 'results.json'));
      const elapsed = (performance.now() - started) / 1000;
      const done = (i - 1) * 2 + (side.name === 'base' ? 1 : 2);
      const left = (elapsed / done) * (plan.trials * 2 - done);
      plan.progress(
        `trial ${i}/${plan.trials} ${side.name.padEnd(4)} ${((performance.now() - t0) / 1000).toFixed(0)} s${r.exitCode === 99 ? ' (a threshold failed)' : ''} · ~${Math.ceil(left / 60)} min left`,
      );
    }
  }
  return paths;
}
