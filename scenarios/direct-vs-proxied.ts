/**
 * How much does the proxy cost? The same open-model load goes to the mock directly, through our proxy, and through
 * a raw TCP relay (the floor any proxy can reach), in interleaved trials after a warm-up; then a closed-model phase
 * with the mock's latency at zero finds each path's saturation throughput.
 */
import { defineScenario } from './define.js';

export default defineScenario({
  kind: 'comparison',
  name: 'direct-vs-proxied',
  description:
    'Latency the proxy adds over a direct connection and over a raw TCP relay, and its throughput ratio to the relay.',
  // A 5 ms tool call: long enough that the proxy's cost is a small, stable fraction (the seed target is < 5% at p95),
  // short enough to keep many requests in flight.
  mock: { latencyMs: 5, payloadBytes: 64, response: 'json' },
  targets: ['direct', 'proxied', 'relay'],
  executors: { latency: 'constant-arrival-rate', throughput: 'constant-vus' },
  sessions: 8,
  maxInFlight: 1_000,
  throughputConcurrency: 16,
  profiles: {
    smoke: { warmupMs: 200, trials: 1, latencyTrialMs: 350, throughputTrialMs: 250, rate: 200 },
    quick: { warmupMs: 1_500, trials: 3, latencyTrialMs: 2_500, throughputTrialMs: 2_000, rate: 1_000 },
    nightly: { warmupMs: 5_000, trials: 6, latencyTrialMs: 8_000, throughputTrialMs: 4_000, rate: 1_000 },
    release: { warmupMs: 10_000, trials: 6, latencyTrialMs: 10_000, throughputTrialMs: 5_000, rate: 1_000 },
  },
  // Gates. Tails (p99 and up) are left out on purpose: on a 2-vCPU VM a single 10-20 ms scheduler stall lands in
  // whichever trial is running, so a quick run's p99 moves by ±40% between identical builds. p50/p90 and
  // throughput move by a few percent; the limits leave room for that and catch a real step.
  thresholds: [
    'direct.errors < 1',
    'proxied.errors < 1',
    'relay.errors < 1',
    'direct.latency.p50_us < +5%',
    'proxied.latency.p50_us < +5%',
    'proxied.latency.p90_us < +10%',
    'proxied.throughput_rps > -25%',
  ],
  // The seed target from the proxy teams' plans: met in the nightly profile (3.0-4.1%) and in 5 of 7 quick runs
  // (2.9-5.7%); a goal until it holds in every run.
  // Added p50 is a goal, not a gate: a quick run measures it to about ±50 µs (this VM, identical builds, 2026-12-02:
  // 100, 116, 148, 160 and 188 µs against a baseline of 124), so "+50%" failed clean runs. A step in it still moves
  // proxied.latency.p50_us past its +5% gate (~265 µs); smaller changes are what `mcp-perf compare` is for.
  goals: ['proxied.overhead_pct.p95 < 5', 'proxied.added.p50_us < +50%'],
});
