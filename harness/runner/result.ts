/** The parts every scenario runner's result shares, built in one place. */
import type { ProfileName } from '../../scenarios/define.js';
import type { Histogram } from 'hdr-histogram-js';
import { encodeHistogram, summarise } from '../../core/measure/histogram.js';
import type { CompletedScenario, LatencyModel, LatencyRecord } from '../results/schema.js';

type Described = {
  readonly name: string;
  readonly description: string;
  readonly kind: string;
  readonly thresholds: readonly string[];
  readonly goals: readonly string[];
};
type Measured = Pick<CompletedScenario, 'metrics' | 'targets' | 'trials' | 'warnings'> &
  Partial<Pick<CompletedScenario, 'series'>>;

/** A completed scenario (without the start time and duration the run loop adds): its declaration plus what was measured. */
export function completedScenario(
  scenario: Described,
  profile: ProfileName,
  settings: Readonly<Record<string, unknown>>,
  measured: Measured,
): Omit<CompletedScenario, 'startedAt' | 'durationMs'> {
  return {
    name: scenario.name,
    description: scenario.description,
    kind: scenario.kind,
    profile,
    settings,
    thresholds: scenario.thresholds,
    goals: scenario.goals,
    state: 'completed',
    ...measured,
  };
}

/** A histogram as stored in results.json, tagged with how it was timed; nothing when it holds no sample. */
export function latencyRecord(model: LatencyModel, histogram: Histogram): LatencyRecord | undefined {
  if (histogram.totalCount === 0) return undefined;
  return { model, unit: 'us', histogram: encodeHistogram(histogram), summary: summarise(histogram) };
}

/** Rounds to `digits` decimals, for figures stored in results.json. */
export function roundTo(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
