/**
 * stdio forward proxy: `mcp-perf proxy --stdio -- <command>`. Our stdin/stdout speak newline-delimited JSON-RPC to
 * the client; one persistent child speaks it to us. Every message is relayed both ways — requests, responses and
 * notifications, the server's own requests (sampling, elicitation) included. Lines are framed on Buffers (no
 * per-message string building), checked as JSON, and limited to --max-line-bytes; a bad line from the client is
 * answered with a JSON-RPC error and not passed on. Backpressure holds both ways: a full pipe pauses its source.
 *
 * The proxy ends when the client closes stdin (it then ends the child: stdin close → SIGTERM → SIGKILL), or when
 * the child dies — after answering every request still pending with an error.
 */
import { classify, parseMessage, RpcErrorCode, rpcError, type JsonRpcId } from '../../mock-upstreams/jsonrpc.js';
import type { ProxyConfig } from '../config.js';
import { LineSplitter } from '../framing.js';
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
    const pending = new Set<string>();
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

    const child = new StdioChild(config.upstreamCommand, {
      maxLineBytes: config.maxLineBytes,
      log,
      onLine: (line) => {
        // Track answers so a dying child's pending requests can be failed; pass the bytes on untouched.
        if (pending.size > 0) {
          try {
            const m = classify(JSON.parse(line.toString('utf8')));
            if (m.kind === 'response') pending.delete(key(m.message.id));
          } catch {
            // not ours to judge: the client gets what the server wrote
          }
        }
        toClient(line);
      },
      onExit: (exit) => finish(exit),
    });

    const fromClient = new LineSplitter(config.maxLineBytes, {
      onLine: (line) => {
        const parsed = parseMessage(line.toString('utf8'));
        if ('error' in parsed) return toClient(JSON.stringify(parsed.error));
        const m = parsed.message;
        if (m.kind === 'request') pending.add(key(m.message.id));
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
      onOversize: (bytes) => toClient(JSON.stringify(rpcError(null, RpcErrorCode.INVALID_REQUEST, `message of ${bytes}+ bytes exceeds --max-line-bytes ${config.maxLineBytes}`))),
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
      if (!exit.expected) {
        log.error('stdio upstream exited', { code: exit.code, signal: exit.signal });
        for (const id of pending) {
          const raw = id.startsWith('n') ? Number(id.slice(1)) : id.slice(1);
          toClient(JSON.stringify(rpcError(raw, RpcErrorCode.SERVER_ERROR, `upstream process exited (code ${exit.code ?? 'none'}, signal ${exit.signal ?? 'none'})`)));
        }
      }
      flush();
      io.stdin.pause();
      resolve(exit.expected ? 0 : 1);
    }
  });
}
