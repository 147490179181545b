/**
 * Base runs against head runs, metric by metric: each results file is one sample. A metric is compared when it
 * moves (`better` is not 'none') and is gated (named by a threshold or goal of its scenario) or asked for by name —
 * or every moving metric with `metrics: 'all'`. Decisions as benchstat makes them:
 *
 *   change   Hodges–Lehmann shift of head against base, as a percentage of the base median, with its 95% interval
 *   p        Mann–Whitney U, two-sided; adjusted by Holm–Bonferroni across the metrics compared
 *   floor    the larger of the noise floor asked for and this metric's own run-to-run noise (one robust standard
 *            deviation, 1.4826 × the median absolute deviation of each run from its side's median, in % of base)
 *   verdict  "~" unless the adjusted p is below alpha AND the change is at least the floor; then improved or
 *            regressed according to the metric's better direction
 *
 * Thresholds are judged on the comparison too: an absolute one on head's median, a relative one on the change.
 */
import { parseThreshold, type Threshold } from '../../scenarios/thresholds.js';
import type { CompletedScenario, ResultsFile, Unit } from '../results/schema.js';
import { hodgesLehmann, holm, mannWhitney, median } from './stats.js';

export type CompareVerdict = 'improved' | '~' | 'regressed';

export interface CompareOptions {
  /** Significance level for the family of metrics. @default 0.05 */
  readonly alpha: number;
  /** Changes smaller than this, in percent of the base median, are "~" whatever the p-value. @default 5 */
  readonly noiseFloorPct: number;
  /** 'gated': metrics named by thresholds or goals (plus `extraMetrics`); 'all': every metric that moves. */
  readonly metrics: 'gated' | 'all';
  readonly extraMetrics: readonly string[];
}

export const COMPARE_DEFAULTS: Readonly<CompareOptions> = Object.freeze({
  alpha: 0.05,
  noiseFloorPct: 5,
  metrics: 'gated',
  extraMetrics: [],
});

export interface CompareRow {
  readonly scenario: string;
  readonly metric: string;
  readonly unit: Unit;
  readonly better: 'lower' | 'higher';
  readonly base: readonly number[];
  readonly head: readonly number[];
  readonly baseMedian: number;
  readonly headMedian: number;
  /** Hodges–Lehmann shift as % of the base median, with its 95% interval (null where it cannot be had). */
  readonly changePct: number | null;
  readonly ciLowPct: number | null;
  readonly ciHighPct: number | null;
  /** The noise floor applied to this metric, % of the base median. */
  readonly floorPct: number;
  readonly p: number;
  readonly pAdjusted: number;
  readonly verdict: CompareVerdict;
  /** Why the verdict is "~" when the test alone would not say so (below the noise floor, too few samples). */
  readonly note?: string;
}

export interface ThresholdCheck {
  readonly scenario: string;
  readonly threshold: string;
  /** Head's median (absolute thresholds) or the change in % (relative ones); null when the metric is missing. */
  readonly value: number | null;
  readonly pass: boolean;
  readonly goal: boolean;
}

export interface Comparison {
  readonly options: CompareOptions;
  readonly samples: { readonly base: number; readonly head: number };
  readonly rows: readonly CompareRow[];
  readonly thresholds: readonly ThresholdCheck[];
  /** Metrics in the Holm–Bonferroni family (those that varied at all). */
  readonly tested: number;
  readonly regressed: number;
  readonly improved: number;
  readonly thresholdsFailed: number;
  /** Base and head ran on machines with different fingerprints: absolute figures do not transfer. */
  readonly machineMismatch: boolean;
  readonly warnings: readonly string[];
}

