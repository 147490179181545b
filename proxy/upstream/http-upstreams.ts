/**
 * The Streamable HTTP upstreams of a reverse proxy: one keep-alive undici Pool each. New sessions (and requests that
 * carry no session, as 2026-07-28 allows) are spread round-robin or to the upstream with the fewest requests in
 * flight; a session stays on the upstream that created it. An upstream that refuses connections is marked down at
 * once (passive check) and probed every --health-interval-ms (active check) until it answers again.
 */
import { Client, Pool } from 'undici';
import type { Logger } from '../log.js';

export type Balance = 'round-robin' | 'least-pending';

/**
 * The connection pool for one upstream origin, the same for every upstream the proxy talks to: one connection per
 * concurrent request or open stream, idle ones kept alive; the timeout bounds the wait for response headers only,
 * since an SSE stream may stay quiet for a long time (a client disconnect ends it instead).
 */
export function upstreamPool(origin: string, headersTimeoutMs: number): Pool {
  return new Pool(origin, { connections: null, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: headersTimeoutMs, bodyTimeout: 0 });
}

export class HttpUpstream {
  readonly pool: Pool;
  pending = 0;
  healthy = true;
  readonly #timeoutMs: number;
  readonly #streamClients = new Set<Client>();

  constructor(
    readonly url: URL,
    readonly index: number,
    timeoutMs: number,
  ) {
    this.pool = upstreamPool(url.origin, timeoutMs);
    this.#timeoutMs = timeoutMs;
  }

  /**
   * A connection of its own for a long-lived GET stream, ended with the stream. Streams do not go through the pool:
   * undici's Pool keeps every client it ever created (a disconnected one is reconnected on demand, never dropped),
   * so a burst of 2,000 streams would pin 2,000 clients — ~13 MB of heap here — for the life of the proxy.
   */
  streamClient(): Client {
    const client = new Client(this.url.origin, { pipelining: 1, headersTimeout: this.#timeoutMs, bodyTimeout: 0 });
    this.#streamClients.add(client);
    return client;
  }

  releaseStreamClient(client: Client): void {
    if (!this.#streamClients.delete(client)) return;
    client.destroy().catch(() => {});
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.destroy(), ...[...this.#streamClients].map((c) => c.destroy().catch(() => {}))]);
    this.#streamClients.clear();
  }
}

export class UpstreamSet {
  readonly upstreams: readonly HttpUpstream[];
  readonly #balance: Balance;
  readonly #log: Logger;
  readonly #timer: NodeJS.Timeout | undefined;
  #next = 0;

  constructor(urls: readonly URL[], options: { balance: Balance; timeoutMs: number; healthIntervalMs: number; log: Logger }) {
    this.upstreams = urls.map((u, i) => new HttpUpstream(u, i, options.timeoutMs));
    this.#balance = options.balance;
    this.#log = options.log;
    if (options.healthIntervalMs > 0) {
      this.#timer = setInterval(() => void this.checkAll(), options.healthIntervalMs);
      this.#timer.unref();
    }
  }

  /** The upstream for a new session or a sessionless request; undefined when none is healthy. */
  pick(): HttpUpstream | undefined {
    const healthy = this.upstreams.filter((u) => u.healthy);
    if (healthy.length === 0) return undefined;
    if (this.#balance === 'least-pending') return healthy.reduce((a, b) => (b.pending < a.pending ? b : a));
    return healthy[this.#next++ % healthy.length];
  }

  /** Passive check: a refused connection marks the upstream down until a probe finds it up. */
  markDown(upstream: HttpUpstream, reason: string): void {
    if (!upstream.healthy || this.upstreams.length === 1) return; // with one upstream there is nowhere else to go
    upstream.healthy = false;
    this.#log.warn('upstream down', { upstream: upstream.url.href, reason });
  }

  /** Active check: any HTTP answer (even 400 to a sessionless ping) means the upstream is up. */
  async checkAll(): Promise<void> {
    await Promise.all(
      this.upstreams.map(async (u) => {
        let up: boolean;
        try {
          const res = await u.pool.request({
            path: u.url.pathname,
            method: 'POST',
            headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
            body: '{"jsonrpc":"2.0","id":"mcp-perf-health","method":"ping"}',
            headersTimeout: 2_000,
            bodyTimeout: 2_000,
          });
          await res.body.dump();
          up = true;
        } catch {
          up = false;
        }
        if (up !== u.healthy) this.#log.warn(up ? 'upstream up' : 'upstream down', { upstream: u.url.href, reason: 'health check' });
        u.healthy = up || this.upstreams.length === 1;
      }),
    );
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await Promise.all(this.upstreams.map((u) => u.close()));
  }
}
