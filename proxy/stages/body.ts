/**
 * Reads a POST body up to the limit (larger → 413) and classifies it as JSON-RPC: not JSON → 400 with -32700,
 * not a single JSON-RPC message (batches were removed in 2025-06-18) → 400 with -32600. The raw bytes are kept for
 * forwarding: the proxy never re-serialises what it passes on.
 *
 * With `routeOnHeaders` (reverse mode), a POST of the stateless revision that carries `Mcp-Method` is read but not
 * parsed: it goes on by its headers (SEP-2243: "so intermediaries can route without reading the body"), and the
 * server, which must refuse a header that disagrees with the body, checks the match. An `initialize` never skips.
 *
 * With `scan` (where the body is forwarded as bytes, never re-serialised: the reverse proxy), a request in the common
 * shape is read by scanRequest — its method and id, the whole body checked as JSON — instead of being built whole;
 * its params are parsed if a later stage reads them. Anything else takes the full parse, with the same answer.
 */
import { parseMessage, RpcErrorCode } from '../../core/protocol/jsonrpc.js';
import { scanRequest } from '../../core/protocol/jsonrpc-scan.js';
import { STATELESS } from '../../core/protocol/revisions.js';
import type { Exchange, Stage } from '../exchange.js';
import { replyError } from '../exchange.js';
import type { ProxyMetrics } from '../metrics.js';

export interface BodyStageOptions {
  /** Forward a stateless-revision POST that carries Mcp-Method without parsing its body (--route-on-headers). */
  readonly routeOnHeaders?: boolean;
  /** Read requests in the common shape by scanRequest (only where the body is forwarded as it came). */
  readonly scan?: boolean;
}

export function bodyStage(maxBodyBytes: number, metrics: ProxyMetrics, options: BodyStageOptions = {}): Stage {
  const { routeOnHeaders = false, scan = false } = options;
  const tooLarge = (ex: Exchange): void => {
    metrics.rejected.inc({ reason: 'body_too_large' });
    // Answered before the rest of the body is read: the server closes the connection after this reply.
    replyError(ex.res, 413, null, `request body exceeds ${maxBodyBytes} bytes`, RpcErrorCode.INVALID_REQUEST, {
      Connection: 'close',
    });
  };
  return (next) => {
    /** The whole body, or undefined when it was longer than maxBodyBytes (the server kept at most that much). */
    const read = (ex: Exchange, body: Buffer | undefined, byHeaders: boolean): void => {
      if (body === undefined) return tooLarge(ex);
      ex.body = body;
      if (byHeaders) {
        metrics.routedOnHeaders.inc();
        return next(ex);
      }
      const scanned = scan ? scanRequest(body) : undefined;
      if (scanned !== undefined) {
        ex.message = { kind: 'request', message: scanned };
        ex.rpcId = scanned.id;
        return next(ex);
      }
      const parsed = parseMessage(body.toString('utf8'));
      if ('error' in parsed) {
        const { error, id } = parsed.error;
        metrics.rejected.inc({ reason: error.code === RpcErrorCode.PARSE_ERROR ? 'parse_error' : 'invalid_request' });
        return replyError(ex.res, 400, id, error.message, error.code);
      }
      const message = parsed.message;
      ex.message = message;
      if (message.kind === 'request') ex.rpcId = message.message.id;
      next(ex);
    };
    return (ex) => {
      const req = ex.req;
      if (req.method !== 'POST') return next(ex);
      const headers = req.headers;
      const byHeaders =
        routeOnHeaders &&
        headers['mcp-protocol-version'] === STATELESS &&
        typeof headers['mcp-method'] === 'string' &&
        headers['mcp-method'] !== 'initialize';
      if (req.contentLength > maxBodyBytes) return tooLarge(ex);
      // The body has usually all arrived with the head: read at once, without a closure to wait with.
      if (req.complete) read(ex, req.peekBody(Infinity), byHeaders);
      else req.readBody((body) => read(ex, body, byHeaders));
    };
  };
}
