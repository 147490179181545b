/**
 * What does each stage of the proxy cost on its own? Micro-benchmarks, in a proxy process, of the bearer-token and
 * HS256 JWT checks, the rate-limit bucket, the session lookup, JSON-RPC parsing and stdio framing. The seeds'
 * targets are thresholds: an auth check under 5 ms, a rate-limit check under 100 µs.
 */
import { defineScenario } from './define.js';

export default defineScenario({
  kind: 'components',
  name: 'components',
  description:
    "Micro-benchmarks of the proxy's stages: auth (token, HS256 JWT), rate limit, session lookup, JSON-RPC parse, stdio framing.",
  profiles: {
    smoke: { msEach: 50 },
    quick: { msEach: 300 },
    nightly: { msEach: 3_000 },
    release: { msEach: 3_000 },
  },
  thresholds: [
    'components.auth_hs256.p99_ns < 5000000',
    'components.auth_token.p99_ns < 5000000',
    'components.rate_limit.p99_ns < 100000',
    // Against the baseline: a stage that gets twice as slow is a regression whatever the machine noise.
    'components.auth_hs256.p50_ns < +100%',
    'components.rate_limit.p50_ns < +100%',
    'components.session_lookup.p50_ns < +100%',
    'components.jsonrpc_parse.p50_ns < +100%',
    'components.framing.p50_ns < +100%',
  ],
  goals: [],
});
