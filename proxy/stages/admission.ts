/**
 * Load shedding: at most `maxInFlight` POSTs awaiting their answer across the proxy; one more is answered 503 with
 * Retry-After at once, before its body is read or an upstream is asked — a refusal costs a fraction of a call, so
 * under overload the proxy spends its time on the calls it admitted instead of queueing every one without bound.
 * GET streams and DELETEs are not counted (a stream is open for as long as its client wants). Off by default.
 */
import { RpcErrorCode } from '../../core/protocol/jsonrpc.js';
import type { Stage } from '../exchange.js';
import { refusalId, replyError } from '../exchange.js';
import type { ProxyMetrics } from '../metrics.js';

export interface Admission {
  readonly stage: Stage;
  /** POSTs admitted and not yet answered. */
  readonly inFlight: () => number;
}

export function admissionStage(maxInFlight: number, metrics: ProxyMetrics): Admission {
  let inFlight = 0;
  const stage: Stage = (next) => (ex) => {
    if (ex.req.method !== 'POST') return next(ex);
    if (inFlight >= maxInFlight) {
      metrics.rejected.inc({ reason: 'overloaded' });
      return replyError(
        ex.res,
        503,
        refusalId(ex),
        `overloaded: ${maxInFlight} requests already in flight (--max-in-flight)`,
        RpcErrorCode.SERVER_ERROR,
        { 'Retry-After': '1' },
      );
    }
    inFlight++;
    let counted = true;
    const done = (): void => {
      if (!counted) return;
      counted = false;
      inFlight--;
    };
    ex.res.once('finish', done);
    ex.res.once('close', done);
    next(ex);
  };
  return { stage, inFlight: () => inFlight };
}
