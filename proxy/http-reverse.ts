/**
 * Streamable HTTP reverse proxy. Each request is forwarded verbatim (method, path, end-to-end headers — among them
 * Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID, Accept, Content-Type) over keep-alive connections pooled by
 * undici. Responses are streamed with `pool.dispatch`: each upstream chunk is written into our ServerResponse as it
 * arrives, so an SSE stream is never buffered whole. Upstream failures become JSON-RPC error bodies: refused → 502,
 * no response headers within the timeout → 504.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import { RpcErrorCode, rpcError, type JsonRpcId } from '../mock-upstreams/jsonrpc.js';

export interface ReverseProxyOptions {
  readonly host: string;
  readonly port: number;
  readonly upstream: URL;
  /** Time allowed for the upstream's response headers before answering 504. @default 30000 */
  readonly upstreamTimeoutMs: number;
  /** Largest request body accepted; larger ones get 413. @default 4194304 (4 MiB) */
  readonly maxBodyBytes: number;
}

export interface RunningProxy {
  readonly url: string;
  close(): Promise<void>;
}

/** RFC 9110 §7.6.1 hop-by-hop headers, plus host: never forwarded in either direction. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

function endToEnd(headers: http.IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

export async function startReverseProxy(options: ReverseProxyOptions): Promise<RunningProxy> {
  const pool = new Pool(options.upstream.origin, {
    connections: null, // one connection per concurrent request or open stream; idle ones are kept alive
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: options.upstreamTimeoutMs,
    bodyTimeout: 0, // an SSE stream may be quiet for a long time; a client disconnect ends it instead
  });

  const server = http.createServer({ keepAliveTimeout: 30_000, noDelay: true }, (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= options.maxBodyBytes) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > options.maxBodyBytes) {
        return fail(res, 413, null, `request body exceeds ${options.maxBodyBytes} bytes`, RpcErrorCode.INVALID_REQUEST);
      }
      forward(req, res, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
  });

  function forward(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
    pool.dispatch(
      {
        origin: options.upstream.origin,
        path: req.url ?? '/',
        method: req.method as 'GET',
        headers: endToEnd(req.headers),
        body: body.length > 0 ? body : null,
      },
      new ForwardHandler(res, body, options.upstreamTimeoutMs),
    );
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}${options.upstream.pathname}`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 1_000).unref(); // in-flight requests get a moment to finish
      });
      await pool.destroy();
    },
  };
}

/**
 * Writes the upstream response straight into our ServerResponse as undici parses it: no intermediate stream, one
 * object per request. Backpressure both ways: a slow client pauses the upstream read; a client that goes away
 * aborts the upstream request.
 */
class ForwardHandler implements Dispatcher.DispatchHandler {
  readonly #res: http.ServerResponse;
  readonly #body: Buffer;
  readonly #timeoutMs: number;
  #controller: Dispatcher.DispatchController | undefined;

  constructor(res: http.ServerResponse, body: Buffer, timeoutMs: number) {
    this.#res = res;
    this.#body = body;
    this.#timeoutMs = timeoutMs;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    this.#res.once('close', this.#onClientClose);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: http.IncomingHttpHeaders): void {
    const res = this.#res;
    res.writeHead(statusCode, endToEnd(headers));
    // An SSE client must see its stream open before the first event; a JSON answer goes out headers and body in
    // one write.
    if (String(headers['content-type'] ?? '').startsWith('text/event-stream')) res.flushHeaders();
    res.on('drain', () => controller.resume());
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.#res.write(chunk)) controller.pause();
  }

  onResponseEnd(): void {
    this.#res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    const res = this.#res;
    if (res.destroyed) return; // the client is gone; nobody to tell
    if (res.headersSent) return void res.destroy(err);
    const timedOut = err instanceof undiciErrors.HeadersTimeoutError;
    fail(
      res,
      timedOut ? 504 : 502,
      requestId(this.#body),
      timedOut ? `upstream did not answer within ${this.#timeoutMs} ms` : `upstream unavailable: ${(err as NodeJS.ErrnoException).code ?? err.message}`,
      RpcErrorCode.SERVER_ERROR,
    );
  }

  readonly #onClientClose = (): void => {
    // The client went away before its answer was complete: stop the upstream request too.
    if (!this.#res.writableFinished) this.#controller?.abort(new Error('client closed the connection'));
  };
}

function fail(res: http.ServerResponse, status: number, id: JsonRpcId, message: string, code: number): void {
  const text = JSON.stringify(rpcError(id, code, message));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** The JSON-RPC id of a request body, for error replies; only parsed on the error path. */
function requestId(body: Buffer): JsonRpcId {
  try {
    const id = (JSON.parse(body.toString('utf8')) as { id?: unknown }).id;
    return typeof id === 'string' || typeof id === 'number' ? id : null;
  } catch {
    return null;
  }
}
