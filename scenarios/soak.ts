/**
 * Does the proxy leak under steady load? Open-model load for the profile's duration (release: 30 minutes, the seeds'
 * sustained-load test) through the HTTP → stdio bridge — the mode with the most to lose: sessions, children, pipes —
 * with sessions replaced all along. The proxy's memory after a forced GC, its open descriptors and its children are
 * sampled; a fitted upward trend beyond noise fails the run, as does a child left once every session has closed.
 */
import { defineScenario } from './define.js';

export default defineScenario({
  kind: 'soak',
  name: 'soak',
  description:
    'Steady open-model load through the HTTP → stdio bridge with session churn; proxy memory (after a forced GC), open descriptors and children sampled over time; fails on a trend beyond noise or a child left after every session closed.',
  upstream: 'stdio',
  mockLatencyMs: 2,
  profiles: {
    smoke: { rate: 100, sessions: 4, churnPerSec: 2, warmupMs: 500, durationMs: 2_500, sampleEveryMs: 250 },
    quick: { rate: 400, sessions: 8, churnPerSec: 1, warmupMs: 4_000, durationMs: 14_000, sampleEveryMs: 1_000 },
    nightly: { rate: 1_000, sessions: 16, churnPerSec: 1, warmupMs: 10_000, durationMs: 150_000, sampleEveryMs: 5_000 },
    release: {
      rate: 1_000,
      sessions: 32,
      churnPerSec: 1,
      warmupMs: 30_000,
      durationMs: 1_800_000,
      sampleEveryMs: 15_000,
    },
  },
  thresholds: [
    'soak.leak_suspected < 1',
    'soak.children_left < 1',
    'soak.fd_growth < 16',
    'soak.errors < 1',
    'soak.latency.p50_us < +50%',
  ],
  goals: [],
});
