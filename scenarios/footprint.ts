/**
 * What the proxy costs before any load, and where its time goes under load: start-up time (spawn → ready line, the
 * median of several), CPU while idle, RSS at idle, the size of the npm package, and a CPU profile of the reverse
 * proxy under steady open-model load (node --cpu-prof), kept in results.json for the flame graph. Run only when
 * named (`npx mcp-perf run footprint`); `mcp-perf release` runs it for the sign-off page.
 */
import { defineScenario } from './define.js';

export default defineScenario({
  kind: 'footprint',
  name: 'footprint',
  description:
    'Proxy start-up time to its ready line, CPU and RSS while idle, npm package size, and a CPU profile of the reverse proxy under steady load.',
  onlyWhenNamed: true,
  profiles: {
    smoke: { startups: 3, idleMs: 1_000, profileMs: 1_500, rate: 200, sessions: 4 },
    quick: { startups: 5, idleMs: 3_000, profileMs: 5_000, rate: 500, sessions: 8 },
    nightly: { startups: 9, idleMs: 10_000, profileMs: 10_000, rate: 1_000, sessions: 16 },
    release: { startups: 11, idleMs: 30_000, profileMs: 20_000, rate: 1_000, sessions: 16 },
  },
  thresholds: ['footprint.profile_errors < 1'],
  // The sign-off page's targets (mcp-perf release): a proxy that starts in under 100 ms and idles under 1% of a core.
  goals: ['footprint.startup_ms < 100', 'footprint.idle_cpu_pct < 1'],
});
