/**
 * Per-client rate limit: a token bucket per client key (the remote address, or the token subject after auth).
 * A request that finds the bucket empty gets 429 with Retry-After (whole seconds until a token is back).
 * Buckets idle long enough to be full again are forgotten, so the table does not grow with every client ever seen.
 */
import type { Stage } from '../exchange.js';
import { refusalId, replyError } from '../exchange.js';
import type { ProxyMetrics } from '../metrics.js';

export interface RateLimitOptions {
  /** Tokens added per second. */
  readonly ratePerSec: number;
  /** Bucket size: the burst allowed after a quiet period. */
  readonly burst: number;
}

export class TokenBuckets {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  #lastSweep = 0;

  constructor(
    private readonly options: RateLimitOptions,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes one token; returns 0 when allowed, else the seconds until one is available. */
  take(key: string): number {
    const t = this.now();
    this.#sweep(t);
    const { ratePerSec, burst } = this.options;
    const b = this.#buckets.get(key) ?? { tokens: burst, at: t };
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * ratePerSec);
    b.at = t;
    this.#buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return (1 - b.tokens) / ratePerSec;
  }

  get size(): number {
    return this.#buckets.size;
  }

  #sweep(t: number): void {
    const fullAfterMs = (this.options.burst / this.options.ratePerSec) * 1000;
    if (t - this.#lastSweep < Math.max(1_000, fullAfterMs)) return;
    this.#lastSweep = t;
    for (const [key, b] of this.#buckets) if (t - b.at >= fullAfterMs) this.#buckets.delete(key);
  }
}

export function rateLimitStage(options: RateLimitOptions, metrics: ProxyMetrics, now?: () => number): Stage {
  const buckets = new TokenBuckets(options, now);
  return (next) => (ex) => {
    const waitSec = buckets.take(ex.clientKey);
    if (waitSec === 0) return next(ex);
    metrics.rejected.inc({ reason: 'rate_limit' });
    replyError(ex.res, 429, refusalId(ex), `rate limit exceeded: ${options.ratePerSec} requests/s per client`, -32000, {
      'Retry-After': String(Math.max(1, Math.ceil(waitSec))),
    });
  };
}
