/**
 * What the mock MCP server does, independent of transport: initialize, ping, tools/list and an `echo` tool whose
 * latency and payload come from the knobs (and may be overridden per call, so one mock serves several phases).
 */
import { preciseDelay } from '../core/runtime/clock.js';
import { RpcErrorCode, rpcError, type JsonRpcRequest, type JsonRpcResponse } from '../core/protocol/jsonrpc.js';
import { seededRandom } from '../core/runtime/random.js';
import { drawLatency, stallWait, type ErrorKind, type LatencySpec, type StallSpec } from './knobs.js';
import { STATELESS, STREAMABLE_HTTP } from '../core/protocol/revisions.js';
import { randomUUID } from 'node:crypto';
import { declaredRevision, declaresTasks, META_SERVER_INFO } from '../core/protocol/stateless.js';

/** Newest first; the first is what we answer when a client asks for a revision we do not speak. */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly string[] = STREAMABLE_HTTP;

export interface BehaviourOptions {
  /** Delay before answering tools/call, in milliseconds (fixed). @default 0 */
  readonly latencyMs: number;
  /** Size of the text the echo tool returns, in bytes. @default 64 */
  readonly payloadBytes: number;
  /** A latency distribution; replaces latencyMs when set. */
  readonly latency?: LatencySpec;
  /** Hold calls for pauseMs every everyMs. */
  readonly stall?: StallSpec;
  /** Fraction of tools/call that fail. @default 0 */
  readonly errorRate?: number;
  /** How they fail. @default 'rpc' */
  readonly errorKind?: ErrorKind;
  /** Seed for latency and error draws. @default 1 */
  readonly seed?: number;
  /** Progress notifications sent during each tools/call that carries a progressToken. @default 0 */
  readonly progress?: number;
  /** serverInfo.name in the initialize answer, so a client behind a proxy can tell upstreams apart. @default 'mcp-perf-mock' */
  readonly name?: string;
  /**
   * Every Nth echo answer carries the text of the echo call answered before it: a crossed answer, with the right
   * id and another call's content, for testing that a client's check catches what an id check cannot. @default 0 (never)
   */
  readonly crossEvery?: number;
}

/** The knobs a running mock may have changed (`mcp-perf mock http --control`, POST /control): faults switched on and off. */
export type LiveKnobs = Partial<Pick<BehaviourOptions, 'latencyMs' | 'errorRate' | 'errorKind'>>;

/**
 * The client, as the transport lets the server reach it during a call: notifications (progress, logs) and
 * requests (sampling, elicitation) whose answers the transport routes back by id.
 */
export interface Peer {
  notify(message: object): void;
  request(method: string, params: Record<string, unknown>): Promise<JsonRpcResponse>;
}

/** A failure the transport must act out: an HTTP 500, or a connection dropped without an answer. */
export interface TransportFault {
  readonly fault: Exclude<ErrorKind, 'rpc'>;
}

const SAMPLE_TOOL = Object.freeze({
  name: 'sample',
  description: 'Asks the client for a sampling completion (sampling/createMessage) and returns its text.',
  inputSchema: { type: 'object', properties: { prompt: { type: 'string' } } },
});

const ELICIT_TOOL = Object.freeze({
  name: 'elicit',
  description: 'Asks the client for input (elicitation/create) and returns its answer as JSON text.',
  inputSchema: { type: 'object', properties: { message: { type: 'string' } } },
});

export const ECHO_TOOL = Object.freeze({
  name: 'echo',
  description: 'Returns a payload of the configured size after the configured latency.',
  inputSchema: {
    type: 'object',
    properties: {
      text: { type: 'string', description: 'Echoed back at the start of the payload.' },
      latencyMs: { type: 'number', description: 'Overrides the mock latency for this call.' },
      payloadBytes: { type: 'number', description: 'Overrides the payload size for this call.' },
      task: {
        type: 'boolean',
        description:
          'Run as a task (2026-07-28, for a client that declared io.modelcontextprotocol/tasks): a task handle now, the result from tasks/get.',
      },
    },
  },
});

