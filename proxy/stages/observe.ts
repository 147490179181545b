/** The outermost stage: counts every request by method and status, times it, and logs it at debug level. */
import { performance } from 'node:perf_hooks';
import type { Stage } from '../exchange.js';
import type { Logger } from '../log.js';
import type { ProxyMetrics } from '../metrics.js';

export function observeStage(metrics: ProxyMetrics, log: Logger): Stage {
  const debug = log.enabled('debug');
  return (next) => (ex) => {
    ex.res.on('finish', () => {
      const seconds = (performance.now() - ex.startMs) / 1e3;
      metrics.requests.inc2('method', ex.req.method, 'status', String(ex.res.statusCode));
      metrics.duration.observe(seconds);
      if (debug)
        log.debug('request', {
          method: ex.req.method,
          status: ex.res.statusCode,
          ms: Math.round(seconds * 1e6) / 1e3,
          client: ex.clientKey,
        });
    });
    next(ex);
  };
}
