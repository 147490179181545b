/**
 * What does serving a stdio MCP server over HTTP cost? The same load goes to the HTTP mock directly and to our HTTP →
 * stdio bridge in front of the stdio mock (same behaviour, stdio transport): 32 sessions, so 32 long-lived children.
 * The bridge must carry at least 5,000 tools/call per second across them on a 2-core machine.
 */
import { defineScenario } from './define.js';

export default defineScenario({
  kind: 'comparison',
  name: 'stdio-bridge',
  description:
    'The HTTP → stdio bridge against a native HTTP server: added latency, and calls/s across 32 sessions (one child each).',
  mock: { latencyMs: 5, payloadBytes: 64, response: 'json' },
  targets: ['direct', 'bridged'],
  executors: { latency: 'constant-arrival-rate', throughput: 'constant-vus' },
  sessions: 32,
  maxInFlight: 1_000,
  throughputConcurrency: 32,
  profiles: {
    smoke: { warmupMs: 300, trials: 1, latencyTrialMs: 500, throughputTrialMs: 400, rate: 200 },
    quick: { warmupMs: 1_000, trials: 2, latencyTrialMs: 2_000, throughputTrialMs: 2_000, rate: 500 },
    nightly: { warmupMs: 5_000, trials: 6, latencyTrialMs: 8_000, throughputTrialMs: 4_000, rate: 500 },
    release: { warmupMs: 10_000, trials: 6, latencyTrialMs: 10_000, throughputTrialMs: 5_000, rate: 500 },
  },
  thresholds: [
    'bridged.errors < 1',
    'direct.errors < 1',
    'bridged.latency.p50_us < +10%',
    'bridged.throughput_rps > -25%',
  ],
  // An absolute rate is a goal: machines of one kind differ 2× in speed (against this machine's baseline it gates).
  goals: ['bridged.throughput_rps >= 5000'],
});
