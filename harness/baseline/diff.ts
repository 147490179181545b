/**
 * Diffs a run against the baseline, metric by metric, and decides each threshold. A pure function of two results
 * files: the same inputs always give the same verdicts, so a diff can be redone from files alone.
 *
 * A single run never fails on noise (docs/thresholds.md, "Verdicts"):
 *   - a relative threshold crossed by the merged figure fails only when every trial of the run crossed it too (the
 *     trials' spread excludes the limit); when some did not, or when the figure was measured once and is within
 *     twice its limit, the verdict is "inconclusive" — shown, exit 0, and `mcp-perf compare` decides;
 *   - a timing threshold (µs, req/s, overhead, ratios of them) crossed while the machine was busy (other processes'
 *     CPU, hypervisor steal, the generator sending late) is inconclusive too; errors and counts are never excused.
 */
import type {
  BaselineComparison,
  CompletedScenario,
  DiffRow,
  ResultsFile,
  ScenarioResult,
  Verdict,
} from '../results/schema.js';
import { compare, parseThreshold, percentChange, type Threshold } from '../../scenarios/thresholds.js';
import { busyReason } from '../measure/machine-load.js';
import { peerRounds } from '../results/peers.js';

/** The generator sending more than this share of requests late means the machine could not keep the schedule. */
const LATE_SEND_BUSY_PCT = 1;

type Run = Pick<ResultsFile, 'scenarios' | 'environment'>;