/** How long a task is kept from its creation (its `ttlMs`), and how often a client is asked to poll it. */
const TASK_TTL_MS = 60_000;
const TASK_POLL_MS = 2;

/** A task of the tasks extension, as tasks/get describes it. */
interface Task {
  readonly taskId: string;
  status: 'working' | 'completed' | 'failed' | 'cancelled';
  readonly createdAt: string;
  lastUpdatedAt: string;
  readonly ttlMs: number;
  readonly pollIntervalMs: number;
  result?: unknown;
  error?: { code: number; message: string };
}

const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

/**
 * What `handle` returns for a call its client cancelled before the answer (`notifications/cancelled`; in 2026-07-28,
 * its response stream closed): the transport answers nothing, as the spec asks of a cancelled request's receiver.
 */
export const CANCELLED = Object.freeze({ cancelled: true as const });
export type Cancelled = typeof CANCELLED;
export const isCancelled = (response: object): response is Cancelled => response === CANCELLED;

/**
 * A tool call in flight as its transport tracks it (by the client's id, or by its response stream): `cancel` marks it,
 * and its answer, when the work ends, is dropped. A flag rather than a promise to race: the stdio mock serves
 * ~150,000 calls/s pipelined, and a race per call cost it ~15%.
 */
export interface CallState {
  cancelled: boolean;
  done: boolean;
}
export const newCall = (): CallState => ({ cancelled: false, done: false });

/**
 * `mcp-perf/stats`, a method of the mock's own (not a tool, so `tools/list` is the same for everyone): what this mock
 * process has seen — tool calls begun, cancelled before their answer, and in flight now. Tests read it through a
 * proxy to see that a client's cancel reached the server.
 */
export const STATS_METHOD = 'mcp-perf/stats';
export interface MockStats {
  readonly calls: number;
  readonly cancelled: number;
  readonly inFlight: number;
}

export class McpBehaviour {
  #options: BehaviourOptions;
  readonly #payloads = new Map<number, string>();
  readonly #random: () => number;
  readonly #started = performance.now();
  #echoes = 0;
  #lastEchoText = '';
  #calls = 0;
  #cancelled = 0;
  #inFlight = 0;
  /** Tasks by id, each dropped its ttlMs after creation. */
  readonly #tasks = new Map<string, Task>();

  constructor(options: BehaviourOptions) {
    this.#options = options;
    this.#random = seededRandom(options.seed ?? 1);
  }

  /** Changes knobs for calls from now on (calls already waiting keep theirs); a fixed latency replaces a distribution. */
  reconfigure(knobs: LiveKnobs): void {
    this.#options = { ...this.#options, ...knobs, ...(knobs.latencyMs !== undefined ? { latency: undefined } : {}) };
  }

  /** The protocol revision to answer an initialize with. */
  negotiate(requested: unknown): string {
    return typeof requested === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(requested)
      ? requested
      : SUPPORTED_PROTOCOL_VERSIONS[0]!;
  }

  get stats(): MockStats {
    return { calls: this.#calls, cancelled: this.#cancelled, inFlight: this.#inFlight };
  }

  /** The client cancelled `call`: counted now, and its answer dropped when it comes. A call already answered stays so. */
  cancel(call: CallState): void {
    if (call.done || call.cancelled) return;
    call.cancelled = true;
    this.#cancelled++;
    this.#inFlight--;
  }

  /**
   * Answers one request. Never throws: failures become JSON-RPC errors, or a fault for the transport to act out. A
   * tool call cancelled meanwhile (`call`, see cancel) is answered with CANCELLED.
   */
  async handle(
    request: JsonRpcRequest,
    peer?: Peer,
    call?: CallState,
  ): Promise<JsonRpcResponse | TransportFault | Cancelled> {
    if (request.method !== 'tools/call') return this.#complete(request, await this.#answer(request, peer));
    this.#calls++;
    this.#inFlight++;
    const response = await this.#answer(request, peer);
    if (call !== undefined) {
      call.done = true;
      if (call.cancelled) return CANCELLED;
    }
    this.#inFlight--;
    return this.#complete(request, response);
  }

  #complete(request: JsonRpcRequest, response: JsonRpcResponse | TransportFault): JsonRpcResponse | TransportFault {
    // 2026-07-28: a result says what kind it is — whole ("complete") unless it already said (an "input_required").
    if (
      declaredRevision(request.params) === STATELESS &&
      'result' in response &&
      response.result !== null &&
      (response.result as { resultType?: unknown }).resultType === undefined
    )
      return { ...response, result: { ...(response.result as object), resultType: 'complete' } };
    return response;
  }

