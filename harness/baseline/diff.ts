/**
 * Diffs a run against the baseline, metric by metric, and decides each threshold. A pure function of two results
 * files: the same inputs always give the same verdicts, so a diff can be redone from files alone.
 */
import type { BaselineComparison, DiffRow, ResultsFile, ScenarioResult, Verdict } from '../results/schema.js';
import { compare, parseThreshold, percentChange, type Threshold } from '../../scenarios/thresholds.js';

type Run = Pick<ResultsFile, 'scenarios' | 'environment'>;

export function diffAgainstBaseline(now: Run, baseline: ResultsFile | null, baselinePath: string): BaselineComparison {
  const rows: DiffRow[] = [];
  for (const scenario of now.scenarios) rows.push(...diffScenario(scenario, baseline?.scenarios.find((s) => s.name === scenario.name)));
  return {
    baselinePath,
    baselineCommit: baseline?.environment.gitCommit ?? null,
    baselineStartedAt: baseline?.run.startedAt ?? null,
    machineMismatch: baseline !== null && baseline.environment.machineFingerprint !== now.environment.machineFingerprint,
    rows,
    failed: rows.filter((r) => r.verdict === 'fail').length,
    missed: rows.filter((r) => r.verdict === 'miss').length,
  };
}

function diffScenario(scenario: ScenarioResult, base: ScenarioResult | undefined): DiffRow[] {
  if (scenario.state === 'failed') {
    return [{ scenario: scenario.name, metric: '(scenario)', unit: 'count', baseline: null, now: null, deltaPct: null, verdict: 'fail', thresholds: [], goals: [], note: scenario.error }];
  }
  // A baseline from another profile measured something else: relative thresholds have nothing to stand on.
  const comparable = base?.state === 'completed' && base.profile === scenario.profile ? base : undefined;
  const baseNote =
    base === undefined ? 'no baseline for this scenario' : base.state === 'failed' ? 'the baseline run of this scenario failed' : comparable === undefined ? `baseline was measured with profile ${base.profile}` : undefined;

  const gates = groupByMetric(scenario.thresholds.map(parseThreshold));
  const goals = groupByMetric((scenario.goals ?? []).map(parseThreshold));

  const rows: DiffRow[] = [];
  for (const [metric, m] of Object.entries(scenario.metrics)) {
    const baseValue = comparable?.metrics[metric]?.value ?? null;
    const appliedGates = gates.get(metric) ?? [];
    const appliedGoals = goals.get(metric) ?? [];
    gates.delete(metric);
    goals.delete(metric);
    let verdict = decide(m.value, baseValue, appliedGates);
    const goalVerdict = decide(m.value, baseValue, appliedGoals);
    if (verdict !== 'fail' && goalVerdict === 'fail') verdict = 'miss';
    else if (verdict === 'info') verdict = goalVerdict; // a metric with only goals shows how they fare
    rows.push({
      scenario: scenario.name,
      metric,
      unit: m.unit,
      baseline: baseValue,
      now: m.value,
      deltaPct: baseValue === null ? null : finiteOrNull(percentChange(baseValue, m.value)),
      verdict,
      thresholds: appliedGates.map((t) => t.source),
      goals: appliedGoals.map((t) => t.source),
      ...(verdict === 'no-baseline' && baseNote !== undefined ? { note: baseNote } : {}),
    });
  }
  // A threshold on a metric the scenario did not produce is a failure, never a silent pass (a typo, a renamed metric).
  for (const [kind, left] of [['threshold', gates], ['goal', goals]] as const) {
    for (const [metric, applied] of left) {
      rows.push({
        scenario: scenario.name,
        metric,
        unit: 'count',
        baseline: null,
        now: null,
        deltaPct: null,
        verdict: 'fail',
        thresholds: kind === 'threshold' ? applied.map((t) => t.source) : [],
        goals: kind === 'goal' ? applied.map((t) => t.source) : [],
        note: 'the scenario produced no such metric',
      });
    }
  }
  return rows;
}

function groupByMetric(thresholds: readonly Threshold[]): Map<string, Threshold[]> {
  const byMetric = new Map<string, Threshold[]>();
  for (const t of thresholds) byMetric.set(t.metric, [...(byMetric.get(t.metric) ?? []), t]);
  return byMetric;
}

/** fail if any threshold fails; otherwise no-baseline if a relative one had nothing to compare with; else pass. */
export function decide(now: number, base: number | null, thresholds: readonly Threshold[]): Verdict {
  if (thresholds.length === 0) return 'info';
  let verdict: Verdict = 'pass';
  for (const t of thresholds) {
    if (t.kind === 'absolute') {
      if (!compare(now, t.op, t.limit)) return 'fail';
      continue;
    }
    if (base === null) {
      verdict = 'no-baseline';
      continue;
    }
    // From a zero baseline any growth is unbounded: ±Infinity, which fails a "< +N%" threshold as it should.
    const change = percentChange(base, now) ?? (now > base ? Infinity : -Infinity);
    if (!compare(change, t.op, t.limit)) return 'fail';
  }
  return verdict;
}

function finiteOrNull(value: number | undefined): number | null {
  return value !== undefined && Number.isFinite(value) ? value : null;
}
