/**
 * Ordinary least squares for y = intercept + slope·x, with the slope's standard error so a caller can tell a trend
 * from noise (a slope whose 95% interval includes 0 is not a trend). Used for bytes per session (RSS against session
 * count) and for leak detection (RSS against time).
 */

export interface LineFit {
  readonly slope: number;
  readonly intercept: number;
  /** Standard error of the slope; Infinity with fewer than 3 points (no degrees of freedom left). */
  readonly slopeStdErr: number;
  /** Coefficient of determination, 0..1 (1 when every point lies on the line). */
  readonly r2: number;
  readonly n: number;
}

export function fitLine(points: ReadonlyArray<readonly [number, number]>): LineFit {
  const n = points.length;
  if (n < 2) throw new Error(`a line needs at least 2 points, got ${n}`);
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const [x, y] of points) {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (y - my);
    syy += (y - my) ** 2;
  }
  if (sxx === 0) throw new Error('a line needs at least two distinct x values');
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let sse = 0;
  for (const [x, y] of points) sse += (y - intercept - slope * x) ** 2;
  const slopeStdErr = n > 2 ? Math.sqrt(sse / (n - 2) / sxx) : Infinity;
  return { slope, intercept, slopeStdErr, r2: syy === 0 ? 1 : Math.max(0, 1 - sse / syy), n };
}

/**
 * True when the slope's 95% interval lies wholly above `floor`: a climb the points' own scatter cannot explain. The
 * leak tests' rule (growth per step beyond a share of the start, surely); with few points the interval is wide, so it
 * says yes only to a steady climb.
 */
export function slopeSurelyAbove(fit: LineFit, floor: number): boolean {
  return fit.slope - tQuantile975(fit.n - 2) * fit.slopeStdErr > floor;
}

/** Two-sided 97.5% quantile of Student's t for `df` degrees of freedom (a 95% interval's half-width factor). */
export function tQuantile975(df: number): number {
  // Exact table for small df, then the Cornish-Fisher expansion, within 0.001 for df ≥ 30.
  const table = [
    Infinity,
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.16,
    2.145,
    2.131,
    2.12,
    2.11,
    2.101,
    2.093,
    2.086,
    2.08,
    2.074,
    2.069,
    2.064,
    2.06,
    2.056,
    2.052,
    2.048,
    2.045,
  ];
  if (df < 1) return Infinity;
  if (df < table.length) return table[df]!;
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2);
}
