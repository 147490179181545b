/**
 * Origin validation against DNS rebinding (the Streamable HTTP spec requires it of servers): a browser request whose
 * Origin is not allowed gets 403. Requests without an Origin (not from a browser) pass. Loopback origins
 * (localhost, 127.0.0.0/8, [::1]) are allowed by default; others must be listed.
 */
import type { Stage } from '../exchange.js';
import { refusalId, replyError } from '../exchange.js';
import type { ProxyMetrics } from '../metrics.js';

const LOOPBACK_HOST = /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])$/;

export function originStage(allowed: readonly string[], metrics: ProxyMetrics): Stage {
  const exact = new Set(allowed.map((o) => o.replace(/\/$/, '').toLowerCase()));
  const isAllowed = (origin: string): boolean => {
    if (exact.has(origin.toLowerCase())) return true;
    try {
      return LOOPBACK_HOST.test(new URL(origin).hostname);
    } catch {
      return false;
    }
  };
  return (next) => (ex) => {
    const origin = ex.req.headers.origin;
    if (origin === undefined || isAllowed(origin)) return next(ex);
    metrics.rejected.inc({ reason: 'origin' });
    replyError(ex.res, 403, refusalId(ex), `origin ${origin} is not allowed`);
  };
}
