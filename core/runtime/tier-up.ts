/**
 * A mock should be measured as the server it stands in for: one that has been answering for hours, its hot path
 * optimized. V8 optimizes a function once it has run ~66 KB of bytecode a few times over (`--interrupt-budget`); a
 * stdio mock behind a bridge serves one session of 32, so in a shootout's seconds of load each child saw a few
 * hundred calls, never left V8's baseline tier, and charged the bridge 180–270 µs of CPU per call for it — against
 * 65–110 µs once optimized (docs/peers.md). A process that calls this tiers up eight times sooner; what it computes
 * is unchanged.
 */
import v8 from 'node:v8';

/** V8's default is 67,584 (Node 20–22). */
export const MOCK_INTERRUPT_BUDGET = 8_192;

export function tierUpSooner(): void {
  v8.setFlagsFromString(`--interrupt-budget=${MOCK_INTERRUPT_BUDGET}`);
}
