/**
 * What does the proxy do when things go wrong? Twice the sustainable rate, which the proxy sheds beyond 8 calls in
 * flight per upstream (503 at once) so the calls it admits stay fast; then an upstream that stalls, one that
 * fails half its calls, one that dies and comes back — while sessions on a second, healthy upstream carry on. Gates:
 * sessions on the healthy upstream see no error and no slow-down, every fault is recovered from within seconds of
 * clearing, and the overload ends without the proxy falling over.
 */
import { defineScenario } from './define.js';

export default defineScenario({
  kind: 'stress',
  name: 'stress-and-faults',
  description:
    "Overload at 2× the sustainable rate, then upstream b stalls, errors and dies (killed, restarted) under steady load while sessions on upstream a carry on: error behaviour, time to recover, and whether the healthy upstream's sessions noticed.",
  mockLatencyMs: 2,
  upstreamTimeoutMs: 1_000,
  // Per upstream, so a stalled upstream cannot take the healthy one's share (a global limit did: see define.ts).
  maxInFlightPerUpstream: 8,
  faults: ['stall', 'error', 'die'],
  profiles: {
    smoke: { sessions: 4, probeMs: 300, overloadMs: 300, rate: 100, beforeMs: 300, faultMs: 400, afterMs: 1_000 },
    quick: {
      sessions: 16,
      probeMs: 1_000,
      overloadMs: 1_500,
      rate: 400,
      beforeMs: 800,
      faultMs: 1_500,
      afterMs: 2_500,
    },
    nightly: {
      sessions: 32,
      probeMs: 3_000,
      overloadMs: 10_000,
      rate: 1_000,
      beforeMs: 5_000,
      faultMs: 10_000,
      afterMs: 10_000,
    },
    release: {
      sessions: 64,
      probeMs: 5_000,
      overloadMs: 20_000,
      rate: 1_000,
      beforeMs: 8_000,
      faultMs: 15_000,
      afterMs: 15_000,
    },
  },
  thresholds: [
    // Load shedding (--max-in-flight-per-upstream 8): at 2× the sustainable rate the calls beyond are refused with
    // 503 at once, and the calls admitted keep a bounded p50 — gated at 5× the steady p50, which holds with margin
    // (quick, this 2-vCPU VM: 2.1, 2.4, 2.9×; without shedding the proxy queued every call: 37×); 3× is the goal.
    'overload.shed >= 1',
    'overload.admitted_p50_ratio <= 5',
    'overload.recovered >= 1',
    'overload.recovery_ms < 5000',
    'faults.stall.unaffected_errors < 1',
    'faults.error.unaffected_errors < 1',
    'faults.die.unaffected_errors < 1',
    // Calls of a's refused for capacity: none while b stalls or errs (a's load is as it was); after "die", b's
    // sessions move to a and double its load under the same per-upstream limit, so a shed there is a goal.
    'faults.stall.unaffected_shed < 1',
    'faults.error.unaffected_shed < 1',
    'faults.stall.affected_errors >= 1',
    'faults.error.affected_errors >= 1',
    'faults.die.affected_errors >= 1',
    'faults.stall.recovered >= 1',
    'faults.error.recovered >= 1',
    'faults.die.recovered >= 1',
    'faults.stall.recovery_ms < 5000',
    'faults.error.recovery_ms < 5000',
    'faults.die.recovery_ms < 5000',
  ],
  goals: [
    'overload.admitted_p50_ratio <= 3',
    'faults.die.unaffected_shed < 1',
    'faults.stall.unaffected_p50_ratio < 1.5',
    'faults.error.unaffected_p50_ratio < 1.5',
    'faults.die.unaffected_p50_ratio < 1.5',
  ],
});
