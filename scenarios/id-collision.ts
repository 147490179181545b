/**
 * Do answers ever reach the wrong client? Some MCP clients send `id: 1` on every request; a proxy that routes answers
 * by id alone, or shares one upstream exchange between clients, hands one client another's answer (the TypeScript
 * SDK's advisory GHSA-345p-7cg4-v4c7). Here 32 clients at once send every request with id 1 — directly, through the
 * reverse proxy and through the HTTP → stdio bridge — and every answer is checked for the token of its own call
 * (the echo tool returns it): an answer with the right id and another call's token is `crossed`. There must be none.
 */
import { defineScenario } from './define.js';

export default defineScenario({
  kind: 'comparison',
  name: 'id-collision',
  description:
    "32 clients at once, every request with id 1, direct, through the reverse proxy and through the bridge; each answer checked for its own call's token: crossed answers must be 0.",
  mock: { latencyMs: 2, payloadBytes: 64, response: 'json' },
  targets: ['direct', 'proxied', 'bridged'],
  ids: 'collide',
  executors: { latency: 'constant-arrival-rate', throughput: 'constant-vus' },
  sessions: 32,
  maxInFlight: 1_000,
  throughputConcurrency: 32,
  profiles: {
    smoke: { warmupMs: 200, trials: 1, latencyTrialMs: 400, throughputTrialMs: 400, rate: 200 },
    quick: { warmupMs: 200, trials: 1, latencyTrialMs: 800, throughputTrialMs: 700, rate: 500 },
    nightly: { warmupMs: 1_000, trials: 2, latencyTrialMs: 5_000, throughputTrialMs: 3_000, rate: 1_000 },
    release: { warmupMs: 1_000, trials: 3, latencyTrialMs: 5_000, throughputTrialMs: 3_000, rate: 1_000 },
  },
  thresholds: [
    'direct.crossed < 1',
    'proxied.crossed < 1',
    'bridged.crossed < 1',
    'direct.errors < 1',
    'proxied.errors < 1',
    'bridged.errors < 1',
  ],
  goals: [],
});
