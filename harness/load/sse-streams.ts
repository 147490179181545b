/**
 * SSE fan-out receiver: one GET stream per MCP session, each carrying the mock's sequenced notifications
 * ({"seq": n, "sentAtUs": t}). For every event it checks the sequence — a gap is loss until the missing numbers
 * turn up (then they were reordered), a number seen twice is a duplicate — and records the delivery latency
 * (receipt − send time, µs) while counting. Streams that end or fail before the run is over are counted as dropped.
 */
import { createParser } from 'eventsource-parser';
import type { Dispatcher } from 'undici';
import { createLatencyHistogram, recordMicros, type Histogram } from '../../core/measure/histogram.js';
import type { McpHttpSession, SessionTarget } from './mcp-session.js';

export interface FanoutTally {
  readonly histogram: Histogram;
  received: number;
  duplicated: number;
  reordered: number;
  dropped: number;
  /** Sequence numbers missing at the end of the run (loss). */
  lost(): number;
}

class StreamState {
  maxSeq = 0;
  /** Numbers not yet seen below maxSeq. Bounded by the loss itself. */
  readonly missing = new Set<number>();
  readonly seen = new Set<number>();
}

const nowEpochMicros = (): number => (performance.timeOrigin + performance.now()) * 1000;

export class FanoutReceiver {
  readonly tally: FanoutTally;
  readonly #states: StreamState[] = [];
  readonly #controllers: Dispatcher.DispatchController[] = [];
  #counting = false;
  #closing = false;

  constructor() {
    const states = this.#states;
    this.tally = {
      histogram: createLatencyHistogram(),
      received: 0,
      duplicated: 0,
      reordered: 0,
      dropped: 0,
      lost: () => states.reduce((n, s) => n + s.missing.size, 0),
    };
  }

  /** Counting on: events from now on are timed and tallied (sequence checks always run). */
  startCounting(): void {
    this.#counting = true;
  }

  stopCounting(): void {
    this.#counting = false;
  }

  /** Opens the session's GET stream through `target`; resolves once the stream is open. */
  open(target: SessionTarget, session: McpHttpSession): Promise<void> {
    const state = new StreamState();
    this.#states.push(state);
    const parser = createParser({ onEvent: (event) => this.#onEvent(state, event.data) });
    return new Promise<void>((resolve, reject) => {
      target.pool.dispatch(
        {
          path: target.url.pathname,
          method: 'GET',
          headers: { accept: 'text/event-stream', 'mcp-session-id': session.sessionId },
          bodyTimeout: 0,
        },
        {
          onRequestStart: (controller: Dispatcher.DispatchController) => void this.#controllers.push(controller),
          onResponseStart: (_c: Dispatcher.DispatchController, status: number) => {
            if (status === 200) resolve();
            else reject(new Error(`GET stream answered HTTP ${status}`));
          },
          onResponseData: (_c: Dispatcher.DispatchController, chunk: Buffer) => parser.feed(chunk.toString('utf8')),
          onResponseEnd: () => this.#onEnd(),
          onResponseError: (_c: Dispatcher.DispatchController, err: Error) => {
            reject(err);
            this.#onEnd();
          },
        } as Dispatcher.DispatchHandler,
      );
    });
  }

  #onEvent(state: StreamState, data: string): void {
    const at = nowEpochMicros();
    let seq: number;
    let sentAtUs: number;
    try {
      ({ seq, sentAtUs } = (JSON.parse(data) as { params: { data: { seq: number; sentAtUs: number } } }).params.data);
    } catch {
      return; // not one of the sequenced notifications
    }
    const t = this.tally;
    if (state.seen.has(seq)) {
      if (this.#counting) t.duplicated++;
      return;
    }
    state.seen.add(seq);
    if (seq > state.maxSeq) {
      for (let missing = state.maxSeq + 1; missing < seq; missing++) state.missing.add(missing);
      state.maxSeq = seq;
    } else if (state.missing.delete(seq) && this.#counting) {
      t.reordered++;
    }
    // Only the last few thousand numbers matter for duplicate checks; keep the set small.
    if (state.seen.size > 4_096) for (const s of state.seen) if (s < state.maxSeq - 2_048) state.seen.delete(s);
    if (!this.#counting) return;
    t.received++;
    recordMicros(t.histogram, at - sentAtUs);
  }

  #onEnd(): void {
    if (!this.#closing) this.tally.dropped++;
  }

  close(): void {
    this.#closing = true;
    for (const c of this.#controllers.splice(0)) c.abort(new Error('fan-out run over'));
  }
}
