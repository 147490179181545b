/**
 * A lean legacy HTTP+SSE (2024-11-05) client session for load: GET /sse, wait for the `endpoint` event, initialize,
 * then each call is a POST (answered 202) whose JSON-RPC answer arrives on the stream and is matched by id. The
 * same `call(id, body)` contract as McpHttpSession, so both load models drive it unchanged.
 */
import { createParser } from 'eventsource-parser';
import type { Pool } from 'undici';
import type { CallOutcome } from './mcp-session.js';
import { checkAnswer } from './mcp-session.js';
import { LEGACY_SSE } from '../../core/protocol/revisions.js';

export class LegacySseSession {
  readonly #pool: Pool;
  readonly #endpoint: URL;
  readonly #abort: AbortController;
  /** Calls waiting for their answer on the stream, by id: each is given the answer's JSON. */
  readonly #waiting: Map<number, (answer: string) => void>;
  readonly #timeoutMs: number;

  private constructor(
    pool: Pool,
    endpoint: URL,
    abort: AbortController,
    waiting: Map<number, (answer: string) => void>,
    timeoutMs: number,
  ) {
    this.#pool = pool;
    this.#endpoint = endpoint;
    this.#abort = abort;
    this.#waiting = waiting;
    this.#timeoutMs = timeoutMs;
  }

  /** Opens the stream, reads the endpoint, and does the initialize handshake. Throws: this is set-up. */
  static async open(pool: Pool, sseUrl: URL, requestTimeoutMs: number): Promise<LegacySseSession> {
    const abort = new AbortController();
    const waiting = new Map<number, (answer: string) => void>();
    const res = await pool.request({
      path: sseUrl.pathname + sseUrl.search,
      method: 'GET',
      headers: { accept: 'text/event-stream' },
      signal: abort.signal,
    });
    if (res.statusCode !== 200) throw new Error(`GET ${sseUrl.href} answered HTTP ${res.statusCode}`);
    let found: (url: URL) => void;
    const endpoint = new Promise<URL>((resolve) => (found = resolve));
    const parser = createParser({
      onEvent(event) {
        if (event.event === 'endpoint') return found(new URL(event.data, sseUrl));
        const id = /"id":(\d+)/.exec(event.data)?.[1];
        const resolve = id === undefined ? undefined : waiting.get(Number(id));
        if (resolve === undefined) return; // a notification, or an answer nobody waits for
        waiting.delete(Number(id));
        resolve(event.data);
      },
    });
    void (async () => {
      try {
        for await (const chunk of res.body) parser.feed(String(chunk));
      } catch {
        // aborted by close(), or the server went away: pending calls time out
      }
    })();
    const url = await Promise.race([
      endpoint,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`no endpoint event from ${sseUrl.href}`)), requestTimeoutMs),
      ),
    ]);
    if (url.origin !== sseUrl.origin) throw new Error(`endpoint ${url.href} is not on ${sseUrl.origin}`);
    const session = new LegacySseSession(pool, url, abort, waiting, requestTimeoutMs);
    const init = JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: LEGACY_SSE,
        capabilities: {},
        clientInfo: { name: 'mcp-perf-load', version: '0.1.0' },
      },
    });
    const answer = await session.call(0, init);
    if (!answer.ok) throw new Error(`initialize over legacy SSE failed: ${answer.detail}`);
    await session.#post('{"jsonrpc":"2.0","method":"notifications/initialized"}');
    return session;
  }

  /** Answers are matched to calls by id on the one stream, so ids must be unique here (IdMode `unique`). */
  call(id: number, body: string, token?: string): Promise<CallOutcome> {
    return new Promise<CallOutcome>((resolve) => {
      const timer = setTimeout(() => {
        if (this.#waiting.delete(id))
          resolve({ ok: false, kind: 'timeout', detail: `no answer on the stream within ${this.#timeoutMs} ms` });
      }, this.#timeoutMs);
      this.#waiting.set(id, (answer) => {
        clearTimeout(timer);
        resolve(checkAnswer(200, 'application/json', answer, id, token));
      });
      this.#post(body).then(
        (status) => {
          if (status >= 300 && this.#waiting.delete(id)) {
            clearTimeout(timer);
            resolve({ ok: false, kind: 'http_status', detail: `HTTP ${status}` });
          }
        },
        (err: unknown) => {
          if (this.#waiting.delete(id)) {
            clearTimeout(timer);
            resolve({ ok: false, kind: 'reset', detail: (err as NodeJS.ErrnoException).code ?? String(err) });
          }
        },
      );
    });
  }

  async #post(body: string): Promise<number> {
    const res = await this.#pool.request({
      path: this.#endpoint.pathname + this.#endpoint.search,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    await res.body.dump();
    return res.statusCode;
  }

  async close(): Promise<void> {
    this.#abort.abort();
  }
}
