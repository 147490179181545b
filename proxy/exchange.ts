/**
 * One HTTP exchange as it moves through the proxy's stages, and how stages compose. A stage is a small wrapper,
 * `next => exchange => …` (undici's interceptor shape): it either answers the exchange itself (a refusal) or calls
 * `next`. Each stage is one concern in its own file under stages/, testable alone.
 */
import { performance } from 'node:perf_hooks';
import { classify, RpcErrorCode, rpcError, type Classified, type JsonRpcId } from '../core/protocol/jsonrpc.js';
import type { ProxyRequest, ProxyResponse } from './http1/server.js';

export interface Exchange {
  readonly req: ProxyRequest;
  readonly res: ProxyResponse;
  /**
   * performance.now() when the request arrived (cheaper than a bigint from process.hrtime.bigint()). `performance` is
   * imported: the global is an accessor, looked up on every read (~300 instructions a call).
   */
  readonly startMs: number;
  /** Who is asking: the remote address, replaced by the token's subject once authenticated. Rate limits count by it. */
  clientKey: string;
  /**
   * The authenticated identity that owns the sessions this exchange opens and may use (a static token's digest, a
   * JWT's issuer and subject); undefined when auth is off.
   */
  principal: string | undefined;
  /** The request body (POST), read by the body stage. */
  body: Buffer;
  /** The JSON-RPC message of a POST, classified by the body stage. */
  message: Classified | undefined;
  /** The JSON-RPC id to put in an error reply. */
  rpcId: JsonRpcId;
}

export type Handler = (exchange: Exchange) => void;
export type Stage = (next: Handler) => Handler;

/** A new exchange for a request the front routed to a stage pipeline. */
export function newExchange(req: ProxyRequest, res: ProxyResponse): Exchange {
  return {
    req,
    res,
    startMs: performance.now(),
    clientKey: req.remoteAddress,
    principal: undefined,
    body: EMPTY,
    message: undefined,
    rpcId: null,
  };
}

const EMPTY = Buffer.alloc(0);
/** Bodies up to this size are read for their id when a stage refuses before the body stage has run. */
const PEEK_LIMIT = 64 * 1024;

/**
 * The JSON-RPC id to put in a refusal: the body stage's, or — for stages that run before it (origin, auth, rate
 * limit) — read from the body when it has all arrived already (it usually has: the server reads what came with the
 * head before handing the request on) and is small. Never waits for a body.
 */
export function refusalId(ex: Exchange): JsonRpcId {
  if (ex.rpcId !== null || ex.req.method !== 'POST') return ex.rpcId;
  const body = ex.req.peekBody(PEEK_LIMIT);
  if (body === undefined || body.length === 0) return null;
  try {
    const m = classify(JSON.parse(body.toString('utf8')));
    return m.kind === 'request' ? m.message.id : null;
  } catch {
    return null;
  }
}

/**
 * compose([a, b, c], end) runs a → b → c → end. Every hand-over is guarded: a stage or handler that throws — at once,
 * or later from a callback that calls `next` (a body that arrives after its head, a delay), or by returning a
 * promise that rejects — answers that request 500 with a JSON-RPC error (or cuts it, when its answer has begun),
 * tells `onError`, and leaves the proxy serving everyone else.
 */
export function compose(
  stages: readonly Stage[],
  terminal: Handler,
  onError: (error: unknown) => void = () => {},
): Handler {
  const guard =
    (handler: Handler): Handler =>
    (ex) => {
      try {
        const result = handler(ex) as unknown;
        if (result instanceof Promise) result.catch((error: unknown) => failed(ex, error, onError));
      } catch (error) {
        failed(ex, error, onError);
      }
    };
  return stages.reduceRight<Handler>((next, stage) => guard(stage(next)), guard(terminal));
}

function failed(ex: Exchange, error: unknown, onError: (error: unknown) => void): void {
  try {
    onError(error);
  } finally {
    replyError(ex.res, 500, ex.rpcId, 'internal error in the proxy', RpcErrorCode.INTERNAL_ERROR);
  }
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
