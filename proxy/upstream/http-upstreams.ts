/**
 * The Streamable HTTP upstreams of a reverse proxy: one keep-alive connection pool each. New sessions (and requests that
 * carry no session, as 2026-07-28 allows) are spread round-robin or to the upstream with the fewest requests in
 * flight; a session stays on the upstream that created it. An upstream that refuses connections is marked down at
 * once (passive check) and probed every --health-interval-ms (active check) until it answers again.
 */
import { Http1Pool } from '../http1/client.js';
import type { Logger } from '../log.js';
import { TaskRoutes } from './task-routes.js';

export type Balance = 'round-robin' | 'least-pending';

const HEALTH_PING = Buffer.from('{"jsonrpc":"2.0","id":"mcp-perf-health","method":"ping"}');

export class HttpUpstream {
  /**
   * Keep-alive connections to this upstream: one per concurrent request or open stream. A GET stream holds its
   * connection for as long as it stays open and gives it back (or closes it) when it ends; idle connections close
   * before the upstream's keep-alive timeout, so none is pinned for the proxy's lifetime.
   */
  readonly pool: Http1Pool;
  pending = 0;
  /** POSTs sent and not yet answered (pending less GET streams and DELETEs): what --max-in-flight-per-upstream bounds. */
  posts = 0;
  healthy = true;
  /** The upstream's path, read once (each read of URL.pathname cuts a new string). */
  readonly path: string;

  constructor(
    readonly url: URL,
    readonly index: number,
    /** --upstream-header: what every request the proxy makes of its own (DELETE, health check) carries too. */
    readonly headers: Readonly<Record<string, string>>,
    onError: (error: unknown) => void,
  ) {
    this.pool = new Http1Pool(url, { onError });
    this.path = url.pathname;
  }

  /** Ends a session on this upstream, best effort (one that idled out, or that no client can use). */
  deleteSession(id: string): void {
    this.pool
      .request({
        path: this.path,
        method: 'DELETE',
        headers: { 'mcp-session-id': id, ...this.headers },
        body: null,
        headersTimeoutMs: 2_000,
      })
      .catch(() => {});
  }

  close(): void {
    this.pool.close();
  }
}

export class UpstreamSet {
  readonly upstreams: readonly HttpUpstream[];
  /** With several upstreams: which one made each task whose handle passed through (task-routes.ts). */
  readonly tasks = new TaskRoutes<HttpUpstream>();
  readonly #balance: Balance;
  readonly #log: Logger;
  readonly #timer: NodeJS.Timeout | undefined;
  #next = 0;

  constructor(
    urls: readonly URL[],
    options: { balance: Balance; healthIntervalMs: number; log: Logger; headers: Readonly<Record<string, string>> },
  ) {
    const onError = (error: unknown): void =>
      options.log.error('response handler failed', { error: String((error as Error)?.stack ?? error) });
    this.upstreams = urls.map((u, i) => new HttpUpstream(u, i, options.headers, onError));
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
          await u.pool.request({
            path: u.path,
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              accept: 'application/json, text/event-stream',
              ...u.headers,
            },
            body: HEALTH_PING,
            headersTimeoutMs: 2_000,
          });
          up = true;
        } catch {
          up = false;
        }
        if (up !== u.healthy)
          this.#log.warn(up ? 'upstream up' : 'upstream down', { upstream: u.url.href, reason: 'health check' });
        u.healthy = up || this.upstreams.length === 1;
      }),
    );
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    for (const u of this.upstreams) u.close();
  }
}
