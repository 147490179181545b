/**
 * What does each MCP revision cost? The same calls in 2025-06-18 and 2025-11-25 (sessions: initialize, then
 * Mcp-Session-Id on every request) and 2026-07-28 (stateless: server/discover once, then every request on its own,
 * its revision in _meta and Mcp-Method / Mcp-Name headers that the proxy checks against the body), directly, through
 * the reverse proxy and through the HTTP → stdio bridge (a child per session; stateless requests share a few
 * children): latency at a fixed rate and calls/s at saturation, interleaved.
 */
import { defineScenario } from './define.js';

export default defineScenario({
  kind: 'matrix',
  name: 'protocol-matrix',
  description:
    'The same calls in each MCP revision (2025-06-18, 2025-11-25 with sessions; 2026-07-28 stateless), direct, through the reverse proxy and through the bridge: latency, calls/s, what each adds per revision, and what stateless costs or saves.',
  mock: { latencyMs: 5, payloadBytes: 64, response: 'json' },
  targets: ['direct', 'proxied', 'bridged'],
  // 2026-07-28-input: the stateless revision with every call asking for input once (input_required, answered, sent
  // again): what a multi round-trip request's second round costs. 2026-07-28-task: every call made a task (the tasks
  // extension: a handle at once, tasks/get every pollIntervalMs until done): what polling costs.
  revisions: ['2025-06-18', '2025-11-25', '2026-07-28', '2026-07-28-input', '2026-07-28-task'],
  executors: { latency: 'constant-arrival-rate', throughput: 'constant-vus' },
  sessions: 8,
  maxInFlight: 1_000,
  throughputConcurrency: 8,
  onlyWhenNamed: true,
  profiles: {
    smoke: { warmupMs: 200, trials: 1, latencyTrialMs: 300, throughputTrialMs: 300, rate: 200 },
    quick: { warmupMs: 500, trials: 2, latencyTrialMs: 1_500, throughputTrialMs: 1_000, rate: 500 },
    nightly: { warmupMs: 1_000, trials: 4, latencyTrialMs: 4_000, throughputTrialMs: 2_000, rate: 1_000 },
    release: { warmupMs: 1_000, trials: 6, latencyTrialMs: 5_000, throughputTrialMs: 3_000, rate: 1_000 },
  },
  thresholds: [
    '2025-06-18.direct.errors < 1',
    '2025-06-18.proxied.errors < 1',
    '2025-11-25.direct.errors < 1',
    '2025-11-25.proxied.errors < 1',
    '2026-07-28.direct.errors < 1',
    '2026-07-28.proxied.errors < 1',
    '2025-06-18.bridged.errors < 1',
    '2025-11-25.bridged.errors < 1',
    '2026-07-28.bridged.errors < 1',
    '2026-07-28-input.direct.errors < 1',
    '2026-07-28-input.proxied.errors < 1',
    '2026-07-28-input.bridged.errors < 1',
    '2026-07-28-task.direct.errors < 1',
    '2026-07-28-task.proxied.errors < 1',
    '2026-07-28-task.bridged.errors < 1',
  ],
  goals: [],
});
