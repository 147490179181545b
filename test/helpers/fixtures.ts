/** Small, valid results files for tests of the diff, the reader and the report. */
import { createLatencyHistogram, encodeHistogram, recordMicros, summarise } from '../../core/measure/histogram.js';
import type { Environment } from '../../harness/measure/environment.js';
import type { CompletedScenario, Metric, ResultsFile, TargetResult } from '../../harness/results/schema.js';

export const ENVIRONMENT: Environment = Object.freeze({
  node: 'v20.20.2',
  platform: 'linux',
  osRelease: '6.0',
  arch: 'x64',
  cpuModel: 'Test CPU',
  cores: 2,
  totalMemoryBytes: 24 * 2 ** 30,
  gitCommit: '0123456789abcdef0123456789abcdef01234567',
  gitDirty: false,
  machineFingerprint: 'aaaaaaaaaaaaaaaa',
});

export function target(p50: number): TargetResult {
  const h = createLatencyHistogram();
  for (let i = 0; i < 1_000; i++) recordMicros(h, p50 * (0.9 + (i % 100) / 250));
  const encoded = encodeHistogram(h);
  return {
    url: 'http://127.0.0.1:1/mcp',
    latency: { model: 'open', unit: 'us', histogram: encoded, summary: summarise(h) },
    serviceTime: { model: 'closed', unit: 'us', histogram: encoded, summary: summarise(h) },
    throughputRps: 1_000,
    errors: {},
    errorSamples: [],
    cpuUsPerRequest: { open: 100, closed: 50 },
  };
}

export function scenario(
  metrics: Record<string, number>,
  options: { thresholds?: string[]; goals?: string[]; profile?: string; name?: string } = {},
): CompletedScenario {
  const m: Record<string, Metric> = {};
  for (const [k, v] of Object.entries(metrics))
    m[k] = { value: v, unit: k.endsWith('_us') ? 'us' : 'count', better: 'lower' };
  return {
    name: options.name ?? 'direct-vs-proxied',
    description: 'fixture',
    kind: 'comparison',
    profile: options.profile ?? 'quick',
    settings: { rate: 1000, trials: 3, latencyTrialMs: 2500, throughputConcurrency: 16 },
    thresholds: options.thresholds ?? [],
    goals: options.goals ?? [],
    startedAt: '2026-11-22T00:00:00.000Z',
    durationMs: 1,
    state: 'completed',
    metrics: m,
    targets: { direct: target(5_200), proxied: target(5_450) },
    trials: [],
    warnings: [],
  };
}

export function results(scenarios: ResultsFile['scenarios'], environment: Environment = ENVIRONMENT): ResultsFile {
  return {
    schema: 'mcp-perf/results',
    schemaVersion: 2,
    tool: { name: 'mcp-perf', version: '0.1.0' },
    run: {
      id: 'fixture',
      startedAt: '2026-11-22T00:00:00.000Z',
      finishedAt: '2026-11-22T00:01:00.000Z',
      profile: 'quick',
      scenarios: scenarios.map((s) => s.name),
      interrupted: false,
    },
    environment,
    scenarios,
    baseline: null,
  };
}
