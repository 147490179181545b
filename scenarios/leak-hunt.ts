/**
 * Does the proxy let go of clients that never say goodbye? The leaks users of MCP proxies report are children never
 * killed when a client vanishes (supergateway #108, #141, #160: hundreds of orphan processes), sessions never freed
 * without a DELETE, and clients stuck after an upstream restart (mcp-proxy #14). Waves of abandoned sessions, of
 * vanished clients (GET streams reset mid-stream, or left open and silent), a reconnect storm and an upstream restart
 * storm, through the reverse proxy and the bridge, each measured against a baseline warmed by an unmeasured wave.
 */
import { defineScenario } from './define.js';

export default defineScenario({
  kind: 'leaks',
  name: 'leak-hunt',
  description:
    'Abandoned sessions (no DELETE), vanished clients (streams reset or left silent), a reconnect storm and an upstream restart storm, through the reverse proxy and the bridge: sessions, children, descriptors and memory left afterwards; every client going again after the restart.',
  mockLatencyMs: 1,
  profiles: {
    smoke: { sessions: 50, children: 4, idleMs: 500, settleMs: 200, repeats: 4 },
    quick: { sessions: 200, children: 8, idleMs: 1_500, settleMs: 150, repeats: 5 },
    // idleMs must outlast opening a wave and its reconnect storm (every session held at the peak, warned otherwise):
    // 2,000 sessions with a 2 s limit lost 843 of them before the abandoned wave's peak and every one before the
    // reconnect storm (which then met 404s). Quick had 1 s until a slow moment of a 2-vCPU VM, where opening the
    // reverse restart wave's 200 sessions (while the bridge's 8 killed children started again) took longer: 117 of
    // 200 held at the peak (2026-12-03).
    nightly: { sessions: 1_000, children: 32, idleMs: 8_000, settleMs: 500, repeats: 5 },
    release: { sessions: 5_000, children: 64, idleMs: 30_000, settleMs: 500, repeats: 5 },
  },
  thresholds: [
    'reverse.abandoned.sessions_left < 1',
    'reverse.vanished.sessions_left < 1',
    'bridge.abandoned.sessions_left < 1',
    'bridge.vanished.sessions_left < 1',
    'bridge.abandoned.children_left < 1',
    'bridge.vanished.children_left < 1',
    // The reconnect storm: every client back on a stream, none of the cut ones held, resumed ones without a gap.
    'reverse.reconnect.reconnect_failed < 1',
    'bridge.reconnect.reconnect_failed < 1',
    'reverse.reconnect.excess_streams < 1',
    'bridge.reconnect.excess_streams < 1',
    'reverse.reconnect.resume_gaps < 1',
    'reverse.reconnect.sessions_left < 1',
    'bridge.reconnect.sessions_left < 1',
    'bridge.reconnect.children_left < 1',
    // The upstream restart storm: every client going again on a new session, nothing held for the dead ones.
    'reverse.restart.stale_sessions < 1',
    'bridge.restart.stale_sessions < 1',
    'bridge.restart.excess_children < 1',
    'reverse.restart.sessions_left < 1',
    'bridge.restart.sessions_left < 1',
    'bridge.restart.children_left < 1',
    'reverse.vanished.streams_left < 1',
    'bridge.vanished.streams_left < 1',
    // Descriptors are read once the shortened keep-alive timeouts have passed; a few of slack for a late sweep.
    'reverse.vanished.fds_left < 5',
    'bridge.vanished.fds_left < 5',
    // Memory: V8's heap after a forced GC, not RSS. RSS climbs in steps for the first waves and then stays flat (this
    // VM, 8 vanished waves of 300: 57 → 66 → 76 → 84 MiB, then 83–85) while the heap used stays within 0.4 MiB: it is
    // V8 growing its young generation (heapTotal 11 → 27 → 43 MiB in 16 MiB steps) and the pages it touches, not
    // anything held for the sessions. RSS is reported beside.
    'reverse.abandoned.heap_growth_ratio <= 0.1',
    'reverse.vanished.heap_growth_ratio <= 0.1',
    'bridge.abandoned.heap_growth_ratio <= 0.1',
    'bridge.vanished.heap_growth_ratio <= 0.1',
    // The soak's leak test across repeated vanished waves (V8's heap less its compiled code, after each): a climb the
    // waves' scatter cannot explain, beyond 1% of the first per wave. Quick, here: 6–14 KiB per wave on ~6 MiB.
    'reverse.leak_suspected < 1',
    'bridge.leak_suspected < 1',
  ],
  // A goal until it holds everywhere: one fresh-clone CI run saw 40 errors after the reverse proxy's recovery (0 in
  // five runs here), when recovery was still judged by the total of renewals.
  goals: ['reverse.restart.errors_after_recovery < 1', 'bridge.restart.errors_after_recovery < 1'],
});
