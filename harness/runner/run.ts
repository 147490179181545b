/**
 * Runs scenarios one after another, each with its own processes, and assembles the results file. A scenario that
 * fails (a process would not start, the target fell over) is recorded as failed and the run goes on; an abort
 * (Ctrl-C, the watchdog) ends the scenario in progress and returns the ones completed, marked interrupted.
 */
import { randomUUID } from 'node:crypto';
import { UNGATED_PROFILES, type ProfileName, type Scenario } from '../../scenarios/define.js';
import { captureEnvironment } from '../measure/environment.js';
import { runSpeed } from '../measure/speed.js';
import { watchMachineLoad } from '../measure/machine-load.js';
import { RESULTS_SCHEMA, SCHEMA_VERSION, type ResultsFile, type ScenarioResult } from '../results/schema.js';
import { VERSION } from '../version.js';
import type { TargetSpec } from '../../scenarios/targets.js';
import type { ProcessGroup } from './children.js';
import { createContext } from './context.js';
import type { KindResult } from './kind.js';
import { kindOf } from './kinds.js';
import type { EventSink } from './events.js';

export interface RunOptions {
  readonly scenarios: readonly Scenario[];
  readonly profile: ProfileName;
  readonly cwd: string;
  readonly group: ProcessGroup;
  readonly signal: AbortSignal;
  readonly emit: EventSink;
  /** The targets table comparison seats are filled from; default scenarios/targets.ts. */
  readonly targets?: Readonly<Record<string, TargetSpec>>;
  /**
   * Measure the speed figures that key a testbed (~1 s: a fresh node process): only when a baseline can use them —
   * one to find or to write, or a history to keep. @default true
   */
  readonly measureSpeed?: boolean;
}

export async function runScenarios(options: RunOptions): Promise<ResultsFile> {
  const startedAt = new Date().toISOString();
  // Measured before any load, on a quiet machine: the speed figures key this run's testbed (baseline/store.ts).
  const environment = {
    ...captureEnvironment(options.cwd),
    ...(options.measureSpeed === false ? {} : { speed: await runSpeed() }),
  };
  const results: ScenarioResult[] = [];

  for (const [index, scenario] of options.scenarios.entries()) {
    if (options.signal.aborted) break;
    options.emit({ type: 'scenario-start', scenario: scenario.name, index, total: options.scenarios.length });
    const t0 = performance.now();
    const scenarioStartedAt = new Date().toISOString();
    /** Records a measured scenario; `partial` when an abort cut it and this is its last checkpoint. */
    const keep = (result: KindResult, partial: boolean): void => {
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
      const elapsedMs = performance.now() - t0;
      const machineLoad = machine.end();
      const kept: ScenarioResult = {
        ...result,
        ...ungated,
        ...(machineLoad === undefined ? {} : { machineLoad }),
        startedAt: scenarioStartedAt,
        durationMs: Math.round(elapsedMs),
      };
      results.push(
        partial
          ? {
              ...kept,
              partial: true,
              warnings: [
                `interrupted after ${(elapsedMs / 1000).toFixed(1)} s: these figures cover only what had completed by its last checkpoint${result.trials.length > 0 ? ` (${result.trials.length} trials)` : ''}`,
                ...kept.warnings,
              ],
            }
          : kept,
      );
      options.emit({
        type: 'scenario-end',
        scenario: scenario.name,
        state: partial ? 'partial' : 'completed',
        elapsedMs,
      });
    };
    const frame = createContext({ ...options, scenario, profileName: options.profile });
    // What else the machine did meanwhile: a busy machine makes timing verdicts inconclusive (baseline/diff.ts).
    const machine = watchMachineLoad();
    /** An abort inside the scenario: its last checkpoint is kept, flagged partial; without one, nothing is. */
    const keepCheckpoint = (): void => {
      let checkpoint: KindResult | undefined;
      try {
        checkpoint = frame.lastCheckpoint();
      } catch {
        checkpoint = undefined; // a checkpoint that cannot be built is no checkpoint
      }
      if (checkpoint !== undefined) keep(checkpoint, true);
    };
    try {
      const result = await (await kindOf(scenario)).run(frame.ctx);
      if (options.signal.aborted) {
        keepCheckpoint(); // what finished after the last checkpoint may have been cut short
        break;
      }
      keep(result, false);
    } catch (err) {
      if (options.signal.aborted) {
        keepCheckpoint();
        break;
      }
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
      await frame.cleanUp();
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

/** Expected wall time of a scenario in a profile, for the run's watchdog and the progress line. */
export async function estimateMs(scenario: Scenario, profile: ProfileName): Promise<number> {
  return (await kindOf(scenario)).estimateMs(scenario, profile);
}
