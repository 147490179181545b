/**
 * The statistics of a comparison, as benchstat makes it: per metric, the medians of base and head, the
 * Hodges–Lehmann estimate of the shift with its distribution-free 95% confidence interval (Moses), and the
 * Mann–Whitney U test; across metrics, Holm–Bonferroni. Nothing assumes normal data: benchmark samples are skewed
 * and have outliers, and ranks do not care.
 */

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('the median of no values');
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface MannWhitney {
  /** U of the first sample: how often one of its values exceeds one of the second's (ties count ½). */
  readonly u: number;
  /** Two-sided p-value. */
  readonly p: number;
  /** 'exact' (no ties, small samples: the null distribution counted) or 'normal' (tie-corrected approximation). */
  readonly method: 'exact' | 'normal';
}

/** Largest n1·n2 for which the null distribution is counted exactly. */
const EXACT_LIMIT = 2_500;

/** Mann–Whitney U test (two-sided) of x against y. */
export function mannWhitney(x: readonly number[], y: readonly number[]): MannWhitney {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new Error('Mann–Whitney needs values on both sides');
  const all = [...x.map((v) => ({ v, s: 0 })), ...y.map((v) => ({ v, s: 1 }))].sort((a, b) => a.v - b.v);
  const ranks = new Array<number>(all.length);
  let tieTerm = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    const t = j - i + 1;
    for (let k = i; k <= j; k++) ranks[k] = (i + j) / 2 + 1; // mid-rank
    tieTerm += t ** 3 - t;
    i = j + 1;
  }
  let r1 = 0;
  for (let k = 0; k < all.length; k++) if (all[k]!.s === 0) r1 += ranks[k]!;
  const u = r1 - (n1 * (n1 + 1)) / 2;

  if (tieTerm === 0 && n1 * n2 <= EXACT_LIMIT) {
    const counts = uDistribution(n1, n2);
    const total = counts.reduce((a, b) => a + b, 0);
    let below = 0;
    for (let k = 0; k <= Math.floor(u); k++) below += counts[k]!;
    let above = 0;
    for (let k = Math.ceil(u); k < counts.length; k++) above += counts[k]!;
    return { u, p: Math.min(1, (2 * Math.min(below, above)) / total), method: 'exact' };
  }
  const n = n1 + n2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { u, p: 1, method: 'normal' }; // every value equal: no evidence of anything
  const mean = (n1 * n2) / 2;
  const z = Math.max(0, Math.abs(u - mean) - 0.5) / Math.sqrt(variance); // continuity correction
  return { u, p: Math.min(1, 2 * (1 - normalCdf(z))), method: 'normal' };
}

/** How many arrangements of n1 + n2 distinct values give each U = 0 … n1·n2 (the null distribution). */
function uDistribution(n1: number, n2: number): number[] {
  // f[i][j][u]: arrangements of i values of the first sample and j of the second with U = u. Built by whether the
  // largest value belongs to the first sample (it then exceeds all j of the second: U grows by j) or the second.
  let prev: number[][] = Array.from({ length: n2 + 1 }, () => [1]);
  for (let i = 1; i <= n1; i++) {
    const cur: number[][] = [Array.from({ length: 1 }, () => 1)];
    for (let j = 1; j <= n2; j++) {
      const size = i * j + 1;
      const row = new Array<number>(size).fill(0);
      const a = prev[j]!; // largest from the first sample: U(i-1, j) + j
      for (let k = 0; k < a.length; k++) row[k + j]! += a[k]!;
      const b = cur[j - 1]!; // largest from the second sample: U(i, j-1)
      for (let k = 0; k < b.length; k++) row[k]! += b[k]!;
      cur.push(row);
    }
    prev = cur;
  }
  return prev[n2]!;
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(z) / Math.SQRT2));
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

export interface Shift {
  /** Hodges–Lehmann estimate of head − base: the median of all pairwise differences. */
  readonly estimate: number;
  /** Its distribution-free confidence interval (Moses), at the confidence asked; null when the samples are too small. */
  readonly low: number | null;
  readonly high: number | null;
}

/** The shift of `head` against `base` with a (1 − alpha) interval; needs no assumption beyond a pure shift. */
export function hodgesLehmann(base: readonly number[], head: readonly number[], alpha = 0.05): Shift {
  const n1 = base.length;
  const n2 = head.length;
  const diffs: number[] = [];
  for (const b of base) for (const h of head) diffs.push(h - b);
  diffs.sort((a, b) => a - b);
  const estimate = median(diffs);
  // C: the number of differences cut from each end, the largest with P(U < C) ≤ alpha/2 under the null.
  let c: number;
  if (n1 * n2 <= EXACT_LIMIT) {
    const counts = uDistribution(n1, n2);
    const total = counts.reduce((a, b) => a + b, 0);
    let cumulative = 0;
    c = 0;
    while (c < counts.length && (cumulative + counts[c]!) / total <= alpha / 2) cumulative += counts[c++]!;
  } else {
    const z = normalQuantile(1 - alpha / 2);
    c = Math.floor((n1 * n2) / 2 - z * Math.sqrt((n1 * n2 * (n1 + n2 + 1)) / 12));
  }
  if (c < 1) return { estimate, low: null, high: null };
  return { estimate, low: diffs[c - 1]!, high: diffs[diffs.length - c]! };
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (p <= 0 || p >= 1) throw new Error(`normalQuantile needs 0 < p < 1, got ${p}`);
  const a = [
    -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
    2.506628277459239,
  ];
  const b = [
    -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1,
  ];
  const c = [
    -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lowTail = 0.02425;
  if (p < lowTail) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  if (p > 1 - lowTail) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/**
 * Holm–Bonferroni: adjusted p-values for a family of tests, in the input's order. Rejecting where adjusted p < α
 * keeps the chance of any false alarm across the family at most α.
 */
export function holm(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p);
  const adjusted = new Array<number>(m);
  let running = 0;
  for (const [rank, { p, i }] of order.entries()) {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[i] = running;
  }
  return adjusted;
}