export function diffAgainstBaseline(
  now: Run,
  baseline: ResultsFile | null,
  baselinePath: string,
  testbed?: string,
): BaselineComparison {
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
    inconclusive: rows.filter((r) => r.verdict === 'inconclusive').length,
    ...(testbed === undefined ? {} : { testbed }),
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

  const busy = machineBusy(scenario);
  const rows: DiffRow[] = [];
  for (const [metric, m] of Object.entries(scenario.metrics)) {
    const baseValue = comparable?.metrics[metric]?.value ?? null;
    const appliedGates = gates.get(metric) ?? [];
    const appliedGoals = goals.get(metric) ?? [];
    gates.delete(metric);
    goals.delete(metric);
    const trials = trialValues(scenario, metric) ?? peerRounds(scenario, metric);
    const judged = judge(m.value, baseValue, appliedGates, {
      trials,
      busy: isTiming(metric, m.unit) ? busy : undefined,
    });
    let verdict = judged.verdict;
    const goalVerdict = decide(m.value, baseValue, appliedGoals);
    const goalNote = appliedGates.length === 0 ? roundsNote(trials, appliedGoals) : undefined;
    if (verdict !== 'fail' && verdict !== 'inconclusive' && goalVerdict === 'fail') verdict = 'miss';
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
      ...(judged.note !== undefined ? { note: judged.note } : {}),
      ...(goalNote !== undefined ? { note: goalNote } : {}),
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

interface Evidence {
  /** The metric's value in each trial of this run, where trials measured it (two or more). */
  readonly trials: readonly number[] | undefined;
  /** Why the machine was too busy to trust this timing figure, if it was. */
  readonly busy: string | undefined;
}

/**
 * A gate's verdict with the run's own evidence: fail only what the noise cannot explain (see the top of this file);
 * otherwise as `decide`.
 */
export function judge(
  now: number,
  base: number | null,
  thresholds: readonly Threshold[],
  evidence: Evidence,
): { verdict: Verdict; note?: string } {
  if (thresholds.length === 0) return { verdict: 'info' };
  let outcome: { verdict: Verdict; note?: string } = { verdict: 'pass' };
  const weaker = (next: { verdict: Verdict; note?: string }): void => {
    const rank: Record<Verdict, number> = { fail: 4, inconclusive: 3, 'no-baseline': 2, miss: 1, pass: 0, info: 0 };
    if (rank[next.verdict] > rank[outcome.verdict]) outcome = next;
  };
  for (const t of thresholds) {
    if (t.kind === 'absolute') {
      if (compare(now, t.op, t.limit)) continue;
      weaker(
        evidence.busy !== undefined
          ? { verdict: 'inconclusive', note: `${evidence.busy}: a timing figure is not judged then` }
          : { verdict: 'fail' },
      );
      continue;
    }
    if (base === null) {
      weaker({ verdict: 'no-baseline' });
      continue;
    }
    const change = (v: number): number => percentChange(base, v) ?? (v > base ? Infinity : -Infinity);
    if (compare(change(now), t.op, t.limit)) continue;
    if (evidence.busy !== undefined) {
      weaker({ verdict: 'inconclusive', note: `${evidence.busy}: a timing figure is not judged then` });
      continue;
    }
    const trials = evidence.trials;
    if (trials !== undefined) {
      const beyond = trials.filter((v) => !compare(change(v), t.op, t.limit)).length;
      weaker(
        beyond === trials.length
          ? { verdict: 'fail', note: `every trial (${beyond} of ${trials.length}) beyond the limit` }
          : {
              verdict: 'inconclusive',
              note: `${beyond} of ${trials.length} trials beyond the limit: within this run's noise; \`mcp-perf compare\` decides`,
            },
      );
      continue;
    }
    // Measured once: no spread of its own to judge by. Beyond twice the limit is more than noise does.
    weaker(
      compare(change(now), t.op, 2 * t.limit)
        ? {
            verdict: 'inconclusive',
            note: `measured once, beyond the limit but within twice it: \`mcp-perf compare\` decides`,
          }
        : { verdict: 'fail', note: 'measured once, beyond twice the limit' },
    );
  }
  return outcome;
}

/** Why a scenario's timing figures cannot be trusted, if they cannot: the machine's load, or the generator late. */
function machineBusy(scenario: CompletedScenario): string | undefined {
  const late = scenario.metrics['load.late_send_pct']?.value;
  if (late !== undefined && late > LATE_SEND_BUSY_PCT)
    return `the load generator sent ${late}% of requests late (the machine could not keep the schedule)`;
  return busyReason(scenario.machineLoad);
}

/** Timing figures (and ratios of them) are what a busy machine distorts; errors, counts and memory are not. */
function isTiming(metric: string, unit: string): boolean {
  return (
    ['us', 'ms', 's', 'ns', 'rps'].includes(unit) ||
    /overhead_pct|throughput_ratio|throughput_vs|p50_ratio|\.added\./.test(metric)
  );
}

/**
 * A comparison metric's value in each trial: latency p50/p99 and throughput per target, and the added latency and
 * overhead at p50/p99 against the first target, round by round. Undefined where trials do not measure it.
 */
export function trialValues(scenario: CompletedScenario, metric: string): number[] | undefined {
  const m = /^([a-z0-9-]+)\.(?:latency\.(p50|p99)_us|added\.(p50|p99)_us|overhead_pct\.(p50|p99)|(throughput_rps))$/.exec(
    metric,
  );
  if (m === null) return undefined;
  const [, target, latency, added, overhead, throughput] = m;
  const of = (phase: 'latency' | 'throughput', name: string) =>
    new Map(scenario.trials.filter((t) => t.phase === phase && t.target === name).map((t) => [t.trial, t]));
  let values: number[];
  if (throughput !== undefined) values = [...of('throughput', target!).values()].map((t) => t.achieved.rate);
  else if (latency !== undefined) values = [...of('latency', target!).values()].map((t) => t[`${latency as 'p50' | 'p99'}_us`]);
  else {
    const p = (added ?? overhead) as 'p50' | 'p99';
    const reference = (scenario.settings as { targets?: readonly string[] }).targets?.[0];
    if (reference === undefined || reference === target) return undefined;
    const mine = of('latency', target!);
    const ref = of('latency', reference);
    values = [];
    for (const [trial, t] of mine) {
      const r = ref.get(trial);
      if (r === undefined) continue;
      const delta = t[`${p}_us`] - r[`${p}_us`];
      values.push(added !== undefined ? delta : (delta / Math.max(1, r[`${p}_us`])) * 100);
    }
  }
  return values.length >= 2 ? values : undefined;
}

/**
 * How a metric's goals fared round by round, when the rounds disagree: the merged figure is the verdict, and this says
 * how far inside the run's noise it was ("met in 1 of 2 rounds"). Absolute goals only; undefined when every round
 * agrees or there are no rounds to tell.
 */
export function roundsNote(trials: readonly number[] | undefined, goals: readonly Threshold[]): string | undefined {
  const absolute = goals.filter((g) => g.kind === 'absolute');
  if (trials === undefined || absolute.length === 0) return undefined;
  const met = trials.filter((v) => absolute.every((g) => compare(v, g.op, g.limit))).length;
  return met === 0 || met === trials.length ? undefined : `met in ${met} of ${trials.length} rounds`;
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
