/**
 * Fault injection for chaos runs: an added delay before forwarding, and a fraction of requests answered with an
 * injected 503. Scenarios use it to prove the harness catches a regression of a known size.
 */
import { preciseDelay } from '../../core/runtime/clock.js';
import type { Stage } from '../exchange.js';
import { replyError } from '../exchange.js';
import type { ProxyMetrics } from '../metrics.js';

export interface FaultOptions {
  readonly latencyMs: number;
  /** 0..1 */
  readonly errorRate: number;
  readonly random?: () => number;
}

export function faultStage(options: FaultOptions, metrics: ProxyMetrics): Stage {
  const random = options.random ?? Math.random;
  return (next) => (ex) => {
    if (ex.req.method !== 'POST') return next(ex);
    if (options.errorRate > 0 && random() < options.errorRate) {
      metrics.rejected.inc({ reason: 'injected_error' });
      return replyError(ex.res, 503, ex.rpcId, 'injected fault (--inject-error-rate)');
    }
    if (options.latencyMs > 0) void preciseDelay(options.latencyMs).then(() => next(ex));
    else next(ex);
  };
}
