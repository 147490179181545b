/** Helpers for what kinds store in results.json. */
import type { Histogram } from 'hdr-histogram-js';
import { encodeHistogram, summarise } from '../../core/measure/histogram.js';
import type { LatencyModel, LatencyRecord } from '../results/schema.js';

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
