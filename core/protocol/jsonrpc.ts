/** JSON-RPC 2.0 shapes and error codes shared by the mocks and the proxy. */

export type JsonRpcId = string | number | null;

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: string | number;
  method: string;
  params?: Record<string, unknown>;
}
export interface JsonRpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: Record<string, unknown>;
}
export interface JsonRpcResult {
  jsonrpc: '2.0';
  id: string | number;
  result: unknown;
}
export interface JsonRpcErrorResponse {
  jsonrpc: '2.0';
  id: JsonRpcId;
  error: { code: number; message: string; data?: unknown };
}
export type JsonRpcResponse = JsonRpcResult | JsonRpcErrorResponse;
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

export const RpcErrorCode = Object.freeze({
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** Implementation-defined server errors live in -32000..-32099. */
  SERVER_ERROR: -32000,
});

export function rpcError(id: JsonRpcId, code: number, message: string, data?: unknown): JsonRpcErrorResponse {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } };
}

export type Classified =
  | { kind: 'request'; message: JsonRpcRequest }
  | { kind: 'notification'; message: JsonRpcNotification }
  | { kind: 'response'; message: JsonRpcResponse }
  | { kind: 'invalid'; reason: string; id: JsonRpcId };

export type Valid = Exclude<Classified, { kind: 'invalid' }>;

/**
 * Parses one message as text: a valid JSON-RPC message, or the error to answer it with — -32700 when it is not
 * JSON, -32600 when it is JSON but not one JSON-RPC message (batches included: 2025-06-18 removed them).
 */
export function parseMessage(text: string): { message: Valid } | { error: JsonRpcErrorResponse } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { error: rpcError(null, RpcErrorCode.PARSE_ERROR, 'parse error: not valid JSON') };
  }
  const message = classify(parsed);
  if (message.kind !== 'invalid') return { message };
  return {
    error: rpcError(
      message.id,
      RpcErrorCode.INVALID_REQUEST,
      `invalid request: ${Array.isArray(parsed) ? 'batches are not supported' : message.reason}`,
    ),
  };
}

/** Sorts a parsed value into request / notification / response, or says why it is not valid JSON-RPC. */
export function classify(value: unknown): Classified {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { kind: 'invalid', reason: 'a JSON-RPC message must be a JSON object', id: null };
  }
  const m = value as Record<string, unknown>;
  // A number id must be finite: 1e999 parses to Infinity, which serialises back as null and so could never be
  // matched to its answer.
  const id = typeof m.id === 'string' || (typeof m.id === 'number' && Number.isFinite(m.id)) ? m.id : null;
  if (m.jsonrpc !== '2.0') return { kind: 'invalid', reason: 'jsonrpc must be "2.0"', id };
  if (typeof m.method === 'string') {
    if (m.params !== undefined && (m.params === null || typeof m.params !== 'object')) {
      return { kind: 'invalid', reason: 'params must be an object', id };
    }
    if (!('id' in m)) return { kind: 'notification', message: m as unknown as JsonRpcNotification };
    if (id === null) return { kind: 'invalid', reason: 'id must be a string or a number', id: null };
    return { kind: 'request', message: m as unknown as JsonRpcRequest };
  }
  if ('result' in m || 'error' in m) return { kind: 'response', message: m as unknown as JsonRpcResponse };
  return { kind: 'invalid', reason: 'not a request, notification or response', id };
}
