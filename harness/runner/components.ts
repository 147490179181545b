/**
 * Runs the components scenario: `mcp-perf proxy-bench` in its own process (the harness never loads proxy code),
 * then turns its per-operation percentiles (ns) into metrics.
 */
import { execa } from 'execa';
import type { ComponentsScenario, ProfileName } from '../../scenarios/define.js';
import { McpPerfError } from '../../core/runtime/errors.js';
import type { CompletedScenario, Metric } from '../results/schema.js';
import { CLI_BIN } from './children.js';
import type { EventSink } from './events.js';
import type { ScenarioKind } from './kind.js';

export interface ComponentsRun {
  readonly scenario: ComponentsScenario;
  readonly profileName: ProfileName;
  readonly signal: AbortSignal;
  readonly emit: EventSink;
}

const COMPONENTS = 6;

export async function runComponents(run: ComponentsRun): Promise<Omit<CompletedScenario, 'startedAt' | 'durationMs'>> {
  const { scenario, signal, emit } = run;
  const msEach = scenario.profiles[run.profileName].msEach;
  const started = performance.now();
  emit({
    type: 'trial-start',
    scenario: scenario.name,
    phase: 'latency',
    trial: 1,
    trials: 1,
    target: 'proxy-bench',
    elapsedMs: 0,
  });
  const child = await execa(process.execPath, [CLI_BIN, 'proxy-bench', '--ms', String(msEach)], {
    reject: false,
    cancelSignal: signal,
    cleanup: true,
    timeout: msEach * COMPONENTS * 3 + 30_000,
    stdin: 'ignore',
  });
  if (signal.aborted) throw new McpPerfError('MCP_PERF_INTERRUPTED', 'components benchmark interrupted');
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
  emit({
    type: 'trial-end',
    scenario: scenario.name,
    phase: 'latency',
    trial: 1,
    trials: 1,
    target: 'proxy-bench',
    elapsedMs: performance.now() - started,
    askedRate: null,
    achievedRate: 0,
    errors: 0,
  });
  return {
    name: scenario.name,
    description: scenario.description,
    kind: scenario.kind,
    profile: run.profileName,
    settings: { msEach },
    thresholds: scenario.thresholds,
    goals: scenario.goals,
    state: 'completed',
    metrics,
    targets: {},
    trials: [],
    warnings: [],
  };
}

export const componentsKind: ScenarioKind<ComponentsScenario> = {
  kind: 'components',
  estimateMs: (scenario, profile) => scenario.profiles[profile].msEach * 1.2 * 6 + 2_000,
  run: (ctx) => runComponents(ctx),
};
