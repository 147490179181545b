/**
 * Sequenced notifications for fan-out measurements (--notify-rate N): N times a second, every open stream gets a
 * `notifications/message` whose data carries that stream's next sequence number (from 1, no gaps) and the send time
 * in µs on the machine's monotonic clock (`sharedMicros()`: comparable across processes on one machine, whatever
 * happens to the system clock). A receiver can count loss, duplication and reordering, and time delivery.
 *
 * Two patterns (--notify-pattern):
 * - `broadcast`: every stream is notified in the same tick, as a server announcing one change to every client does.
 *   Each hop then handles a burst of one event per stream in turn, and delivery latency includes that queueing.
 * - `spread`: each stream gets its own phase in the period (1/N s, in ~1 ms slots), as independent sessions'
 *   notifications (progress, logs, their own resources) arrive: the same events per second, in bursts of
 *   streams ÷ slots.
 */
import { sharedMicros } from '../core/runtime/clock.js';

export type Sink = (message: string) => void;

export type NotifyPattern = 'broadcast' | 'spread';

interface StreamState {
  seq: number;
}

export class SequencedNotifier {
  readonly #rate: number;
  /** Slots per period: 1 (broadcast), or the period in whole ms (spread; at least 1). */
  readonly #slots: number;
  /** The sinks of each slot; a sink joins the slot after the last one filled, so slots stay even. */
  readonly #bySlot: Array<Map<Sink, StreamState>>;
  readonly #slotOf = new Map<Sink, number>();
  #nextSlot = 0;
  #timer: NodeJS.Timeout | undefined;
  #start = 0;
  /** Slots sent since the timer started (the period's slot `#sent % #slots` is next). */
  #sent = 0;

  constructor(ratePerSec: number, pattern: NotifyPattern = 'broadcast') {
    this.#rate = ratePerSec;
    this.#slots = pattern === 'spread' && ratePerSec > 0 ? Math.max(1, Math.floor(1000 / ratePerSec)) : 1;
    this.#bySlot = Array.from({ length: this.#slots }, () => new Map<Sink, StreamState>());
  }

  /**
   * Starts sending to `sink`; returns the function that stops it. `state` carries the sequence number, so a stream
   * resumed after a reconnect continues where it left off.
   */
  add(sink: Sink, state: StreamState = { seq: 0 }): () => void {
    const slot = this.#nextSlot;
    this.#nextSlot = (slot + 1) % this.#slots;
    this.#bySlot[slot]!.set(sink, state);
    this.#slotOf.set(sink, slot);
    if (this.#timer === undefined && this.#rate > 0) this.#startTimer();
    return () => {
      const at = this.#slotOf.get(sink);
      if (at === undefined) return;
      this.#slotOf.delete(sink);
      this.#bySlot[at]!.delete(sink);
      if (this.#slotOf.size === 0) this.stop();
    };
  }

  get streams(): number {
    return this.#slotOf.size;
  }

  #startTimer(): void {
    this.#start = performance.now();
    this.#sent = 0;
    // Fire often enough for a slot; each firing sends every slot that has come due (catching up after a late timer
    // instead of drifting).
    const slotMs = 1000 / this.#rate / this.#slots;
    this.#timer = setInterval(() => this.#tick(), Math.max(1, Math.min(50, Math.floor(slotMs))));
  }

  #tick(): void {
    const due = Math.floor(((performance.now() - this.#start) / 1000) * this.#rate * this.#slots);
    for (; this.#sent < due; this.#sent++) {
      const sentAtUs = sharedMicros();
      for (const [sink, state] of this.#bySlot[this.#sent % this.#slots]!) {
        state.seq++;
        sink(
          `{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","logger":"mcp-perf-mock","data":{"seq":${state.seq},"sentAtUs":${sentAtUs}}}}`,
        );
      }
    }
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
