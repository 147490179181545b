/**
 * The stdio adapter around McpBehaviour: newline-delimited JSON-RPC on stdin/stdout, as an MCP client spawns it.
 * Requests are answered as they complete (a slow call does not hold up a fast one), so pipelined load is served
 * concurrently. Answers written in one turn of the event loop go out in one write. Bad lines get the spec's errors.
 */
import { LineSplitter } from '../core/protocol/framing.js';
import { isCancelled, McpBehaviour, newCall, type BehaviourOptions, type CallState, type Peer } from './behaviour.js';
import { SequencedNotifier } from './notify.js';
import { parseMessage, RpcErrorCode, rpcError, type JsonRpcResponse } from '../core/protocol/jsonrpc.js';

export interface StdioMockOptions extends BehaviourOptions {
  readonly maxLineBytes: number;
  /** Sequenced notifications per second on stdout. @default 0 */
  readonly notifyRate?: number;
}

/** Serves until stdin ends; resolves then. */
export function serveStdioMock(
  options: StdioMockOptions,
  stdin: NodeJS.ReadableStream,
  stdout: NodeJS.WritableStream,
): Promise<void> {
  const behaviour = new McpBehaviour(options);
  let batch: string[] = [];
  const flush = (): void => {
    const text = batch.join('');
    batch = [];
    stdout.write(text);
  };
  const send = (message: object): void => {
    if (batch.length === 0) queueMicrotask(flush);
    batch.push(JSON.stringify(message) + '\n');
  };
  // What a call may send the client: notifications, and requests whose answers come back as lines.
  const asked = new Map<string | number, (answer: JsonRpcResponse) => void>();
  let nextAskId = 1;
  // Tool calls in flight, by the client's id: what its notifications/cancelled ends.
  const calls = new Map<string | number, CallState>();
  const peer: Peer = {
    notify: (m) => send(m),
    request: (method, params) =>
      new Promise((resolve) => {
        const id = `mock-${nextAskId++}`;
        asked.set(id, resolve);
        send({ jsonrpc: '2.0', id, method, params });
      }),
  };
  const notifier = new SequencedNotifier(options.notifyRate ?? 0);
  let stopNotifying: (() => void) | undefined;
  let inFlight = 0;
  let ended = false;
  let resolveDone: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const maybeDone = (): void => {
    if (ended && inFlight === 0) resolveDone();
  };

  const splitter = new LineSplitter(options.maxLineBytes, {
    onLine: (line) => {
      const parsed = parseMessage(line.toString('utf8'));
      if ('error' in parsed) return send(parsed.error);
      const { message } = parsed;
      // Sequenced notifications start once the client says it is initialized, as the lifecycle requires.
      if (
        message.kind === 'notification' &&
        message.message.method === 'notifications/initialized' &&
        stopNotifying === undefined
      ) {
        stopNotifying = notifier.add((json) => {
          if (batch.length === 0) queueMicrotask(flush);
          batch.push(json + '\n');
        });
      }
      if (message.kind === 'response') {
        // The client's answer to a request of ours (sampling, elicitation).
        const waiting = asked.get(message.message.id ?? '');
        asked.delete(message.message.id ?? '');
        return waiting?.(message.message);
      }
      if (message.kind === 'notification' && message.message.method === 'notifications/cancelled') {
        const requestId = (message.message.params as { requestId?: unknown } | undefined)?.requestId;
        const call = typeof requestId === 'string' || typeof requestId === 'number' ? calls.get(requestId) : undefined;
        if (call !== undefined) behaviour.cancel(call);
      }
      if (message.kind !== 'request') return; // notifications need no reply
      inFlight++;
      const { id } = message.message;
      const call = message.message.method === 'tools/call' ? newCall() : undefined;
      if (call !== undefined) calls.set(id, call);
      void behaviour.handle(message.message, peer, call).then((response) => {
        inFlight--;
        if (call !== undefined) calls.delete(id);
        // A cancelled call is not answered. On stdio a "dropped connection" is an answer that never comes; an "HTTP
        // 500" is a JSON-RPC error.
        if (isCancelled(response)) return maybeDone();
        if (!('fault' in response)) send(response);
        else if (response.fault === 'http500')
          send(rpcError(message.message.id, RpcErrorCode.INTERNAL_ERROR, 'injected error (--error-kind http500)'));
        maybeDone();
      });
    },
    onOversize: (bytes) =>
      send(rpcError(null, RpcErrorCode.INVALID_REQUEST, `message of ${bytes}+ bytes exceeds ${options.maxLineBytes}`)),
  });
  stdin.on('data', (chunk: Buffer) => splitter.push(chunk));
  stdin.once('end', () => {
    ended = true;
    stopNotifying?.();
    // The client is gone: questions to it will not be answered.
    for (const [id, resolve] of asked) resolve(rpcError(id, RpcErrorCode.SERVER_ERROR, 'the client closed stdin'));
    asked.clear();
    maybeDone();
  });
  return done;
}
