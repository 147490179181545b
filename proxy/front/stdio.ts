/**
 * stdio forward proxy: `mcp-perf proxy --stdio -- <command>`. Our stdin/stdout speak newline-delimited JSON-RPC to
 * the client; one persistent child speaks it to us. Every message is relayed both ways — requests, responses and
 * notifications, the server's own requests (sampling, elicitation) included. Lines are framed on Buffers (no
 * per-message string building), checked as JSON, and limited to --max-line-bytes; a bad line from the client is
 * answered with a JSON-RPC error and not passed on. Backpressure holds both ways: a full pipe pauses its source.
 *
 * A request the child has not answered within --upstream-timeout-ms gets a JSON-RPC error from us (and the child a
 * notifications/cancelled); a late answer to it is then dropped, so the client never sees two. An answer the child
 * wrote over --max-line-bytes is dropped, and its request answered with an error at once when its id can be told.
 *
 * The proxy ends when the client closes stdin (it then ends the child: stdin close → SIGTERM → SIGKILL), or when
 * the child dies — after answering every request still pending with an error.
 */
import { performance } from 'node:perf_hooks';
import { classify, parseMessage, RpcErrorCode, rpcError, type JsonRpcId } from '../../core/protocol/jsonrpc.js';
import type { ProxyConfig } from '../config.js';
import { LineSplitter } from '../../core/protocol/framing.js';
import type { Logger } from '../log.js';
import { StdioChild, type ChildExit } from '../upstream/stdio-child.js';

export interface StdioIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
}

const NEWLINE = Buffer.from('\n');

/** Runs until the client or the child goes away; resolves with the exit code for the process. */
export function runStdioForward(config: ProxyConfig, log: Logger, io: StdioIo): Promise<number> {
  return new Promise<number>((resolve) => {
    /** Requests waiting for the child's answer: key → id and deadline, in the order sent (so deadlines ascend). */
    const pending = new Map<string, { id: string | number; deadline: number }>();
    /** Requests answered by our timeout: the child's late answer is dropped. */
    const late = new Set<string>();
    const key = (id: JsonRpcId): string => (typeof id === 'number' ? `n${id}` : `s${String(id)}`);
    let finished = false;

    // Lines to the client are gathered and written once per turn of the event loop's microtasks: a chunk of 100
    // pipelined answers from the server becomes one write, not 200.
    let batch: Buffer[] = [];
    let stdoutFull = false;
    let childFull = false;
    const flush = (): void => {
      if (batch.length === 0) return;
      const data = Buffer.concat(batch);
      batch = [];
      if (!io.stdout.write(data) && !stdoutFull) {
        // The client reads slower than the server writes: stop reading the server until stdout drains.
        stdoutFull = true;
        child.pauseOutput();
        io.stdout.once('drain', () => {
          stdoutFull = false;
          child.resumeOutput();
        });
      }
    };
    const toClient = (line: Buffer | string): void => {
      if (batch.length === 0) queueMicrotask(flush);
      batch.push(typeof line === 'string' ? Buffer.from(line) : line, NEWLINE);
    };
    /** Answers a pending request with an error from us. */
    const fail = (k: string, message: string): void => {
      const entry = pending.get(k);
      if (entry === undefined) return;
      pending.delete(k);
      toClient(JSON.stringify(rpcError(entry.id, RpcErrorCode.SERVER_ERROR, message)));
    };

    // One sweep instead of a timer per request: the stdio path carries tens of thousands of messages a second.
    const timeoutMs = config.upstreamTimeoutMs;
    const sweeper = setInterval(
      () => {
        const now = performance.now();
        for (const [k, entry] of pending) {
          if (entry.deadline > now) break;
          fail(k, `upstream did not answer within ${timeoutMs} ms`);
          late.add(k);
          child.write(
            JSON.stringify({
              jsonrpc: '2.0',
              method: 'notifications/cancelled',
              params: { requestId: entry.id, reason: 'timed out at the proxy' },
            }),
          );
        }
      },
      Math.max(10, Math.min(1_000, timeoutMs / 4)),
    );
    sweeper.unref();

    const child = new StdioChild(config.upstreamCommand, {
      maxLineBytes: config.maxLineBytes,
      log,
      onLine: (line) => {
        // Track answers so a dying child's pending requests can be failed; pass the bytes on untouched.
        if (pending.size > 0 || late.size > 0) {
          try {
            const m = classify(JSON.parse(line.toString('utf8')));
            if (m.kind === 'response') {
              const k = key(m.message.id);
              if (!pending.delete(k) && late.delete(k)) return; // answered already, by our timeout
            }
          } catch {
            // not ours to judge: the client gets what the server wrote
          }
        }
        toClient(line);
      },
      onDropped: (id, bytes) => {
        if (id !== undefined)
          fail(key(id), `upstream answer of ${bytes}+ bytes exceeds --max-line-bytes ${config.maxLineBytes}`);
      },
      onExit: (exit) => finish(exit),
    });

    const fromClient = new LineSplitter(config.maxLineBytes, {
      onLine: (line) => {
        const parsed = parseMessage(line.toString('utf8'));
        if ('error' in parsed) return toClient(JSON.stringify(parsed.error));
        const m = parsed.message;
        if (m.kind === 'request')
          pending.set(key(m.message.id), { id: m.message.id, deadline: performance.now() + timeoutMs });
        if (!child.write(line) && !childFull) {
          // The server reads slower than the client writes: stop reading the client until the pipe drains.
          childFull = true;
          io.stdin.pause();
          child.onDrain(() => {
            childFull = false;
            io.stdin.resume();
          });
        }
      },
      onOversize: (bytes) =>
        toClient(
          JSON.stringify(
            rpcError(
              null,
              RpcErrorCode.INVALID_REQUEST,
              `message of ${bytes}+ bytes exceeds --max-line-bytes ${config.maxLineBytes}`,
            ),
          ),
        ),
    });

    io.stdin.on('data', (chunk: Buffer) => fromClient.push(chunk));
    io.stdin.once('end', () => {
      log.info('client closed stdin; ending the upstream');
      void child.close().then((exit) => finish({ ...exit, expected: true }));
    });
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        log.info(`${signal}: ending the upstream`);
        void child.close().then((exit) => finish({ ...exit, expected: true }));
      });
    }

    function finish(exit: ChildExit): void {
      if (finished) return;
      finished = true;
      clearInterval(sweeper);
      if (!exit.expected) {
        log.error('stdio upstream exited', { code: exit.code, signal: exit.signal });
        for (const k of [...pending.keys()])
          fail(k, `upstream process exited (code ${exit.code ?? 'none'}, signal ${exit.signal ?? 'none'})`);
      }
      flush();
      io.stdin.pause();
      resolve(exit.expected ? 0 : 1);
    }
  });
}
