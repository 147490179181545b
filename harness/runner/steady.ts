/**
 * When a warm-up has done its job: the target answers as fast, and at the same CPU per call, as a moment ago.
 *
 * A fixed warm-up is long enough for a target that JIT-compiles in one process, not for one that spreads the calls
 * over many: a bridge's stdio children each see one call in 32 and each compile their own code, so a bridge ran at
 * ~6,000 calls/s for its first 5–15 s under load and ~11,000 from then on (docs/measurement.md). Burst slices until
 * each child process has had its share of calls and two consecutive pairs of slices agree measure each seat at its
 * steady state, however many processes it has to warm.
 */

/** One slice of a warm-up burst: calls/s, and CPU per call of the seat's process tree where it is charged. */
export interface WarmupSlice {
  readonly calls: number;
  readonly rate: number;
  readonly cpuPerCallUs: number | undefined;
}

/**
 * Calls each child of a seat's process serves in a burst before the burst may end (its own process has every call):
 * every process compiles its own code, and the mocks tier up after a few hundred calls (core/runtime/tier-up.ts). A
 * bridge whose children are compiling is steady too — slowly — so steadiness alone would end its warm-up too soon.
 */
export const WARMUP_CALLS_PER_CHILD = 1_000;
/** A slice with fewer calls says little about CPU per call (a process spawned per call dominates it): rate only. */
const FEW_CALLS = 50;

/** The last two slices against the two before: calls/s within this fraction of each other… */
export const STEADY_RATE_TOLERANCE = 0.07;
/** …and CPU per call within this one (it falls first, while compiled code replaces the baseline tier's). */
export const STEADY_CPU_TOLERANCE = 0.15;

/** True once the mean of the last two slices is within the tolerances of the mean of the two before. */
export function isSteady(slices: readonly WarmupSlice[]): boolean {
  if (slices.length < 4) return false;
  const [a, b, c, d] = slices.slice(-4) as [WarmupSlice, WarmupSlice, WarmupSlice, WarmupSlice];
  if (!near((a.rate + b.rate) / 2, (c.rate + d.rate) / 2, STEADY_RATE_TOLERANCE)) return false;
  const cpu = [a, b, c, d].map((s) => (s.calls < FEW_CALLS ? undefined : s.cpuPerCallUs));
  if (cpu.some((us) => us === undefined)) return true; // a target already running, or a slow one: calls/s it is
  const [w, x, y, z] = cpu as [number, number, number, number];
  return near((w + x) / 2, (y + z) / 2, STEADY_CPU_TOLERANCE);
}

function near(before: number, now: number, tolerance: number): boolean {
  const larger = Math.max(before, now);
  return larger === 0 || Math.abs(before - now) <= tolerance * larger;
}
