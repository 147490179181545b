/**
 * Sequenced notifications for fan-out measurements (--notify-rate N): N times a second, every open stream gets a
 * `notifications/message` whose data carries that stream's next sequence number (from 1, no gaps) and the send time
 * in µs since the epoch (performance.timeOrigin + now(), comparable across processes on one machine). A receiver
 * can count loss, duplication and reordering, and time delivery.
 */

export type Sink = (message: string) => void;

export function nowEpochMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

export class SequencedNotifier {
  readonly #rate: number;
  readonly #sinks = new Map<Sink, { seq: number }>();
  #timer: NodeJS.Timeout | undefined;
  #start = 0;
  #ticks = 0;

  constructor(ratePerSec: number) {
    this.#rate = ratePerSec;
  }

  /**
   * Starts sending to `sink`; returns the function that stops it. `state` carries the sequence number, so a stream
   * resumed after a reconnect continues where it left off.
   */
  add(sink: Sink, state: { seq: number } = { seq: 0 }): () => void {
    this.#sinks.set(sink, state);
    if (this.#timer === undefined && this.#rate > 0) this.#startTimer();
    return () => {
      this.#sinks.delete(sink);
      if (this.#sinks.size === 0) this.stop();
    };
  }

  get streams(): number {
    return this.#sinks.size;
  }

  #startTimer(): void {
    this.#start = performance.now();
    this.#ticks = 0;
    // Fire often enough for the rate; each firing sends every notification that has come due (catching up after a
    // late timer instead of drifting).
    this.#timer = setInterval(() => this.#tick(), Math.max(1, Math.min(50, Math.floor(1000 / this.#rate))));
  }

  #tick(): void {
    const due = Math.floor(((performance.now() - this.#start) / 1000) * this.#rate);
    for (; this.#ticks < due; this.#ticks++) {
      const sentAtUs = nowEpochMicros();
      for (const [sink, state] of this.#sinks) {
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
