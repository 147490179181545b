/**
 * Can the proxy hold many SSE streams and deliver every event, in order, quickly? N sessions each keep one GET
 * stream through the proxy; the mock sends sequenced notifications on all of them. The seeds' legacy figure is
 * 5,000 stable streams; quick runs 500.
 */
import { defineScenario } from './define.js';

export default defineScenario({
  kind: 'fanout',
  name: 'sse-fanout',
  description:
    'N concurrent SSE streams through the proxy receiving sequenced notifications: delivery latency, loss, duplicates, reordering, proxy memory and CPU.',
  profiles: {
    smoke: { streams: 50, notifyRate: 10, warmupMs: 300, durationMs: 1_000 },
    quick: { streams: 500, notifyRate: 10, warmupMs: 1_000, durationMs: 5_000 },
    nightly: { streams: 5_000, notifyRate: 5, warmupMs: 5_000, durationMs: 60_000 },
    release: { streams: 10_000, notifyRate: 5, warmupMs: 10_000, durationMs: 120_000 },
  },
  thresholds: [
    'fanout.lost < 1',
    'fanout.duplicated < 1',
    'fanout.reordered < 1',
    'fanout.streams_dropped < 1',
    'fanout.delivered_ratio > 0.95',
    'fanout.delivery.p50_us < +50%',
  ],
  goals: [],
});
