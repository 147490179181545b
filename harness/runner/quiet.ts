/**
 * Before a trial, the machine's other work is given time to end. A seat's processes can work on for a second or two
 * after its trial: mcp-proxy spent 0.3 s of CPU in the 2 s after its shootout trials (2026-12-05), and whichever seat
 * ran next was measured on a machine still busy with it — with eight seats and two rounds, our proxy followed
 * mcp-proxy in every second round. (Waiting did not bring our proxy's figures in full shootouts up to those of
 * three-seat ones that day: docs/proxy.md, "Three seats and eight, two hours".)
 *
 * Quiet is under `share` of one core, summed over the watched process trees, through one `windowMs` window: idle
 * processes' timers and health checks pass, a tail of work does not. The wait ends after `maxMs` whatever, and then
 * says which process was the busiest.
 */
import { abortableSleep } from '../../core/runtime/clock.js';
import { processTreeCpuMicros } from '../measure/cpu.js';

export interface QuietOptions {
  /** @default 200 */
  readonly windowMs?: number;
  /** Of one core. @default 0.05 */
  readonly share?: number;
  /** @default 5000 */
  readonly maxMs?: number;
  readonly signal?: AbortSignal;
}

export interface QuietOutcome {
  /** How long the wait took. */
  readonly ms: number;
  /** Set when the wait ended at maxMs with the processes still busy: how busy, and the busiest. */
  readonly busy?: { readonly sharePct: number; readonly busiest: string };
}

/** Waits until the process trees rooted at `processes`' keys (named by its values) have gone quiet. */
export async function untilQuiet(
  processes: ReadonlyMap<number, string>,
  { windowMs = 200, share = 0.05, maxMs = 5_000, signal }: QuietOptions = {},
): Promise<QuietOutcome> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  if (processes.size === 0) return { ms: 0 };
  const read = (): Map<number, number> =>
    new Map([...processes.keys()].map((pid) => [pid, processTreeCpuMicros(pid) ?? 0]));
  let before = read();
  for (;;) {
    await abortableSleep(windowMs, signal).catch(() => undefined);
    if (signal?.aborted) return { ms: elapsed() };
    const after = read();
    const used = [...processes].map(([pid, name]) => ({
      name,
      us: Math.max(0, (after.get(pid) ?? 0) - (before.get(pid) ?? 0)),
    }));
    const total = used.reduce((sum, u) => sum + u.us, 0);
    if (total < share * windowMs * 1_000) return { ms: elapsed() };
    if (performance.now() - started >= maxMs) {
      const busiest = used.reduce((a, b) => (b.us > a.us ? b : a)).name;
      return { ms: elapsed(), busy: { sharePct: Math.round((100 * total) / (windowMs * 1_000)), busiest } };
    }
    before = after;
  }
}
