/**
 * Can the proxy hold many SSE streams and deliver every event, in order, quickly? N sessions each keep one GET
 * stream, first straight from the mock, then through the proxy; the mock sends sequenced notifications on all of
 * them, so the proxy's share of delivery latency is measured in the same run. The seeds' legacy figure is
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
    quick: { streams: 500, notifyRate: 10, warmupMs: 1_000, durationMs: 3_000 },
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
    // Same run, so it holds on any machine: delivery through the proxy against straight from the mock (1.4-1.5x on
    // a 2-vCPU VM at 500 streams, where the mock and the receiver take most of a burst's time).
    'fanout.delivery_p50_ratio <= 3',
  ],
  // The proxy issue's targets at 500 streams. Far off on a 2-vCPU VM, and not for the proxy alone: with no proxy
  // at all the mock's and the receiver's turns through each burst of 500 events already make p50 6.6-8 ms.
  goals: ['fanout.delivery.p50_us <= 2000', 'fanout.delivery.p99_us <= 10000'],
});
