/**
 * Reads a POST body up to the limit (larger → 413) and classifies it as JSON-RPC: not JSON → 400 with -32700,
 * not a single JSON-RPC message (batches were removed in 2025-06-18) → 400 with -32600. The raw bytes are kept for
 * forwarding: the proxy never re-serialises what it passes on.
 */
import { parseMessage, RpcErrorCode } from '../../core/protocol/jsonrpc.js';
import type { Stage } from '../exchange.js';
import { replyError } from '../exchange.js';
import type { ProxyMetrics } from '../metrics.js';

export function bodyStage(maxBodyBytes: number, metrics: ProxyMetrics): Stage {
  return (next) => (ex) => {
    if (ex.req.method !== 'POST') return next(ex);
    const declared = Number(ex.req.headers['content-length'] ?? 0);
    if (declared > maxBodyBytes) return tooLarge();
    ex.req.readBody((body) => {
      if (body === undefined) return tooLarge(); // the server kept at most maxBodyBytes of it
      ex.body = body;
      const parsed = parseMessage(ex.body.toString('utf8'));
      if ('error' in parsed) {
        const { error, id } = parsed.error;
        metrics.rejected.inc({ reason: error.code === RpcErrorCode.PARSE_ERROR ? 'parse_error' : 'invalid_request' });
        return replyError(ex.res, 400, id, error.message, error.code);
      }
      const message = parsed.message;
      ex.message = message;
      if (message.kind === 'request') ex.rpcId = message.message.id;
      next(ex);
    });

    function tooLarge(): void {
      metrics.rejected.inc({ reason: 'body_too_large' });
      // Answered before the rest of the body is read: the server closes the connection after this reply.
      replyError(ex.res, 413, null, `request body exceeds ${maxBodyBytes} bytes`, RpcErrorCode.INVALID_REQUEST, {
        Connection: 'close',
      });
    }
  };
}