export function compareRuns(
  base: readonly ResultsFile[],
  head: readonly ResultsFile[],
  options: CompareOptions = COMPARE_DEFAULTS,
): Comparison {
  if (base.length === 0 || head.length === 0)
    throw new Error('a comparison needs at least one results file on each side');
  const warnings: string[] = [];
  const fingerprints = new Set([...base, ...head].map((r) => r.environment.machineFingerprint));
  const machineMismatch = fingerprints.size > 1;
  const profiles = new Set([...base, ...head].map((r) => r.run.profile));
  if (profiles.size > 1)
    warnings.push(`the runs used different profiles (${[...profiles].join(', ')}): their figures are not comparable`);
  if (Math.min(base.length, head.length) < 5)
    warnings.push(
      `only ${Math.min(base.length, head.length)} run(s) on one side: with fewer than 5 per side no change can reach significance`,
    );

  // Scenario by scenario, as completed on every run of both sides.
  const names = [...new Set(head.flatMap((r) => r.scenarios.map((s) => s.name)))];
  const pending: Array<Omit<CompareRow, 'pAdjusted' | 'verdict' | 'note'>> = [];
  const thresholdSources: Array<{ scenario: string; source: string; goal: boolean }> = [];
  for (const name of names) {
    const b = completed(base, name);
    const h = completed(head, name);
    if (b.length < base.length || h.length < head.length) {
      warnings.push(
        `${name}: failed or missing in ${base.length - b.length} base and ${head.length - h.length} head run(s); compared over the rest`,
      );
    }
    if (b.length === 0 || h.length === 0) continue;
    const spec = h[0]!;
    const gated = new Set([...spec.thresholds, ...spec.goals].map((t) => parseThreshold(t).metric));
    for (const t of spec.thresholds) thresholdSources.push({ scenario: name, source: t, goal: false });
    for (const t of spec.goals) thresholdSources.push({ scenario: name, source: t, goal: true });
    for (const [metric, m] of Object.entries(spec.metrics)) {
      if (m.better === 'none') continue;
      if (options.metrics === 'gated' && !gated.has(metric) && !options.extraMetrics.includes(metric)) continue;
      const bv = b.map((s) => s.metrics[metric]?.value).filter((v): v is number => v !== undefined);
      const hv = h.map((s) => s.metrics[metric]?.value).filter((v): v is number => v !== undefined);
      if (bv.length === 0 || hv.length === 0) continue;
      const baseMedian = median(bv);
      const headMedian = median(hv);
      const shift = hodgesLehmann(bv, hv);
      const scale = Math.abs(baseMedian);
      const pct = (v: number | null): number | null => (v === null || scale === 0 ? null : round2((v / scale) * 100));
      const test = mannWhitney(hv, bv);
      const residuals = [...bv.map((v) => v - baseMedian), ...hv.map((v) => v - headMedian)];
      const noisePct = scale === 0 ? 0 : ((1.4826 * median(residuals.map(Math.abs))) / scale) * 100;
      pending.push({
        scenario: name,
        metric,
        unit: m.unit,
        better: m.better,
        base: bv,
        head: hv,
        baseMedian,
        headMedian,
        changePct: pct(shift.estimate),
        ciLowPct: pct(shift.low),
        ciHighPct: pct(shift.high),
        p: test.p,
        floorPct: round2(Math.max(options.noiseFloorPct, noisePct)),
      });
    }
  }
  for (const extra of options.extraMetrics) {
    if (!pending.some((r) => r.metric === extra))
      warnings.push(`metric "${extra}" was asked for but no compared scenario has it`);
  }

  // A metric with one value throughout (error counts at 0) is no hypothesis: it stays out of the Holm family.
  const constant = (r: (typeof pending)[number]): boolean => [...r.base, ...r.head].every((v) => v === r.base[0]);
  const tested = pending.filter((r) => !constant(r));
  const adjusted = holm(tested.map((t) => t.p));
  const adjustedOf = new Map(tested.map((r, i) => [r, adjusted[i]!] as const));
  const rows: CompareRow[] = pending.map((r) => {
    if (constant(r)) return { ...r, pAdjusted: 1, verdict: '~' as const, note: 'the same value in every run' };
    const pAdjusted = adjustedOf.get(r)!;
    const significant = pAdjusted < options.alpha;
    const big = r.changePct !== null && Math.abs(r.changePct) >= r.floorPct;
    if (!significant || !big) {
      const note = significant && !big ? `below the ${r.floorPct}% noise floor` : undefined;
      return { ...r, pAdjusted, verdict: '~' as const, ...(note !== undefined ? { note } : {}) };
    }
    const worse = r.better === 'lower' ? r.changePct! > 0 : r.changePct! < 0;
    return { ...r, pAdjusted, verdict: worse ? ('regressed' as const) : ('improved' as const) };
  });

  const thresholds = thresholdSources.map(({ scenario, source, goal }) =>
    judge(scenario, parseThreshold(source), rows, head, goal),
  );
  return {
    options,
    samples: { base: base.length, head: head.length },
    rows,
    thresholds,
    tested: tested.length,
    regressed: rows.filter((r) => r.verdict === 'regressed').length,
    improved: rows.filter((r) => r.verdict === 'improved').length,
    thresholdsFailed: thresholds.filter((t) => !t.pass && !t.goal).length,
    machineMismatch,
    warnings,
  };
}

function completed(runs: readonly ResultsFile[], name: string): CompletedScenario[] {
  return runs.flatMap((r) =>
    r.scenarios.filter((s): s is CompletedScenario => s.name === name && s.state === 'completed'),
  );
}

function judge(
  scenario: string,
  t: Threshold,
  rows: readonly CompareRow[],
  head: readonly ResultsFile[],
  goal: boolean,
): ThresholdCheck {
  const row = rows.find((r) => r.scenario === scenario && r.metric === t.metric);
  let value: number | null;
  if (t.kind === 'relative') {
    value = row?.changePct ?? null;
  } else {
    const values = completed(head, scenario)
      .map((s) => s.metrics[t.metric]?.value)
      .filter((v): v is number => v !== undefined);
    value = values.length > 0 ? median(values) : null;
  }
  const pass = value !== null && holds(value, t);
  return { scenario, threshold: t.source, value, pass, goal };
}

function holds(value: number, t: Threshold): boolean {
  switch (t.op) {
    case '<':
      return value < t.limit;
    case '<=':
      return value <= t.limit;
    case '>':
      return value > t.limit;
    case '>=':
      return value >= t.limit;
  }
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
