/**
 * SSE fan-out receiver: one GET stream per MCP session, or one `subscriptions/listen` stream per client of the
 * stateless revision (2026-07-28, no session), each carrying the mock's sequenced notifications (on a GET stream
 * `params.data` = {"seq": n, "sentAtUs": t}; on a listen stream `tools/list_changed` with the same two in `_meta`,
 * `mcp-perf/seq` and `mcp-perf/sentAtUs`). For every event it checks the sequence — a gap is loss until the missing numbers
 * turn up (then they were reordered), a number seen twice is a duplicate — and records the delivery latency
 * (receipt − send time, µs) while counting. Streams that end or fail before the run is over are counted as dropped.
 */
import { createParser } from 'eventsource-parser';
import type { Dispatcher } from 'undici';
import { createLatencyHistogram, recordMicros, type Histogram } from '../../core/measure/histogram.js';
import { STATELESS } from '../../core/protocol/revisions.js';
import { routingHeaders, statelessMeta } from '../../core/protocol/stateless.js';
import type { McpHttpSession, SessionTarget } from './mcp-session.js';

/** What subscriptions/listen asks for: the list-changed notifications the mock sequences. */
const LISTEN_PARAMS = { _meta: statelessMeta('mcp-perf-fanout'), notifications: { toolsListChanged: true } };
const LISTEN_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': STATELESS,
  ...routingHeaders('subscriptions/listen', LISTEN_PARAMS),
};

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

/** A sequenced notification's params: on a GET stream, or on a listen stream. */
interface Sequenced {
  readonly data?: { readonly seq?: number; readonly sentAtUs?: number };
  readonly _meta?: { readonly 'mcp-perf/seq'?: number; readonly 'mcp-perf/sentAtUs'?: number };
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
    return this.#stream(target, {
      path: target.url.pathname,
      method: 'GET',
      headers: { accept: 'text/event-stream', 'mcp-session-id': session.sessionId },
      bodyTimeout: 0,
    });
  }

  /**
   * Opens a `subscriptions/listen` stream of the stateless revision through `target` (no session: the revision's
   * headers and `_meta` on a POST); resolves once the stream is open.
   */
  listen(target: SessionTarget): Promise<void> {
    return this.#stream(target, {
      path: target.url.pathname,
      method: 'POST',
      headers: LISTEN_HEADERS,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: this.#states.length + 1,
        method: 'subscriptions/listen',
        params: LISTEN_PARAMS,
      }),
      bodyTimeout: 0,
    });
  }

  #stream(target: SessionTarget, request: Dispatcher.DispatchOptions): Promise<void> {
    const state = new StreamState();
    this.#states.push(state);
    const parser = createParser({ onEvent: (event) => this.#onEvent(state, event.data) });
    const what = request.method === 'GET' ? 'GET stream' : 'subscriptions/listen';
    return new Promise<void>((resolve, reject) => {
      target.pool.dispatch(request, {
        onRequestStart: (controller: Dispatcher.DispatchController) => void this.#controllers.push(controller),
        onResponseStart: (_c: Dispatcher.DispatchController, status: number) => {
          if (status === 200) resolve();
          else reject(new Error(`${what} answered HTTP ${status}`));
        },
        onResponseData: (_c: Dispatcher.DispatchController, chunk: Buffer) => parser.feed(chunk.toString('utf8')),
        onResponseEnd: () => this.#onEnd(),
        onResponseError: (_c: Dispatcher.DispatchController, err: Error) => {
          reject(err);
          this.#onEnd();
        },
      } as Dispatcher.DispatchHandler);
    });
  }

  #onEvent(state: StreamState, data: string): void {
    const at = nowEpochMicros();
    let seq: number | undefined;
    let sentAtUs: number | undefined;
    try {
      const params = (JSON.parse(data) as { params: Sequenced }).params;
      seq = params.data?.seq ?? params._meta?.['mcp-perf/seq'];
      sentAtUs = params.data?.sentAtUs ?? params._meta?.['mcp-perf/sentAtUs'];
    } catch {
      return; // not JSON-RPC
    }
    if (typeof seq !== 'number' || typeof sentAtUs !== 'number') return; // not one of the sequenced notifications
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
