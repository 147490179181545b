/**
 * A lean MCP Streamable HTTP client for load: initialize handshake, then tools/call with unique JSON-RPC ids, each
 * answer checked for its id. It is not the SDK client on purpose — the generator must spend as little CPU per
 * request as it can — and the SDK client is used against the same servers in the tests to keep us honest.
 * Failures are data: every call resolves to an outcome, never throws.
 */
import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import { LATEST, STATELESS } from '../../core/protocol/revisions.js';
import { META_SERVER_INFO, routingHeaders, statelessMeta } from '../../core/protocol/stateless.js';

export const LOAD_PROTOCOL_VERSION = LATEST;

/**
 * `shed`: HTTP 503, the target refused the call for capacity (load shedding, a session limit) and said to retry.
 * `crossed`: the answer has the request's id but another call's token — it was meant for another call (or client).
 */
export type CallErrorKind =
  'http_status' | 'shed' | 'rpc_error' | 'id_mismatch' | 'crossed' | 'bad_response' | 'timeout' | 'connect' | 'reset';
export type CallOutcome =
  { readonly ok: true } | { readonly ok: false; readonly kind: CallErrorKind; readonly detail: string };

export interface SessionTarget {
  readonly url: URL;
  readonly pool: Pool;
  /** Per-request time limit (headers and body). */
  readonly requestTimeoutMs: number;
}

