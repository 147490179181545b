/**
 * What a scenario kind is: how long a scenario of it takes in a profile, and how it runs. The run loop (run.ts) owns
 * everything kinds share — ordering, progress events around each scenario, ending every process the scenario
 * started on every path out, turning a throw into a failed scenario, keeping what an aborted scenario had completed
 * (its last checkpoint) flagged partial, the smoke profile's ungating — and finds a kind by name in the registry
 * (kinds.ts). A new kind is one file exporting
 * a ScenarioKind, one line in the registry, and its scenario type in scenarios/define.ts.
 */
import type { ProfileName, Scenario } from '../../scenarios/define.js';
import type { CompletedScenario } from '../results/schema.js';
import type { ProcessGroup } from './children.js';
import type { EventSink } from './events.js';

/** What a kind's run gets: its scenario and profile, the process group to start targets in, the abort, progress. */
export interface RunContext<S extends Scenario> {
  readonly scenario: S;
  readonly profileName: ProfileName;
  /** Processes started here are ended by the run loop when the scenario ends, however it ends. */
  readonly group: ProcessGroup;
  /**
   * Aborted on Ctrl-C, SIGTERM or the run's watchdog: stop promptly. What the last checkpoint held is kept, flagged
   * partial; anything measured after it (a trial the abort cut short) is not.
   */
  readonly signal: AbortSignal;
  readonly emit: EventSink;
  /**
   * The result so far, complete in itself (whole trials or steps only): kept, flagged partial, if the run is aborted
   * before the kind returns. A kind with one indivisible measurement never calls it, and an abort keeps nothing.
   */
  checkpoint(result: KindResult): void;
}

/** A measured scenario, without the start time and duration the run loop adds. */
export type KindResult = Omit<CompletedScenario, 'startedAt' | 'durationMs'>;

export interface ScenarioKind<S extends Scenario> {
  readonly kind: S['kind'];
  /** Expected wall time in a profile, for the watchdog and the progress line. */
  estimateMs(scenario: S, profile: ProfileName): number;
  run(ctx: RunContext<S>): Promise<KindResult>;
}
