/**
 * Runs the components scenario: `mcp-perf proxy-bench` in its own process (the harness never loads proxy code),
 * then turns its per-operation percentiles (ns) into metrics.
 */
import { execa } from 'execa';
import type { ComponentsScenario } from '../../../scenarios/define.js';
import { McpPerfError } from '../../../core/runtime/errors.js';
import type { Metric } from '../../results/schema.js';
import { CLI_BIN } from '../children.js';
import type { KindResult, RunContext, ScenarioKind } from '../kind.js';

const COMPONENTS = 6;

export async function runComponents(ctx: RunContext<ComponentsScenario>): Promise<KindResult> {
  const { signal } = ctx;
  const msEach = ctx.profile.msEach;
  const done = ctx.trialStarted({ phase: 'latency', trial: 1, trials: 1, target: 'proxy-bench' });
  const child = await execa(process.execPath, [CLI_BIN, 'proxy-bench', '--ms', String(msEach)], {
    reject: false,
    cancelSignal: signal,
    cleanup: true,
    timeout: msEach * COMPONENTS * 3 + 30_000,
    stdin: 'ignore',
  });
  if (signal.aborted) return ctx.result({ msEach }, { metrics: {}, targets: {}, trials: [], warnings: [] }); // not kept
  const line = String(child.stdout)
    .split('\n')
    .find((l) => l.startsWith('{"event":"components"'));
  if (child.exitCode !== 0 || line === undefined) {
    throw new McpPerfError(
      'MCP_PERF_CHILD_EXIT',
      `mcp-perf proxy-bench failed (exit ${String(child.exitCode)}): ${String(child.stderr).slice(-400)}`,
    );
  }
  const results = (
    JSON.parse(line) as { results: Record<string, { ns: { p50: number; p99: number }; opsPerSec: number }> }
  ).results;
  const metrics: Record<string, Metric> = {};
  for (const [name, r] of Object.entries(results)) {
    metrics[`components.${name}.p50_ns`] = { value: r.ns.p50, unit: 'ns', better: 'lower' };
    metrics[`components.${name}.p99_ns`] = { value: r.ns.p99, unit: 'ns', better: 'lower' };
    metrics[`components.${name}.ops_per_sec`] = { value: r.opsPerSec, unit: 'rps', better: 'higher' };
  }
  done({ askedRate: null, achievedRate: 0, errors: 0 });
  return ctx.result({ msEach }, { metrics, targets: {}, trials: [], warnings: [] });
}

const componentsKind: ScenarioKind<ComponentsScenario> = {
  kind: 'components',
  estimateMs: (scenario, profile) => scenario.profiles[profile].msEach * 1.2 * 6 + 2_000,
  run: runComponents,
};

export default componentsKind;