export function createTargetPool(url: URL, connections: number): Pool {
  return new Pool(url.origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
}

export class McpHttpSession {
  readonly #target: SessionTarget;
  readonly #headers: Record<string, string>;
  /** The server's Mcp-Session-Id; '' for a stateless server, which issued none (nothing to send, nothing to DELETE). */
  readonly sessionId: string;
  /** serverInfo.name from the initialize answer: which upstream a proxy bound this session to, when mocks are named. */
  readonly serverName: string;

  private constructor(target: SessionTarget, sessionId: string, protocolVersion: string, serverName: string) {
    this.#target = target;
    this.sessionId = sessionId;
    this.serverName = serverName;
    this.#headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(sessionId === '' ? {} : { 'mcp-session-id': sessionId }),
      'mcp-protocol-version': protocolVersion,
    };
  }

  /**
   * initialize → Mcp-Session-Id (none from a stateless server, such as supergateway's default mode) →
   * notifications/initialized. Throws (this is set-up, not measurement).
   */
  static async open(
    target: SessionTarget,
    clientName = 'mcp-perf-load',
    /** A revision the session must speak (the server must choose it); by default LATEST is asked for, any accepted. */
    required?: string,
  ): Promise<McpHttpSession> {
    const protocolVersion = required ?? LOAD_PROTOCOL_VERSION;
    const init = JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion,
        capabilities: {},
        clientInfo: { name: clientName, version: '0.1.0' },
      },
    });
    const res = await target.pool.request({
      path: target.url.pathname,
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: init,
      headersTimeout: target.requestTimeoutMs,
      bodyTimeout: target.requestTimeoutMs,
    });
    const text = await res.body.text();
    const header = res.headers['mcp-session-id'];
    if (res.statusCode !== 200 || Array.isArray(header))
      throw new Error(`initialize at ${target.url.href} answered HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
    const sessionId = header ?? '';
    const answer = findResponse(text, String(res.headers['content-type'] ?? ''), 0);
    const result = (answer as { result?: { protocolVersion?: unknown; serverInfo?: { name?: unknown } } } | undefined)
      ?.result;
    const version = result?.protocolVersion;
    if (typeof version !== 'string')
      throw new Error(`initialize at ${target.url.href} returned no protocolVersion: ${text.slice(0, 200)}`);
    if (required !== undefined && version !== required)
      throw new Error(`initialize at ${target.url.href} asked for ${protocolVersion}, the server chose ${version}`);
    const session = new McpHttpSession(target, sessionId, version, String(result?.serverInfo?.name ?? ''));
    const ack = await target.pool.request({
      path: target.url.pathname,
      method: 'POST',
      headers: session.#headers,
      body: '{"jsonrpc":"2.0","method":"notifications/initialized"}',
    });
    await ack.body.dump();
    // 202 as the spec says; a stateless server may answer the notification with 200 and no body.
    if (ack.statusCode !== 202 && !(sessionId === '' && ack.statusCode === 200))
      throw new Error(`notifications/initialized answered HTTP ${ack.statusCode}, expected 202`);
    return session;
  }

  /**
   * Sends one JSON-RPC request body whose id is `id`, and checks the answer carries that id and no error — and,
   * given the call's token (see callToken), that the answer is this call's own.
   */
  call(id: number, body: string, token?: string): Promise<CallOutcome> {
    return dispatchCall(this.#target, this.#headers, id, body, token);
  }

  #closing: Promise<void> | undefined;

  /** Whether close() was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** DELETE: ends the session upstream, once however often it is called. Errors are ignored: the server may be gone. */
  close(): Promise<void> {
    return (this.#closing ??= this.sessionId === '' ? Promise.resolve() : this.#delete());
  }

  async #delete(): Promise<void> {
    try {
      const res = await this.#target.pool.request({
        path: this.#target.url.pathname,
        method: 'DELETE',
        headers: this.#headers,
        headersTimeout: 2_000,
      });
      await res.body.dump();
    } catch {
      // best effort
    }
  }
}

/**
 * A client of the stateless revision (2026-07-28): no initialize, no session. Opening is a `server/discover` that
 * must list the revision; every call is a POST on its own, with MCP-Protocol-Version and the routing headers of the
 * load's calls (tools/call of echo: CallSource's bodies, which carry the revision in their _meta).
 */
export class StatelessHttpSession {
  readonly #target: SessionTarget;
  readonly #headers: Record<string, string>;
  readonly sessionId = '';
  /** The server's name from its discovery answer. */
  readonly serverName: string;

  /** The tool this session's calls name (Mcp-Name must say it); `elicit` calls are answered over a second round. */
  readonly #tool: 'echo' | 'elicit';
  /** Declares the tasks extension: a call answered with a task handle is polled (tasks/get) to its end. */
  readonly #taskMeta: Record<string, unknown> | undefined;
  /**
   * What its calls took, warm-ups included: calls made, calls answered with a task handle, tasks/get sent, and second
   * rounds sent (an input_required answered): what a scenario can check its calls were (every one a task, polled).
   */
  readonly counts = { calls: 0, tasks: 0, polls: 0, inputRounds: 0 };

  private constructor(target: SessionTarget, serverName: string, tool: 'echo' | 'elicit', taskMeta?: object) {
    this.#target = target;
    this.serverName = serverName;
    this.#tool = tool;
    this.#taskMeta = taskMeta as Record<string, unknown> | undefined;
    this.#headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': STATELESS,
      ...routingHeaders('tools/call', { name: tool }),
    };
  }

  /**
   * server/discover; throws when the server does not list the stateless revision (this is set-up). With `tool:
   * 'elicit'` the session's calls ask the mock's elicit tool, and an `input_required` answer is answered: the call
   * is sent again with the answers and the state (a multi round-trip request), and only the last answer is judged.
   * With `tasks` the client declares the tasks extension (the calls must too: statelessMeta(…, { tasks: true })), and
   * a call answered with a task handle is polled with tasks/get, `pollIntervalMs` apart, until the task is done: its
   * result is judged as the call's answer (token included), a failed task is an rpc_error, a cancelled or unknown one
   * a bad response.
   */
  static async open(
    target: SessionTarget,
    clientName = 'mcp-perf-load',
    options: { readonly tool?: 'echo' | 'elicit'; readonly tasks?: boolean } = {},
  ): Promise<StatelessHttpSession> {
    const res = await target.pool.request({
      path: target.url.pathname,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': STATELESS,
        ...routingHeaders('server/discover', {}),
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'server/discover',
        params: { _meta: statelessMeta(clientName) },
      }),
      headersTimeout: target.requestTimeoutMs,
      bodyTimeout: target.requestTimeoutMs,
    });
    const text = await res.body.text();
    if (res.statusCode !== 200)
      throw new Error(`server/discover at ${target.url.href} answered HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
    const answer = findResponse(text, String(res.headers['content-type'] ?? ''), 0) as
      { result?: { supportedVersions?: unknown; _meta?: Record<string, { name?: unknown } | undefined> } } | undefined;
    const versions = answer?.result?.supportedVersions;
    if (!Array.isArray(versions) || !versions.includes(STATELESS))
      throw new Error(`server/discover at ${target.url.href} does not list ${STATELESS}: ${text.slice(0, 200)}`);
    return new StatelessHttpSession(
      target,
      String(answer?.result?._meta?.[META_SERVER_INFO]?.name ?? ''),
      options.tool ?? 'echo',
      options.tasks === true ? statelessMeta(clientName, { tasks: true }) : undefined,
    );
  }

  /** Every result of the revision must say what it is (`resultType`): one that does not is a bad response. */
  call(id: number, body: string, token?: string): Promise<CallOutcome> {
    this.counts.calls++;
    if (this.#taskMeta !== undefined) return this.#callPolling(id, body, token);
    if (this.#tool === 'echo') return dispatchCall(this.#target, this.#headers, id, body, token, true);
    return this.#callAnswering(id, body, token);
  }

  /** A call that may be answered with a task handle: tasks/get until the task is done, its result judged. */
  async #callPolling(id: number, body: string, token: string | undefined): Promise<CallOutcome> {
    const deferred = { result: undefined as Deferred | undefined };
    const first = await dispatchCall(this.#target, this.#headers, id, body, token, true, deferred);
    const handle = deferred.result;
    if (handle === undefined) return first; // answered whole, and judged
    if (handle.resultType !== 'task' || typeof handle.taskId !== 'string')
      return fail('bad_response', `a task-polling call got resultType ${JSON.stringify(handle.resultType)}`);
    const { taskId } = handle;
    this.counts.tasks++;
    const interval = Math.min(Math.max(Number(handle.pollIntervalMs) || 1, 1), MAX_POLL_MS);
    const headers = { ...this.#headers, ...routingHeaders('tasks/get', { taskId }) };
    const deadline = performance.now() + this.#target.requestTimeoutMs;
    for (let poll = 1; ; poll++) {
      await new Promise((resolve) => setTimeout(resolve, interval));
      if (performance.now() > deadline) return fail('timeout', `task ${taskId} still working after the timeout`);
      const pollId = id + poll * RETRY_ID_STRIDE;
      this.counts.polls++;
      let status: number;
      let contentType: string;
      let text: string;
      try {
        const res = await this.#target.pool.request({
          path: this.#target.url.pathname,
          method: 'POST',
          headers,
          body: JSON.stringify({
            jsonrpc: '2.0',
            id: pollId,
            method: 'tasks/get',
            params: { taskId, _meta: this.#taskMeta },
          }),
          headersTimeout: this.#target.requestTimeoutMs,
          bodyTimeout: this.#target.requestTimeoutMs,
        });
        status = res.statusCode;
        contentType = String(res.headers['content-type'] ?? '');
        text = await res.body.text();
      } catch (err) {
        return transportFailure(err); // an outcome, as for any call: a poll never throws into the load
      }
      if (status !== 200) return fail('http_status', `tasks/get: HTTP ${status}`);
      const message = findResponse(text, contentType, pollId) as
        { error?: unknown; result?: { status?: unknown; result?: object; error?: unknown } } | undefined;
      if (message === undefined)
        return fail('bad_response', `tasks/get: no JSON-RPC response in ${text.slice(0, 120)}`);
      if (message.error !== undefined)
        return fail('rpc_error', `tasks/get: ${JSON.stringify(message.error).slice(0, 200)}`);
      const task = message.result;
      if (task?.status === 'working') continue;
      if (task?.status === 'completed')
        return judgeResponse({ id, result: { ...task.result, resultType: 'complete' } }, id, token, true);
      if (task?.status === 'failed')
        return fail('rpc_error', `task failed: ${JSON.stringify(task.error).slice(0, 200)}`);
      return fail('bad_response', `task ${taskId} ended ${JSON.stringify(task?.status)}`);
    }
  }

  /** A call whose answer may ask for input first: answered, and sent again with a new id, up to MAX_INPUT_ROUNDS. */
  async #callAnswering(id: number, body: string, token: string | undefined): Promise<CallOutcome> {
    let request = body;
    let requestId = id;
    for (let round = 0; ; round++) {
      const asked = { result: undefined as Deferred | undefined };
      const outcome = await dispatchCall(this.#target, this.#headers, requestId, request, token, true, asked);
      if (asked.result === undefined) return outcome;
      if (asked.result.resultType !== 'input_required')
        return fail('bad_response', `an elicit call got a ${asked.result.resultType} result`);
      if (round === MAX_INPUT_ROUNDS)
        return { ok: false, kind: 'bad_response', detail: `still input_required after ${MAX_INPUT_ROUNDS} answers` };
      // The retry is a new request: the same call with the answers and the server's state, under a new id.
      const message = JSON.parse(request) as { params: Record<string, unknown> };
      requestId = id + (round + 1) * RETRY_ID_STRIDE;
      this.counts.inputRounds++;
      request = JSON.stringify({
        ...message,
        id: requestId,
        params: {
          ...message.params,
          inputResponses: answerInputs(asked.result),
          requestState: asked.result.requestState,
        },
      });
    }
  }

  /** Nothing to end: there is no session. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

interface InputRequired {
  readonly inputRequests?: Record<string, { method?: unknown; params?: Record<string, unknown> }>;
  readonly requestState?: unknown;
}

/** A result the caller of dispatchCall deals with itself: a question (input_required) or a task handle. */
interface Deferred extends InputRequired {
  readonly resultType: 'input_required' | 'task';
  readonly taskId?: unknown;
  readonly pollIntervalMs?: unknown;
}

/** The longest a task poller waits between two tasks/get, whatever the server suggests. */
const MAX_POLL_MS = 1_000;

/** How many times a call is answered and sent again before its still asking counts as a bad response. */
const MAX_INPUT_ROUNDS = 4;
/** A retry's id: the call's own plus this per round, so it never meets another call's (ids count up from 1). */
const RETRY_ID_STRIDE = 2 ** 40;

/**
 * What the load answers a server's questions with: an elicitation accepted with its own message as the name (the
 * call's token, so the final answer carries it), a sampling request with its prompt, no roots.
 */
function answerInputs(asked: InputRequired): Record<string, unknown> {
  const answers: Record<string, unknown> = {};
  for (const [key, request] of Object.entries(asked.inputRequests ?? {})) {
    const params = request.params ?? {};
    if (request.method === 'elicitation/create')
      answers[key] = { action: 'accept', content: { name: String(params.message ?? '') } };
    else if (request.method === 'sampling/createMessage') {
      const first = (params.messages as Array<{ content?: { text?: unknown } }> | undefined)?.[0];
      answers[key] = {
        role: 'assistant',
        content: { type: 'text', text: String(first?.content?.text ?? '') },
        model: 'mcp-perf',
      };
    } else if (request.method === 'roots/list') answers[key] = { roots: [] };
  }
  return answers;
}

/** One call on the generator's hot path: undici's dispatch with a CallHandler, never a Readable per response. */
function dispatchCall(
  t: SessionTarget,
  headers: Record<string, string>,
  id: number,
  body: string,
  token: string | undefined,
  requireResultType = false,
  /** Set when the answer is an `input_required` or `task` result, which is then not judged (the caller acts on it). */
  asked?: { result: Deferred | undefined },
): Promise<CallOutcome> {
  return new Promise<CallOutcome>((resolve) => {
    t.pool.dispatch(
      {
        path: t.url.pathname,
        method: 'POST',
        headers,
        body,
        headersTimeout: t.requestTimeoutMs,
        bodyTimeout: t.requestTimeoutMs,
      },
      new CallHandler(id, token, resolve, requireResultType, asked),
    );
  });
}

const OK: CallOutcome = Object.freeze({ ok: true });

/**
 * The generator's hot path: undici's dispatch with a handler that only gathers the body and checks it. The
 * `request()` API builds a Readable per response; on this machine that doubled the generator's CPU per request, and
 * a generator that works hard adds its own delay to every latency it reports.
 */
class CallHandler implements Dispatcher.DispatchHandler {
  readonly #id: number;
  readonly #token: string | undefined;
  readonly #resolve: (outcome: CallOutcome) => void;
  #status = 0;
  #contentType = '';
  #chunks: Buffer[] = [];

  readonly #requireResultType: boolean;
  readonly #asked: { result: Deferred | undefined } | undefined;

  constructor(
    id: number,
    token: string | undefined,
    resolve: (outcome: CallOutcome) => void,
    requireResultType: boolean,
    asked: { result: Deferred | undefined } | undefined,
  ) {
    this.#id = id;
    this.#token = token;
    this.#resolve = resolve;
    this.#requireResultType = requireResultType;
    this.#asked = asked;
  }

  // undici treats a handler without onRequestStart as one of the deprecated shape.
  onRequestStart(): void {}

  onResponseStart(
    _c: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    this.#status = statusCode;
    this.#contentType = String(headers['content-type'] ?? '');
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    const text = (this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks)).toString('utf8');
    if (this.#asked !== undefined && this.#status >= 200 && this.#status < 300) {
      // Parsed once: an input_required answer goes back to the caller, any other is judged here.
      const message = findResponse(text, this.#contentType, this.#id) as
        { id?: unknown; result?: InputRequired & { resultType?: unknown } } | undefined;
      const type = message?.result?.resultType;
      if (message?.id === this.#id && (type === 'input_required' || type === 'task')) {
        this.#asked.result = message.result as Deferred;
        return this.#resolve(OK);
      }
      if (message !== undefined)
        return this.#resolve(judgeResponse(message, this.#id, this.#token, this.#requireResultType));
    }
    this.#resolve(checkAnswer(this.#status, this.#contentType, text, this.#id, this.#token, this.#requireResultType));
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    this.#resolve(transportFailure(err));
  }
}

/**
 * The token a call puts in the echo tool's `text` argument, unique to the call across the generator's lifetime;
 * the mock's answer carries it. Ids alone cannot tell two answers apart when clients reuse them (some send
 * `id: 1` on every request), so the token is what proves an answer is this call's own.
 */
export function callToken(seq: number): string {
  return `t${seq};`;
}

/**
 * Judges one answer: a 2xx carrying a JSON-RPC response with our id, no error and — when the call sent a token —
 * an answer whose text carries that token is the only success.
 */
export function checkAnswer(
  status: number,
  contentType: string,
  text: string,
  id: number,
  token?: string,
  requireResultType = false,
): CallOutcome {
  if (status === 503) return fail('shed', 'HTTP 503');
  if (status < 200 || status > 299) return fail('http_status', `HTTP ${status}`);
  const message = findResponse(text, contentType, id);
  if (message === undefined) return fail('bad_response', `no JSON-RPC response in: ${text.slice(0, 120)}`);
  return judgeResponse(message, id, token, requireResultType);
}

/** What a result of the stateless revision may say it is: a whole answer, a question for the client, or a task. */
const RESULT_TYPES = new Set(['complete', 'input_required', 'task']);

/**
 * Judges a parsed JSON-RPC response to the call with this id (and token, when it sent one). With
 * `requireResultType` (the stateless revision, 2026-07-28, whose schema makes `resultType` required on every result:
 * "Servers implementing this protocol version MUST include this field"), a result without a known one is a bad
 * response.
 */
export function judgeResponse(message: object, id: number, token?: string, requireResultType = false): CallOutcome {
  const got = (message as { id?: unknown }).id;
  if (got !== id) return fail('id_mismatch', `sent id ${id}, got ${JSON.stringify(got)}`);
  if ('error' in message) return fail('rpc_error', JSON.stringify((message as { error: unknown }).error).slice(0, 200));
  if (requireResultType) {
    const type = (message as { result?: { resultType?: unknown } }).result?.resultType;
    if (typeof type !== 'string' || !RESULT_TYPES.has(type))
      return fail('bad_response', `a ${STATELESS} result without a known resultType (got ${JSON.stringify(type)})`);
  }
  if (token !== undefined) {
    const echoed = echoText(message);
    if (echoed === undefined) return fail('bad_response', `no echo text in the answer to ${token}`);
    if (!echoed.includes(token))
      return fail('crossed', `sent token ${token} with id ${id}; the answer carries ${tokenIn(echoed)}`);
  }
  return OK;
}

/** The first text content of a tools/call result. */
function echoText(message: object): string | undefined {
  const content = (message as { result?: { content?: Array<{ text?: unknown }> } }).result?.content;
  const text = Array.isArray(content) ? content[0]?.text : undefined;
  return typeof text === 'string' ? text : undefined;
}

function tokenIn(echoed: string): string {
  const token = /t\d+;/.exec(echoed)?.[0];
  return token === undefined ? `no token (${JSON.stringify(echoed.slice(0, 24))})` : `token ${token}`;
}

function fail(kind: CallErrorKind, detail: string): CallOutcome {
  return { ok: false, kind, detail };
}

function transportFailure(err: unknown): CallOutcome {
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError)
    return fail('timeout', err.message);
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT') return fail('connect', code);
  return fail('reset', code || String(err));
}

/**
 * The JSON-RPC response in a body: the object itself for application/json; for text/event-stream, the first event
 * whose data is a response (one with `result` or `error`), preferring the one carrying `expectedId`.
 */
export function findResponse(text: string, contentType: string, expectedId: number): object | undefined {
  if (!contentType.includes('text/event-stream')) return parseObject(text);
  let fallback: object | undefined;
  for (const event of text.split(/\r?\n\r?\n/)) {
    const data = event
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5))
      .join('\n');
    if (data === '') continue;
    const message = parseObject(data);
    if (message === undefined || !('result' in message || 'error' in message)) continue;
    if ((message as { id?: unknown }).id === expectedId) return message;
    fallback ??= message;
  }
  return fallback;
}

