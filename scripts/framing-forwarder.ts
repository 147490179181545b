/**
 * A probe, not a product: the least HTTP work a Node proxy can do per call, for scripts/ab-reverse.ts to seat beside
 * ours, the relay and nginx. Each client connection gets an upstream connection of its own; a message is found by
 * its head and its body's framing and forwarded as it came, head and body in one write. Sockets read into one
 * shared buffer, as the proxy's do (proxy/http1/server.ts), so what separates this from the proxy is the work the
 * proxy does per call on top of framing.
 *
 * `--layers` adds the proxy's own parts one by one, to price each where it runs: `parse` reads every head with the
 * proxy's strict parser (core/protocol/http1-parse.ts: validated, fields into an object, framing decided by it),
 * `scan` checks each request body with its JSON-RPC scanner (core/protocol/jsonrpc-scan.ts; JSON.parse for what it
 * leaves, as the body stage),
 * `http1` runs the proxy's HTTP/1.1 server and upstream pool (proxy/http1/: request and response objects, a pooled
 * upstream connection, heads rebuilt) with a handler that forwards each request as it came — everything of the
 * reverse path but its stages, sessions, metrics and routing.
 *
 * `--layers bytes` goes the other way, below framing: each read is written on as it came, nothing looked at — Node's
 * floor for a proxy that reads into a shared buffer and writes latin1 strings, as ours does (the bench of
 * scripts/instructions.ts counts it at ~15.7k instructions per call, docs/proxy.md). It takes no other layer.
 *
 * A body is framed by Content-Length or chunked (the empty 202 a notification gets); one that runs until the
 * connection closes (an SSE stream from some servers) is beyond it: the connection is cut and that is said on stderr
 * once. Loopback only; ends on SIGTERM, SIGINT or when its stdin pipe closes.
 *
 *   node dist/scripts/framing-forwarder.js --upstream URL [--listen HOST:PORT] [--layers parse,scan,http1]
 */
import net from 'node:net';
import { fail, scriptArgs } from './args.js';
import {
  BodyDecoder,
  findHeadEnd,
  HOP_BY_HOP,
  parseRequestHead,
  parseResponseHead,
  REQUEST_ONLY,
  requestFraming,
  responseFraming,
  scanHead,
  type Framing,
} from '../core/protocol/http1-parse.js';
import { scanRequest } from '../core/protocol/jsonrpc-scan.js';
import { ConfigError } from '../core/runtime/errors.js';
import { listenFlag, loopbackUrlFlag } from '../core/runtime/flags.js';
import { listenOn, serveUntilStopped } from '../core/runtime/service.js';
import { Http1Pool } from '../proxy/http1/client.js';
import { Http1Server, READ_BUFFER, readIntoSharedBuffer } from '../proxy/http1/server.js';
import { ONE_STRING_MAX } from '../proxy/http1/write.js';

const USAGE = `usage: node dist/scripts/framing-forwarder.js --upstream URL [--listen HOST:PORT] [--layers LIST]
  --upstream URL     the HTTP mock (loopback only)
  --listen HOST:PORT where to listen (default 127.0.0.1:0)
  --layers LIST      the proxy's parts to add to framing: parse (its strict head parser), scan (its JSON-RPC body
                     check), http1 (its HTTP/1.1 server and upstream pool, which parse too); default none; or bytes
                     alone: no framing, each read written on as it came`;
const LAYERS = new Set(['parse', 'scan', 'http1', 'bytes']);
const values = scriptArgs('framing-forwarder', USAGE, {
  upstream: { type: 'string' },
  listen: { type: 'string' },
  layers: { type: 'string' },
});
let upstream: URL;
let listen: { host: string; port: number };
try {
  upstream = loopbackUrlFlag('upstream', values.upstream);
  listen = listenFlag('listen', values.listen, '127.0.0.1:0');
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  fail('framing-forwarder', error.message, USAGE);
}
const layers = (values.layers ?? '').split(',').filter((l) => l !== '');
for (const layer of layers)
  if (!LAYERS.has(layer))
    fail('framing-forwarder', `--layers: no layer "${layer}" (parse, scan, http1, or bytes alone)`, USAGE);
