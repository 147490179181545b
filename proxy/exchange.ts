/**
 * One HTTP exchange as it moves through the proxy's stages, and how stages compose. A stage is a small wrapper,
 * `next => exchange => …` (undici's interceptor shape): it either answers the exchange itself (a refusal) or calls
 * `next`. Each stage is one concern in its own file under stages/, testable alone.
 */
import { RpcErrorCode, rpcError, type Classified, type JsonRpcId } from '../mock-upstreams/jsonrpc.js';
import type { ProxyRequest, ProxyResponse } from './http1/server.js';

export interface Exchange {
  readonly req: ProxyRequest;
  readonly res: ProxyResponse;
  /** process.hrtime.bigint() when the request arrived. */
  readonly startNs: bigint;
  /** Who is asking: the remote address, replaced by the token's subject once authenticated. Rate limits count by it. */
  clientKey: string;
  /** The request body (POST), read by the body stage. */
  body: Buffer;
  /** The JSON-RPC message of a POST, classified by the body stage. */
  message: Classified | undefined;
  /** The JSON-RPC id to put in an error reply. */
  rpcId: JsonRpcId;
}

export type Handler = (exchange: Exchange) => void;
export type Stage = (next: Handler) => Handler;

/** compose([a, b, c], end) runs a → b → c → end. */
export function compose(stages: readonly Stage[], terminal: Handler): Handler {
  return stages.reduceRight<Handler>((next, stage) => stage(next), terminal);
}

/** Answers with an HTTP status and a JSON-RPC error body. Safe to call twice: a sent response is left alone. */
export function replyError(
  res: ProxyResponse,
  status: number,
  id: JsonRpcId,
  message: string,
  code: number = RpcErrorCode.SERVER_ERROR,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.destroy();
    return;
  }
  const text = JSON.stringify(rpcError(id, code, message));
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
