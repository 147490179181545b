/**
 * SSE fan-out receiver: one GET stream per MCP session, or one `subscriptions/listen` stream per client of the
 * stateless revision (2026-07-28, no session), each carrying the mock's sequenced notifications (on a GET stream
 * `params.data` = {"seq": n, "sentAtUs": t}; on a listen stream `tools/list_changed` with the same two in `_meta`,
 * `mcp-perf/seq` and `mcp-perf/sentAtUs`). For every event it checks the sequence — a gap is loss until the missing numbers
 * turn up (then they were reordered), a number seen twice is a duplicate — and records the delivery latency
 * (receipt − send time, µs) while counting. Streams that end or fail before the run is over are counted as dropped.
 */
import net from 'node:net';
import { createLatencyHistogram, recordMicros, type Histogram } from '../../core/measure/histogram.js';
import { STATELESS } from '../../core/protocol/revisions.js';
import { routingHeaders, statelessMeta } from '../../core/protocol/stateless.js';
import { BodyDecoder, parseResponseHead, responseFraming, scanHead } from '../../core/protocol/http1-parse.js';
import { sharedMicros } from '../../core/runtime/clock.js';
import type { McpHttpSession, SessionTarget } from './mcp-session.js';

/** What subscriptions/listen asks for: the list-changed notifications the mock sequences. */
const LISTEN_PARAMS = { _meta: statelessMeta('mcp-perf-fanout'), notifications: { toolsListChanged: true } };
const LISTEN_HEADERS: Record<string, string> = {
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

export class FanoutReceiver {
  readonly tally: FanoutTally;
  readonly #states: StreamState[] = [];
  readonly #sockets = new Set<net.Socket>();
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
    return this.#stream(target.url, 'GET', { accept: 'text/event-stream', 'mcp-session-id': session.sessionId });
  }

  /**
   * Opens a `subscriptions/listen` stream of the stateless revision through `target` (no session: the revision's
   * headers and `_meta` on a POST); resolves once the stream is open.
   */
  listen(target: SessionTarget): Promise<void> {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: this.#states.length + 1,
      method: 'subscriptions/listen',
      params: LISTEN_PARAMS,
    });
    return this.#stream(target.url, 'POST', LISTEN_HEADERS, body);
  }

  /**
   * One stream on a socket of its own, read without the stream machinery: `onread` into one buffer shared by every
   * stream (each read is handled before the next), the proxy's own HTTP/1.1 parser for the head and the chunked body,
   * and a plain scan for events. The receiver is one hop of what a fan-out measures: through undici and a generic SSE
   * parser it spent ~17–20 µs of CPU per event on a 2-vCPU VM, this way ~10, and a burst of 500 events arrives that
   * much sooner (direct delivery p50 8–9 ms → 6.6–7 ms at 500 streams).
   */
  #stream(url: URL, method: 'GET' | 'POST', headers: Record<string, string>, body?: string): Promise<void> {
    const state = new StreamState();
    this.#states.push(state);
    const what = method === 'GET' ? 'GET stream' : 'subscriptions/listen';
    return new Promise<void>((resolve, reject) => {
      let head: Buffer | undefined;
      let decoder: BodyDecoder | undefined;
      let pending = '';
      let open = false;
      // A stream that is refused, unreadable or silent fails its open with the reason, and is never left hanging.
      const fail = (err: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        if (!open) reject(err);
      };
      const timer = setTimeout(
        () => fail(new Error(`${what}: no answer within ${OPEN_TIMEOUT_MS} ms`)),
        OPEN_TIMEOUT_MS,
      );
      const onBody = (chunk: Buffer): void => {
        pending += chunk.toString('utf8');
        // Lines may end in CRLF or CR as well as LF (the mock and our proxy send LF); a CR at the end of a read
        // waits for the next, whose LF may belong to it.
        if (pending.includes('\r')) {
          const cr = pending.endsWith('\r') ? 1 : 0;
          pending = pending.slice(0, pending.length - cr).replace(/\r\n?/g, '\n') + (cr === 1 ? '\r' : '');
        }
        for (let end = pending.indexOf('\n\n'); end !== -1; end = pending.indexOf('\n\n')) {
          const data = eventData(pending.slice(0, end));
          pending = pending.slice(end + 2);
          if (data !== undefined) this.#onEvent(state, data);
        }
      };
      const onChunk = (chunk: Buffer): void => {
        if (decoder !== undefined) {
          decoder.push(chunk, 0);
          return;
        }
        head = head === undefined ? Buffer.from(chunk) : Buffer.concat([head, chunk]);
        // Found and checked in one scan, which the parse then reads the lines of.
        const end = scanHead(head, MAX_HEAD_BYTES);
        if (end === -1) {
          if (head.length > MAX_HEAD_BYTES) fail(new Error(`${what}: a response head over ${MAX_HEAD_BYTES} bytes`));
          return;
        }
        if (end < 0) return fail(new Error(`${what}: a malformed response head`));
        const response = parseResponseHead(head, 0, end);
        if (response.status !== 200) return fail(new Error(`${what} answered HTTP ${response.status}`));
        clearTimeout(timer);
        decoder = new BodyDecoder(responseFraming(response, method), onBody);
        open = true;
        resolve();
        decoder.push(head, end);
        head = undefined;
      };
      const socket = net.connect({
        port: Number(url.port),
        host: url.hostname,
        onread: {
          buffer: READ_BUFFER,
          callback: (n: number, buf: Uint8Array) => {
            // A malformed head or body ends this stream (counted as dropped once open), never the process.
            try {
              onChunk(Buffer.from(buf.buffer, buf.byteOffset, n));
            } catch (err) {
              fail(err as Error);
            }
            return true;
          },
        },
      });
      this.#sockets.add(socket);
      socket.setNoDelay(true);
      const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
      const length = body === undefined ? '' : `content-length: ${Buffer.byteLength(body)}\r\n`;
      socket.write(
        `${method} ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\n${lines.join('')}${length}\r\n${body ?? ''}`,
      );
      socket.on('error', fail);
      socket.on('close', () => {
        clearTimeout(timer);
        this.#sockets.delete(socket);
        if (!open) reject(new Error(`${what}: the connection closed before an answer`));
        else this.#onEnd();
      });
    });
  }

  #onEvent(state: StreamState, data: string): void {
    const at = sharedMicros();
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
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }
}

/** How long a stream may take to answer its head, and how large that head may be. */
const OPEN_TIMEOUT_MS = 10_000;
const MAX_HEAD_BYTES = 64 * 1024;

/** Every stream reads into this one buffer; what is kept of a read is copied (or decoded to text) at once. */
const READ_BUFFER = Buffer.alloc(64 * 1024);

/** The data of one SSE event (its `data:` lines joined), or undefined when it has none (a comment, a keep-alive). */
function eventData(event: string): string | undefined {
  let data: string | undefined;
  for (const line of event.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const value = line.charCodeAt(5) === 0x20 ? line.slice(6) : line.slice(5);
    data = data === undefined ? value : `${data}\n${value}`;
  }
  return data;
}
