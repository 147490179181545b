/**
 * The routing headers of the stateless revision (2026-07-28, SEP-2243) checked against the body: a POST whose
 * `Mcp-Method` or `Mcp-Name` says something other than the JSON-RPC message it carries gets 400, so that the proxy,
 * whatever routes on the headers after it and the server act on the same message. A request that declares the
 * stateless revision (`MCP-Protocol-Version: 2026-07-28`) must carry them; older revisions may, and are checked when
 * they do. Runs after the body stage (it reads the parsed message).
 */
import type { Stage } from '../exchange.js';
import { refusalId, replyError } from '../exchange.js';
import type { ProxyMetrics } from '../metrics.js';
import { STATELESS } from '../../core/protocol/revisions.js';
import { routingMismatch } from '../../core/protocol/stateless.js';
import { RpcErrorCode } from '../../core/protocol/jsonrpc.js';

export function routingStage(metrics: ProxyMetrics): Stage {
  return (next) => (ex) => {
    const message = ex.message;
    if (ex.req.method !== 'POST' || message === undefined || message.kind !== 'request') return next(ex);
    const headers = ex.req.headers;
    if (headers['mcp-method'] === undefined && headers['mcp-protocol-version'] !== STATELESS) return next(ex);
    const { method, params } = message.message;
    const mismatch = routingMismatch(headers, method, params, headers['mcp-protocol-version'] === STATELESS);
    if (mismatch === undefined) return next(ex);
    metrics.rejected.inc({ reason: 'routing_headers' });
    replyError(ex.res, 400, refusalId(ex), mismatch, RpcErrorCode.INVALID_REQUEST);
  };
}
