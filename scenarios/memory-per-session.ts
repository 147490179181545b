/**
 * How much memory does the proxy hold per session, and does it give it back? Sessions are opened in steps, idle and
 * then with one GET stream each; the proxy's RSS is sampled after a forced GC; bytes per session is the slope of the
 * fitted line (V8's young generation capped, so its growth — a fixed reservation — is not read as per-session
 * memory). The seeds' targets: under 10 KB per session (a gate) and 4 KiB for an idle one (the issue's; a goal);
 * closing every session must release at least half of the peak's growth (the seeds' cleanup test).
 */
import { defineScenario } from './define.js';

export default defineScenario({
  kind: 'memory',
  name: 'memory-per-session',
  description:
    "The proxy's RSS (after a forced GC) against open sessions, idle and with one GET stream each: bytes per session from a fitted line, and memory released when every session closes.",
  profiles: {
    smoke: { steps: [20, 40, 60, 80], settleMs: 100 },
    quick: { steps: [250, 500, 1_000, 2_000], settleMs: 300 },
    nightly: { steps: [500, 1_000, 2_000, 4_000, 6_000], settleMs: 1_000 },
    release: { steps: [1_000, 2_000, 4_000, 7_000, 10_000], settleMs: 2_000 },
  },
  thresholds: [
    'memory.idle.points >= 4',
    'memory.stream.points >= 4',
    // The seeds' 10 KB per session, met with V8's young generation kept out of the slope (docs/proxy.md, "Memory"):
    // ~0.8 KiB idle and ~8 KiB with a stream at the quick profile's 2,000; the smoke profile's 80 sessions read a
    // V8 page (256 KiB) as 3 KiB per session, so the idle goal below stays a goal.
    'memory.idle.rss_per_session_bytes < 10240',
    'memory.stream.rss_per_session_bytes < 10240',
    // Closing every session gives back at least half the heap they took (the seeds' cleanup test).
    'memory.idle.released_ratio >= 0.5',
    'memory.stream.released_ratio >= 0.5',
  ],
  // A second wave should reuse the first one's memory rather than grow RSS again. A goal, not a gate: at nightly
  // scale (6,000 idle sessions) RSS once re-grew by 79% of the first wave while the heap came back whole; with V8's
  // young generation capped it re-grew 0% (idle) and 8% (stream) on 2026-12-02 — one nightly run, so still a goal.
  goals: [
    'memory.idle.rss_per_session_bytes < 4096',
    'memory.idle.rss_regrowth_ratio < 0.5',
    'memory.stream.rss_regrowth_ratio < 0.5',
  ],
});