const bytes = layers.includes('bytes');
if (bytes && layers.length > 1) fail('framing-forwarder', '--layers: bytes takes no other layer', USAGE);
const parse = layers.includes('parse');
const scan = layers.includes('scan');
const http1 = layers.includes('http1');

/** Upstream sockets read here; client sockets read into the proxy server's buffer (one read at a time either way). */
const UPSTREAM_READ = Buffer.allocUnsafeSlow(64 * 1024);
let warned = false;

class OutOfReach extends Error {}

const CHUNKED: Framing = { kind: 'chunked' };
const CLOSE: Framing = { kind: 'close' };
const NO_BODY: Framing = { kind: 'length', length: 0 };
const ignore = (): void => {};

/**
 * Without `parse`: the body's framing found by a plain search of the head — Content-Length, else chunked (the 202 an
 * MCP server answers a notification with); a response with neither runs until the connection closes unless its status
 * has no body. (No HEAD requests come from the load.)
 */
function searchedFraming(request: boolean, head: string): Framing {
  const at = head.search(/\r\ncontent-length:/i);
  if (at !== -1) return { kind: 'length', length: parseInt(head.slice(at + 17), 10) };
  if (/\r\ntransfer-encoding:/i.test(head)) return CHUNKED;
  if (request) return NO_BODY;
  const status = Number(head.slice(9, 12)); // "HTTP/1.1 200"
  return status < 200 || status === 204 || status === 304 ? NO_BODY : CLOSE;
}

/** Where the message whose head ends at `end` ends, or -1 while it has not all arrived. */
function messageEnd(buf: Buffer, end: number, framing: Framing): number {
  if (framing.kind === 'length') return buf.length - end >= framing.length ? end + framing.length : -1;
  if (framing.kind !== 'chunked') throw new OutOfReach('a body that runs until the connection closes');
  const decoder = new BodyDecoder(framing, ignore);
  const used = decoder.push(buf, end);
  return decoder.done ? end + used : -1;
}

/**
 * One direction of a connection: bytes in, whole messages out. `chunk` may be a view into a shared read buffer:
 * what is kept past the call is copied.
 */
class Framer {
  #buf: Buffer | undefined;

  constructor(
    private readonly request: boolean,
    /** The connection's request in flight: its method decides how its answer is framed (RFC 9112 §6.3). */
    private readonly pair: { method: string },
    private readonly onMessage: (text: string) => void,
  ) {}

  push(chunk: Buffer): void {
    let buf: Buffer | undefined = this.#buf === undefined ? chunk : Buffer.concat([this.#buf, chunk]);
    while (buf !== undefined) {
      // With `parse`, found and checked in one scan, which the parse then reads the lines of (as the proxy does).
      const end = parse ? scanHead(buf, buf.length) : findHeadEnd(buf);
      if (end === -1) break;
      if (end < 0) throw new Error('a malformed head');
      const head: string = buf.toString('latin1', 0, end);
      const total = messageEnd(buf, end, this.#framing(buf, end, head));
      if (total === -1) break;
      // What the proxy does with a body outside the scanner's common shape (a notification): the full parse.
      if (scan && this.request && total > end && scanRequest(buf.subarray(end, total)) === undefined)
        JSON.parse(buf.toString('utf8', end, total));
      this.onMessage(head + buf.toString('latin1', end, total));
      buf = total === buf.length ? undefined : buf.subarray(total);
    }
    this.#buf = buf !== undefined && buf.buffer === chunk.buffer ? Buffer.from(buf) : buf;
  }

  /** With `parse`, the head read and its framing decided as the proxy does both (core/protocol/http1-parse.ts). */
  #framing(buf: Buffer, end: number, head: string): Framing {
    if (!parse) return searchedFraming(this.request, head);
    if (!this.request) return responseFraming(parseResponseHead(buf, 0, end), this.pair.method);
    const request = parseRequestHead(buf, 0, end);
    this.pair.method = request.method;
    return requestFraming(request);
  }
}

