/**
 * Can the proxy hold many SSE streams and deliver every event, in order, quickly? N sessions each keep one GET
 * stream, first straight from the mock, then through the proxy; the mock sends sequenced notifications on all of
 * them, so the proxy's share of delivery latency is measured in the same run. Twice: with each stream's
 * notifications in its own phase of the period (`spread`: independent sessions, the figures `fanout.*`), then with
 * every stream notified in the same tick (`broadcast`: one change announced to all, `fanout.broadcast.*`). The
 * seeds' legacy figure is 5,000 stable streams; quick runs 500.
 */
import { defineScenario } from './define.js';

export default defineScenario({
  kind: 'fanout',
  name: 'sse-fanout',
  description:
    'N concurrent SSE streams through the proxy receiving sequenced notifications, spread and broadcast: delivery latency, loss, duplicates, reordering, proxy memory and CPU.',
  patterns: ['spread', 'broadcast'],
  profiles: {
    smoke: { streams: 50, notifyRate: 10, warmupMs: 300, durationMs: 1_000 },
    quick: { streams: 500, notifyRate: 10, warmupMs: 1_000, durationMs: 2_000 },
    nightly: { streams: 5_000, notifyRate: 5, warmupMs: 5_000, durationMs: 60_000 },
    release: { streams: 10_000, notifyRate: 5, warmupMs: 10_000, durationMs: 120_000 },
  },
  thresholds: [
    ...['fanout.', 'fanout.broadcast.'].flatMap((m) => [
      `${m}lost < 1`,
      `${m}duplicated < 1`,
      `${m}reordered < 1`,
      `${m}streams_dropped < 1`,
      `${m}delivered_ratio > 0.95`,
      // Same run, so it holds on any machine: delivery through the proxy against straight from the mock (spread
      // 1.6-1.8x, broadcast 1.3-1.5x on a 2-vCPU VM at 500 streams).
      `${m}delivery_p50_ratio <= 3`,
    ]),
    'fanout.delivery.p50_us < +50%',
  ],
  // The proxy issue's targets, stated at the quick profile's 500 streams and met there with room on a 2-vCPU VM
  // (spread: p50 0.26-0.28 ms, p99 0.5-0.7 ms). At nightly's 5,000 they are goals: p50 0.9 ms, but p99 72 ms there,
  // as every stream stalls together for 0.1-0.3 s about once in 15 s, straight from the mock too.
  profileGates: { quick: ['fanout.delivery.p50_us <= 2000', 'fanout.delivery.p99_us <= 10000'] },
  // The same targets for a broadcast are far off on a 2-vCPU VM, and not for the proxy alone: with no proxy at all
  // the mock's and the receiver's turns through each burst of 500 events already make p50 6.6-8 ms.
  goals: ['fanout.broadcast.delivery.p50_us <= 2000', 'fanout.broadcast.delivery.p99_us <= 10000'],
});
