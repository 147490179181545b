/**
 * Can the proxy hold many clients at once? 1,000 (quick) to 10,000 (release) clients, each on its own connection
 * with its own session, all open at the same time, each doing a session's worth of calls. The seeds: 100% success is
 * the target (a goal here until it holds on every machine), 95% is what they accept (a gate), ≥ 500 req/s.
 */
import { defineScenario } from './define.js';

export default defineScenario({
  kind: 'concurrency',
  name: 'concurrency',
  description:
    'Simultaneous clients through the proxy, each with its own connection and session: initialize, tools/list, tools/call × N, DELETE. Success rate, errors by kind, throughput, proxy memory and descriptors at the peak.',
  mockLatencyMs: 5,
  profiles: {
    smoke: { clients: 100, callsPerClient: 3 },
    quick: { clients: 1_000, callsPerClient: 5 },
    nightly: { clients: 5_000, callsPerClient: 10 },
    release: { clients: 10_000, callsPerClient: 10 },
  },
  thresholds: [
    'concurrency.session_success_ratio >= 0.95',
    'concurrency.calls_per_sec >= 500',
    'concurrency.held_ratio >= 0.95',
  ],
  goals: ['concurrency.session_success_ratio >= 1'],
});
