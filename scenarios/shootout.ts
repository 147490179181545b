/**
 * Every MCP proxy we can start, side by side under the same load: our reverse proxy, a raw TCP relay and nginx in
 * front of the HTTP mock (reverse mode); our HTTP → stdio bridge, supergateway (stateful, and stateless at the 10
 * calls/s it can take) and mcp-proxy in front of the stdio mock (bridge mode); all measured against the HTTP mock
 * itself, 32 sessions each. The peers table ranks each mode (docs/peers.md).
 * Runs only when named: `npx mcp-perf run shootout`. Targets not installed here are skipped, said once.
 */
import { defineScenario } from './define.js';

export default defineScenario({
  kind: 'shootout',
  name: 'shootout',
  description:
    'Every proxy installed here under the same load, reverse (HTTP upstream) and bridge (stdio upstream): latency, calls/s, CPU and memory per session.',
  onlyWhenNamed: true,
  mock: { latencyMs: 5, payloadBytes: 64, response: 'json' },
  targets: ['direct', 'proxied', 'relay', 'nginx', 'bridged', 'supergateway', 'supergateway-stateless', 'mcp-proxy'],
  ours: { reverse: 'proxied', bridge: 'bridged' },
  executors: { latency: 'constant-arrival-rate', throughput: 'constant-vus' },
  sessions: 32,
  maxInFlight: 1_000,
  throughputConcurrency: 32,
  profiles: {
    smoke: { warmupMs: 300, trials: 1, latencyTrialMs: 500, throughputTrialMs: 400, rate: 100 },
    quick: { warmupMs: 1_000, trials: 2, latencyTrialMs: 2_000, throughputTrialMs: 2_000, rate: 500 },
    nightly: { warmupMs: 3_000, trials: 4, latencyTrialMs: 5_000, throughputTrialMs: 4_000, rate: 500 },
    release: { warmupMs: 5_000, trials: 6, latencyTrialMs: 8_000, throughputTrialMs: 5_000, rate: 500 },
  },
  // Ours must answer every call; the peers' errors are reported in the table, not gated (they are not ours to fix).
  // Same-run figures travel between machines: our bridge carries at least 3× the calls/s of the best peer bridge; our
  // reverse proxy carries as many as the best peer reverse proxy (nginx) and adds at most 50 µs more at p50.
  thresholds: ['direct.errors < 1', 'proxied.errors < 1', 'bridged.errors < 1'],
  goals: ['bridged.to_best_peer >= 3', 'proxied.to_best_peer >= 1', 'proxied.added_p50_over_best_peer_us <= 50'],
});