  async #answer(request: JsonRpcRequest, peer?: Peer): Promise<JsonRpcResponse | TransportFault> {
    const { id, method, params } = request;
    switch (method) {
      case 'initialize':
        return {
          jsonrpc: '2.0',
          id,
          result: {
            protocolVersion: this.negotiate(params?.protocolVersion),
            capabilities: { tools: { listChanged: false } },
            serverInfo: { name: this.#options.name ?? 'mcp-perf-mock', version: '0.1.0' },
          },
        };
      case 'server/discover':
        // The stateless revision's discovery (no session, no state): what initialize says, for every revision.
        return {
          jsonrpc: '2.0',
          id,
          result: {
            supportedVersions: [STATELESS, ...SUPPORTED_PROTOCOL_VERSIONS],
            // listChanged: a subscriptions/listen stream carries tools/list_changed (HTTP mock, --notify-rate).
            capabilities: { tools: { listChanged: true } },
            _meta: { [META_SERVER_INFO]: { name: this.#options.name ?? 'mcp-perf-mock', version: '0.1.0' } },
          },
        };
      case 'ping':
        return { jsonrpc: '2.0', id, result: {} };
      case STATS_METHOD:
        return { jsonrpc: '2.0', id, result: { ...this.stats } };
      case 'tools/list':
        return { jsonrpc: '2.0', id, result: { tools: [ECHO_TOOL, SAMPLE_TOOL, ELICIT_TOOL] } };
      case 'tools/call':
        return this.#callTool(id, params, peer);
      case 'tasks/get':
      case 'tasks/update':
      case 'tasks/cancel':
        return this.#taskRequest(id, method, params);
      default:
        return rpcError(id, RpcErrorCode.METHOD_NOT_FOUND, `method not found: ${method}`);
    }
  }

  async #callTool(
    id: string | number,
    params: Record<string, unknown> | undefined,
    peer: Peer | undefined,
  ): Promise<JsonRpcResponse | TransportFault> {
    if (params?.name === SAMPLE_TOOL.name || params?.name === ELICIT_TOOL.name)
      return declaredRevision(params) === STATELESS
        ? this.#askWithoutState(id, params)
        : this.#askClient(id, params, peer);
    if (params?.name !== ECHO_TOOL.name) {
      return rpcError(id, RpcErrorCode.INVALID_PARAMS, `unknown tool: ${String(params?.name)}`);
    }
    const args = (params.arguments ?? {}) as Record<string, unknown>;
    if (args.task === true && declaredRevision(params) === STATELESS && declaresTasks(params))
      return this.#startTask(id, params, peer);
    return this.#echo(id, params, args, peer);
  }

  async #echo(
    id: string | number,
    params: Record<string, unknown>,
    args: Record<string, unknown>,
    peer: Peer | undefined,
  ): Promise<JsonRpcResponse | TransportFault> {
    const o = this.#options;
    const drawn = o.latency === undefined ? o.latencyMs : drawLatency(o.latency, this.#random);
    const latencyMs = numberArg(args.latencyMs, drawn) + stallWait(o.stall, performance.now() - this.#started);
    const payloadBytes = numberArg(args.payloadBytes, this.#options.payloadBytes);
    if (latencyMs < 0 || payloadBytes < 0 || payloadBytes > MAX_PAYLOAD_BYTES) {
      return rpcError(
        id,
        RpcErrorCode.INVALID_PARAMS,
        'latencyMs and payloadBytes must be non-negative (payload ≤ 64 MiB)',
      );
    }
    const fail = (o.errorRate ?? 0) > 0 && this.#random() < o.errorRate!;
    const progressToken = (params._meta as { progressToken?: unknown } | undefined)?.progressToken;
    const steps = o.progress ?? 0;
    if (peer !== undefined && steps > 0 && (typeof progressToken === 'string' || typeof progressToken === 'number')) {
      // Progress spread evenly over the call's latency: step i of n after i/(n+1) of it.
      for (let i = 1; i <= steps; i++) {
        await preciseDelay(latencyMs / (steps + 1));
        peer.notify({
          jsonrpc: '2.0',
          method: 'notifications/progress',
          params: { progressToken, progress: i, total: steps },
        });
      }
      await preciseDelay(latencyMs / (steps + 1));
    } else {
      await preciseDelay(latencyMs);
    }
    if (fail) {
      const kind = o.errorKind ?? 'rpc';
      if (kind !== 'rpc') return { fault: kind };
      return rpcError(id, RpcErrorCode.SERVER_ERROR, 'injected error (--error-rate)');
    }
    let text = typeof args.text === 'string' ? args.text : '';
    const crossEvery = o.crossEvery ?? 0;
    if (crossEvery > 0) {
      const own = text;
      if (++this.#echoes % crossEvery === 0) text = this.#lastEchoText;
      this.#lastEchoText = own;
    }
    return { jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: text + this.#payload(payloadBytes) }] } };
  }

  /**
   * A tool call as a task (the tasks extension): the handle now — `resultType: "task"`, status working — and the work
   * in the background; tasks/get then says working, and once it is done the whole result (or the error). The id is
   * a UUID, so tasks of several mocks behind one proxy never share one.
   */
  #startTask(id: string | number, params: Record<string, unknown>, peer: Peer | undefined): JsonRpcResponse {
    const now = new Date().toISOString();
    const task: Task = {
      taskId: randomUUID(),
      status: 'working',
      createdAt: now,
      lastUpdatedAt: now,
      ttlMs: TASK_TTL_MS,
      pollIntervalMs: TASK_POLL_MS,
    };
    this.#tasks.set(task.taskId, task);
    setTimeout(() => this.#tasks.delete(task.taskId), TASK_TTL_MS).unref();
    const args = { ...(params.arguments as Record<string, unknown>), task: undefined };
    void this.#echo(id, params, args, peer).then((answer) => {
      if (task.status !== 'working') return; // cancelled meanwhile
      if ('result' in answer) {
        task.status = 'completed';
        task.result = answer.result;
      } else {
        task.status = 'failed';
        task.error = 'error' in answer ? answer.error : { code: RpcErrorCode.INTERNAL_ERROR, message: answer.fault };
      }
      task.lastUpdatedAt = new Date().toISOString();
    });
    return { jsonrpc: '2.0', id, result: { resultType: 'task', ...this.#describe(task, false) } };
  }

  /** tasks/get (the task as it stands), tasks/update (nothing to update: no task of ours asks for input), tasks/cancel. */
  #taskRequest(id: string | number, method: string, params: Record<string, unknown> | undefined): JsonRpcResponse {
    const taskId = params?.taskId;
    const task = typeof taskId === 'string' ? this.#tasks.get(taskId) : undefined;
    if (task === undefined)
      return rpcError(id, RpcErrorCode.INVALID_PARAMS, `unknown or expired task: ${JSON.stringify(taskId)}`);
    if (method === 'tasks/get') return { jsonrpc: '2.0', id, result: this.#describe(task, true) };
    if (method === 'tasks/cancel' && task.status === 'working') {
      task.status = 'cancelled';
      task.lastUpdatedAt = new Date().toISOString();
    }
    return { jsonrpc: '2.0', id, result: {} };
  }

  #describe(task: Task, whole: boolean): Record<string, unknown> {
    const { result, error, ...handle } = task;
    if (!whole) return { ...handle };
    return { ...handle, ...(result === undefined ? {} : { result }), ...(error === undefined ? {} : { error }) };
  }

  /** sample / elicit: a request to the client, answered with what the client said. */
  async #askClient(
    id: string | number,
    params: Record<string, unknown>,
    peer: Peer | undefined,
  ): Promise<JsonRpcResponse> {
    if (peer === undefined) return rpcError(id, RpcErrorCode.INTERNAL_ERROR, 'this transport cannot reach the client');
    const { method, params: askParams } = clientRequest(params);
    const answer = await peer.request(method, askParams);
    if ('error' in answer)
      return rpcError(id, RpcErrorCode.INTERNAL_ERROR, `the client refused: ${answer.error.message}`);
    return { jsonrpc: '2.0', id, result: toolAnswer(params, answer.result) };
  }

  /**
   * sample / elicit in the stateless revision, where a server cannot send the client a request (SEP-2322, "multi
   * round-trip requests"): the first call is answered `input_required` at once, with the question under
   * `inputRequests` and an opaque `requestState`; the client retries the same call, with a new id, carrying its answer
   * under `inputResponses` and the state echoed — and gets the whole result after the tool's latency (the work is done
   * once the input is there; latencyMs in the arguments as for echo). Nothing is kept between the two rounds.
   */
  async #askWithoutState(id: string | number, params: Record<string, unknown>): Promise<JsonRpcResponse> {
    const state = `mcp-perf:${String(params.name)}`;
    const answer = (params.inputResponses as Record<string, unknown> | undefined)?.[INPUT_KEY];
    if (answer === undefined) {
      return {
        jsonrpc: '2.0',
        id,
        result: {
          resultType: 'input_required',
          inputRequests: { [INPUT_KEY]: clientRequest(params) },
          requestState: state,
        },
      };
    }
    if (params.requestState !== state)
      return rpcError(id, RpcErrorCode.INVALID_PARAMS, `requestState must be echoed unchanged (expected "${state}")`);
    const args = (params.arguments ?? {}) as Record<string, unknown>;
    const o = this.#options;
    const drawn = o.latency === undefined ? o.latencyMs : drawLatency(o.latency, this.#random);
    await preciseDelay(Math.max(0, numberArg(args.latencyMs, drawn)));
    return { jsonrpc: '2.0', id, result: toolAnswer(params, answer) };
  }

  #payload(bytes: number): string {
    let p = this.#payloads.get(bytes);
    if (p === undefined) {
      p = 'x'.repeat(bytes);
      if (this.#payloads.size < 16) this.#payloads.set(bytes, p);
    }
    return p;
  }
}

/** What sample and elicit ask the client: a sampling or an elicitation request. */
function clientRequest(params: Record<string, unknown>): { method: string; params: Record<string, unknown> } {
  const args = (params.arguments ?? {}) as Record<string, unknown>;
  return params.name === SAMPLE_TOOL.name
    ? {
        method: 'sampling/createMessage',
        params: {
          messages: [{ role: 'user', content: { type: 'text', text: String(args.prompt ?? 'hello') } }],
          maxTokens: 16,
        },
      }
    : {
        method: 'elicitation/create',
        params: {
          message: String(args.message ?? 'Your name?'),
          requestedSchema: { type: 'object', properties: { name: { type: 'string' } } },
        },
      };
}

/** The tool's result from the client's answer: the sampled text, or the elicitation's answer as JSON. */
function toolAnswer(
  params: Record<string, unknown>,
  answer: unknown,
): { content: Array<{ type: 'text'; text: string }> } {
  const text =
    params.name === SAMPLE_TOOL.name
      ? String((answer as { content?: { text?: string } } | undefined)?.content?.text ?? '')
      : JSON.stringify(answer);
  return { content: [{ type: 'text', text }] };
}

/** The key the mock's one input request goes under, and the requestState it hands out. */
const INPUT_KEY = 'ask';

function numberArg(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}
