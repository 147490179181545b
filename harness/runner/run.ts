/**
 * Runs scenarios one after another, each with its own processes, and assembles the results file. A scenario that
 * fails (a process would not start, the target fell over) is recorded as failed and the run goes on; an abort
 * (Ctrl-C, the watchdog) ends the scenario in progress and returns the ones completed, marked interrupted.
 */
import { randomUUID } from 'node:crypto';
import { UNGATED_PROFILES, type ProfileName, type Scenario } from '../../scenarios/define.js';
import { captureEnvironment } from '../measure/environment.js';
import {
  RESULTS_SCHEMA,
  SCHEMA_VERSION,
  type CompletedScenario,
  type ResultsFile,
  type ScenarioResult,
} from '../results/schema.js';
import { VERSION } from '../version.js';
import type { ProcessGroup } from './children.js';
import { BURST_WARMUP_MS, runComparison } from './comparison.js';
import { runFanout } from './fanout.js';
import { runComponents } from './components.js';
import { runStdioHammer } from './stdio-hammer.js';
import { runMemory } from './memory.js';
import { runConcurrency } from './concurrency.js';
import { runSoak } from './soak.js';
import { runStress } from './stress.js';
import type { EventSink } from './events.js';

export interface RunOptions {
  readonly scenarios: readonly Scenario[];
  readonly profile: ProfileName;
  readonly cwd: string;
  readonly group: ProcessGroup;
  readonly signal: AbortSignal;
  readonly emit: EventSink;
}

export async function runScenarios(options: RunOptions): Promise<ResultsFile> {
  const startedAt = new Date().toISOString();
  const environment = captureEnvironment(options.cwd);
  const results: ScenarioResult[] = [];

  for (const [index, scenario] of options.scenarios.entries()) {
    if (options.signal.aborted) break;
    options.emit({ type: 'scenario-start', scenario: scenario.name, index, total: options.scenarios.length });
    const t0 = performance.now();
    const scenarioStartedAt = new Date().toISOString();
    try {
      const result = await runScenario(scenario, options);
      if (options.signal.aborted) break; // a partial measurement is not a result
      // In a profile too short to mean anything, every threshold is shown but none gates.
      const ungated = UNGATED_PROFILES.has(options.profile)
        ? {
            thresholds: [],
            goals: [...result.thresholds, ...result.goals],
            warnings: [
              `the ${options.profile} profile checks the pipeline; its numbers mean nothing, so its thresholds are shown as goals`,
              ...result.warnings,
            ],
          }
        : {};
      results.push({
        ...result,
        ...ungated,
        startedAt: scenarioStartedAt,
        durationMs: Math.round(performance.now() - t0),
      });
      options.emit({
        type: 'scenario-end',
        scenario: scenario.name,
        state: 'completed',
        elapsedMs: performance.now() - t0,
      });
    } catch (err) {
      if (options.signal.aborted) break;
      const error = err instanceof Error ? err.message : String(err);
      results.push({
        name: scenario.name,
        description: scenario.description,
        kind: scenario.kind,
        profile: options.profile,
        settings: { ...scenario.profiles[options.profile] },
        thresholds: scenario.thresholds,
        goals: scenario.goals,
        startedAt: scenarioStartedAt,
        durationMs: Math.round(performance.now() - t0),
        state: 'failed',
        error,
      });
      options.emit({
        type: 'scenario-end',
        scenario: scenario.name,
        state: 'failed',
        elapsedMs: performance.now() - t0,
        error,
      });
    } finally {
      await options.group.stopAll();
    }
  }

  return {
    schema: RESULTS_SCHEMA,
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'mcp-perf', version: VERSION },
    run: {
      id: randomUUID(),
      startedAt,
      finishedAt: new Date().toISOString(),
      profile: options.profile,
      scenarios: options.scenarios.map((s) => s.name),
      // Completed scenarios are kept: an interrupt loses only the one in progress.
      interrupted: options.signal.aborted,
    },
    environment,
    scenarios: results,
    baseline: null,
  };
}

function runScenario(
  scenario: Scenario,
  options: RunOptions,
): Promise<Omit<CompletedScenario, 'startedAt' | 'durationMs'>> {
  const run = { profileName: options.profile, group: options.group, signal: options.signal, emit: options.emit };
  switch (scenario.kind) {
    case 'comparison':
      return runComparison({ ...run, scenario, profile: scenario.profiles[options.profile] });
    case 'fanout':
      return runFanout({ ...run, scenario });
    case 'components':
      return runComponents({ ...run, scenario });
    case 'stdio-hammer':
      return runStdioHammer({ ...run, scenario });
    case 'memory':
      return runMemory({ ...run, scenario });
    case 'concurrency':
      return runConcurrency({ ...run, scenario });
    case 'soak':
      return runSoak({ ...run, scenario });
    case 'stress':
      return runStress({ ...run, scenario });
  }
}

/** Expected wall time of a scenario in a profile, for the run's watchdog and the progress line. */
export function estimateMs(scenario: Scenario, profile: ProfileName): number {
  if (scenario.kind === 'components') return scenario.profiles[profile].msEach * 1.2 * 6 + 2_000;
  if (scenario.kind === 'stdio-hammer') {
    const h = scenario.profiles[profile];
    return (
      h.windows.length * (h.warmupMs + h.stepMs + 600) +
      h.warmupMs +
      h.concurrency.length * h.stepMs +
      h.sessions * 60 +
      2_000
    );
  }
  if (scenario.kind === 'stress') {
    const t = scenario.profiles[profile];
    return (
      1.5 * t.probeMs +
      2 * t.beforeMs +
      t.overloadMs +
      t.afterMs +
      scenario.faults.length * (t.beforeMs + t.faultMs + t.afterMs + 500) +
      t.sessions * 20 +
      4_000
    );
  }
  if (scenario.kind === 'soak') {
    const k = scenario.profiles[profile];
    return k.warmupMs + k.durationMs + k.sessions * 100 + 3_000;
  }
  if (scenario.kind === 'concurrency') {
    const c = scenario.profiles[profile];
    return c.clients + (c.clients * (c.callsPerClient + 2)) / 8 + 1_000;
  }
  if (scenario.kind === 'memory') {
    const m = scenario.profiles[profile];
    const opened = m.steps.reduce((a, b) => Math.max(a, b), 0);
    return 2 * ((m.steps.length + 5) * (m.settleMs + 100) + opened * 2) + 2_000;
  }
  if (scenario.kind === 'fanout') {
    const f = scenario.profiles[profile];
    return f.warmupMs + f.durationMs + Math.ceil(f.streams / 50) * 150 + 3_000;
  }
  const p = scenario.profiles[profile];
  const n = scenario.targets.length;
  // An open-model warm-up, and a closed-model burst before each phase.
  return (
    n * (p.warmupMs + 2 * Math.min(p.warmupMs, BURST_WARMUP_MS) + p.trials * (p.latencyTrialMs + p.throughputTrialMs)) +
    3_000
  );
}
