/**
 * Latency histograms: integer microseconds in hdr-histogram-js, serialised as compressed base64
 * (the HdrHistogram V2 wire format, readable by every HdrHistogram implementation).
 */
import * as hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

export type { Histogram };

/** 1 µs resolution, auto-resizing, 3 significant digits (0.1% value error). */
export function createLatencyHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000, // 60 s in µs; autoResize grows it if needed
    numberOfSignificantValueDigits: 3,
  });
}

/** Records a latency in microseconds; sub-microsecond and negative values are clamped to 1 µs. */
export function recordMicros(histogram: Histogram, micros: number): void {
  histogram.recordValue(micros < 1 ? 1 : Math.round(micros));
}

export function encodeHistogram(histogram: Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram);
}

export function decodeHistogram(encoded: string): Histogram {
  return hdr.decodeFromCompressedBase64(encoded, 32, false);
}

/** A pure reducer over histograms (autocannon's aggregateResult habit): merges into a fresh one. */
export function mergeHistograms(histograms: Iterable<Histogram>): Histogram {
  const merged = createLatencyHistogram();
  for (const h of histograms) merged.add(h);
  return merged;
}

export interface LatencySummary {
  readonly count: number;
  readonly min_us: number;
  readonly mean_us: number;
  readonly p50_us: number;
  readonly p90_us: number;
  readonly p95_us: number;
  readonly p99_us: number;
  readonly 'p99.9_us': number;
  readonly max_us: number;
}

export function summarise(histogram: Histogram): LatencySummary {
  const empty = histogram.totalCount === 0;
  const at = (p: number): number => (empty ? 0 : histogram.getValueAtPercentile(p));
  return {
    count: histogram.totalCount,
    min_us: empty ? 0 : histogram.minNonZeroValue,
    mean_us: empty ? 0 : Math.round(histogram.mean * 10) / 10,
    p50_us: at(50),
    p90_us: at(90),
    p95_us: at(95),
    p99_us: at(99),
    'p99.9_us': at(99.9),
    max_us: empty ? 0 : histogram.maxValue,
  };
}

/**
 * The percentile spectrum as HdrHistogram plots it: x = 1 / (1 - percentile/100), so 90% → 10, 99% → 100,
 * 99.9% → 1000, on a log axis. Points are taken at ticks that halve the distance to 100%.
 */
export function percentileSpectrum(
  histogram: Histogram,
  maxNines = 5,
): Array<{ percentile: number; value_us: number }> {
  if (histogram.totalCount === 0) return [];
  const points: Array<{ percentile: number; value_us: number }> = [];
  const ticksPerHalf = 4;
  for (let halvings = 0; halvings <= maxNines * 3.33; halvings += 1 / ticksPerHalf) {
    const percentile = 100 - 100 / Math.pow(2, halvings);
    points.push({ percentile, value_us: histogram.getValueAtPercentile(percentile) });
    // Past the resolution of the data, more points only repeat the max.
    if (1 / (1 - percentile / 100) > histogram.totalCount) break;
  }
  // getValueAtPercentile reports a bucket's highest equivalent value; the exact max can sit below the previous
  // point's, so the last point comes from the same function or the curve would dip at its end.
  points.push({ percentile: 100, value_us: histogram.getValueAtPercentile(100) });
  return points;
}