function parseObject(text: string): object | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A session that behaves as an MCP client must when its server forgets it: on HTTP 404 it opens a new session
 * (spec: "the client MUST start a new session") and uses it from then on. The call that saw the 404 still fails —
 * failures are data — and calls made while the new session opens fail fast as `connect` errors.
 */
export class RenewingSession {
  #session: McpHttpSession | undefined;
  #renewing: Promise<void> | undefined;
  #closed = false;
  renewals = 0;

  constructor(
    private readonly target: SessionTarget,
    session: McpHttpSession,
    /**
     * Calls made while the new session opens wait for it, as a client does that must finish its work, instead of
     * failing fast as `connect` errors (a closed-model load would spin on those). @default false
     */
    private readonly waitWhileRenewing = false,
  ) {
    this.#session = session;
  }

  get current(): McpHttpSession | undefined {
    return this.#session;
  }

  async call(id: number, body: string, token?: string): Promise<CallOutcome> {
    if (this.#session === undefined && this.waitWhileRenewing) await this.#renewing;
    const session = this.#session;
    if (session === undefined) return fail('connect', 'session being renewed');
    const outcome = await session.call(id, body, token);
    if (!outcome.ok && outcome.kind === 'http_status' && outcome.detail === 'HTTP 404' && this.#session === session)
      this.#renew();
    return outcome;
  }

  #renew(): void {
    this.#session = undefined;
    this.#renewing ??= (async () => {
      // Retry until a session opens; the server may still be coming back.
      while (this.#session === undefined && !this.#closed) {
        try {
          this.#session = await McpHttpSession.open(this.target);
          this.renewals++;
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    })().finally(() => (this.#renewing = undefined));
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#renewing;
    await this.#session?.close();
  }
}