function guarded(framer: Framer, both: () => void): (chunk: Buffer) => void {
  return (chunk) => {
    try {
      framer.push(chunk);
    } catch (error) {
      if (!warned) process.stderr.write(`framing-forwarder: ${(error as Error).message}; connection cut\n`);
      warned = true;
      both();
    }
  };
}

/** Framing alone (with `parse`, `scan`), or none (`bytes`): a raw socket pair per client connection. */
function framingServer(): { server: net.Server; close: () => void } {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true, pauseOnConnect: true }, (accepted) => {
    // Declared below; the callbacks that use it run only once both sockets exist.
    const cut = (): void => {
      client?.destroy();
      up.destroy();
    };
    const pair = { method: '' };
    const fromClient = bytes
      ? (chunk: Buffer) => void up.write(chunk.toString('latin1'), 'latin1')
      : guarded(new Framer(true, pair, (text) => up.write(text, 'latin1')), cut);
    const fromUpstream = bytes
      ? (chunk: Buffer) => void client?.write(chunk.toString('latin1'), 'latin1')
      : guarded(new Framer(false, pair, (text) => client?.write(text, 'latin1')), cut);
    const up = net.connect({
      host: upstream.hostname.replace(/^\[|\]$/g, ''),
      port: Number(upstream.port || 80),
      noDelay: true,
      onread: {
        buffer: UPSTREAM_READ,
        callback: (n: number) => {
          fromUpstream(UPSTREAM_READ.subarray(0, n));
          return true;
        },
      },
    });
    const client = readIntoSharedBuffer(accepted, (n) => {
      fromClient(READ_BUFFER.subarray(0, n));
      return true;
    });
    if (client === undefined) return void up.destroy();
    for (const s of [client, up]) {
      sockets.add(s);
      s.on('error', cut);
      s.on('close', () => {
        sockets.delete(s);
        cut();
      });
    }
    client.on('end', cut);
  });
  return { server, close: () => sockets.forEach((s) => s.destroy()) };
}

/**
 * With `http1`: the proxy's HTTP/1.1 server and upstream pool (proxy/http1/), and a handler that forwards each
 * request as it came — no stages, sessions, metrics or routing.
 */
function http1Server(): { server: net.Server; close: () => void } {
  const pool = new Http1Pool(upstream);
  const http = new Http1Server({ maxBodyBytes: 4 * 1024 * 1024 }, (req, res) =>
    req.readBody((body) => {
      if (scan && body !== undefined && body.length > 0 && scanRequest(body) === undefined)
        JSON.parse(body.toString('utf8'));
      pool.dispatch(
        {
          method: req.method,
          path: req.url,
          headers: req.headers,
          omit: REQUEST_ONLY,
          lines: req.forwarded,
          trusted: true,
          body: body !== undefined && body.length > 0 ? body : null,
          headersTimeoutMs: 10_000,
        },
        {
          transientChunks: true,
          onResponseStart: (status, headers, forwarded) =>
            void res.writeHeadFrom(status, headers, HOP_BY_HOP, forwarded),
          // A view into the pool's read buffer: one too long to go out as a string is copied, as the forwarder does.
          onResponseData: (chunk) => res.write(chunk.length > ONE_STRING_MAX ? Buffer.from(chunk) : chunk),
          onResponseEnd: () => void res.end(),
          onResponseError: (error) => {
            if (!warned) process.stderr.write(`framing-forwarder: ${error.message}\n`);
            warned = true;
            res.destroy();
          },
        },
      );
    }),
  );
  return {
    server: http.net,
    close: () => {
      http.closeAllConnections();
      pool.close();
    },
  };
}

const { server, close } = http1 ? http1Server() : framingServer();
const origin = await listenOn(server, listen.host, listen.port);
await serveUntilStopped(
  `framing-forwarder${layers.length > 0 ? `+${layers.join('+')}` : ''}`,
  {
    url: `${origin}${upstream.pathname}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        close();
      }),
  },
  { stdout: process.stdout, stderr: process.stderr },
);
