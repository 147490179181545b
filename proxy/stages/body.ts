/**
 * Reads a POST body up to the limit (larger → 413) and classifies it as JSON-RPC: not JSON → 400 with -32700,
 * not a single JSON-RPC message (batches were removed in 2025-06-18) → 400 with -32600. The raw bytes are kept for
 * forwarding: the proxy never re-serialises what it passes on.
 */
import { classify, RpcErrorCode } from '../../mock-upstreams/jsonrpc.js';
import type { Stage } from '../exchange.js';
import { replyError } from '../exchange.js';
import type { ProxyMetrics } from '../metrics.js';

export function bodyStage(maxBodyBytes: number, metrics: ProxyMetrics): Stage {
  return (next) => (ex) => {
    if (ex.req.method !== 'POST') return next(ex);
    const declared = Number(ex.req.headers['content-length'] ?? 0);
    if (declared > maxBodyBytes) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    ex.req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) chunks.push(chunk);
    });
    ex.req.on('end', () => {
      if (size > maxBodyBytes) return tooLarge();
      ex.body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      let parsed: unknown;
      try {
        parsed = JSON.parse(ex.body.toString('utf8'));
      } catch {
        metrics.rejected.inc({ reason: 'parse_error' });
        return replyError(ex.res, 400, null, 'parse error: the body is not valid JSON', RpcErrorCode.PARSE_ERROR);
      }
      const message = classify(parsed);
      if (message.kind === 'invalid') {
        metrics.rejected.inc({ reason: 'invalid_request' });
        return replyError(ex.res, 400, message.id, `invalid request: ${Array.isArray(parsed) ? 'batches are not supported' : message.reason}`, RpcErrorCode.INVALID_REQUEST);
      }
      ex.message = message;
      if (message.kind === 'request') ex.rpcId = message.message.id;
      next(ex);
    });

    function tooLarge(): void {
      metrics.rejected.inc({ reason: 'body_too_large' });
      replyError(ex.res, 413, null, `request body exceeds ${maxBodyBytes} bytes`, RpcErrorCode.INVALID_REQUEST, { Connection: 'close' });
      ex.req.resume();
    }
  };
}
