/**
 * The stateless revision (2026-07-28) on the wire, shared by the mocks, the load generator and the proxy:
 *
 * - no `initialize` and no `Mcp-Session-Id`: every request carries its revision and the client's capabilities in
 *   `params._meta` (`io.modelcontextprotocol/protocolVersion`, `…/clientCapabilities`, optionally `…/clientInfo`);
 * - a server answers `server/discover` with the revisions it supports, its capabilities and its info;
 * - over HTTP, each POST says what it carries in headers, so an intermediary can route without reading the body:
 *   `Mcp-Method` (the JSON-RPC method; every POST) and `Mcp-Name` (`params.name` of tools/call and prompts/get,
 *   `params.uri` of resources/read, subscribe and unsubscribe, `params.taskId` of the tasks extension's methods). A
 *   header that disagrees with the body is refused with 400, so that every hop acts on the same message (SEP-2243).
 */
import { STATELESS, STREAMABLE_HTTP } from './revisions.js';

export const META_PROTOCOL_VERSION = 'io.modelcontextprotocol/protocolVersion';
export const META_CLIENT_CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities';
export const META_CLIENT_INFO = 'io.modelcontextprotocol/clientInfo';
export const META_SERVER_INFO = 'io.modelcontextprotocol/serverInfo';
export const META_SUBSCRIPTION_ID = 'io.modelcontextprotocol/subscriptionId';

/** Every revision our mocks answer requests in: the stateless one, then those with sessions. */
export const ALL_REVISIONS: readonly string[] = Object.freeze([STATELESS, ...STREAMABLE_HTTP]);

/** The `_meta` a stateless request carries; `tasks`: the client declares the tasks extension. */
export function statelessMeta(clientName: string, options: { tasks?: boolean } = {}): Record<string, unknown> {
  return {
    [META_PROTOCOL_VERSION]: STATELESS,
    [META_CLIENT_CAPABILITIES]: options.tasks === true ? { extensions: { [TASKS_EXTENSION]: {} } } : {},
    [META_CLIENT_INFO]: { name: clientName, version: '0.1.0' },
  };
}

/** The revision a request declares in its `_meta`, if any. */
export function declaredRevision(params: unknown): string | undefined {
  const meta = (params as { _meta?: Record<string, unknown> } | undefined)?._meta;
  const version = meta?.[META_PROTOCOL_VERSION];
  return typeof version === 'string' ? version : undefined;
}

/**
 * The tasks extension (SEP-2663, `io.modelcontextprotocol/tasks`): a client that declares it in its capabilities
 * may get `resultType: "task"` — a handle with a `taskId` — instead of a tool's result, and then asks about the task
 * with these methods, each naming the task by `params.taskId` (and in `Mcp-Name`).
 */
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';
export const TASK_METHODS: ReadonlySet<string> = new Set(['tasks/get', 'tasks/update', 'tasks/cancel']);

/** Whether a stateless request's `_meta` declares the tasks extension among the client's capabilities. */
export function declaresTasks(params: unknown): boolean {
  const meta = (params as { _meta?: Record<string, unknown> } | undefined)?._meta;
  const capabilities = meta?.[META_CLIENT_CAPABILITIES] as { extensions?: Record<string, unknown> } | undefined;
  const declared = capabilities?.extensions?.[TASKS_EXTENSION];
  return typeof declared === 'object' && declared !== null;
}

/** The task id a `resultType: "task"` result carries, or undefined for any other result. */
export function createdTaskId(result: unknown): string | undefined {
  const r = result as { resultType?: unknown; taskId?: unknown } | null | undefined;
  return r?.resultType === 'task' && typeof r.taskId === 'string' ? r.taskId : undefined;
}

const NAMED_BY_NAME = new Set(['tools/call', 'prompts/get']);
const NAMED_BY_URI = new Set(['resources/read', 'resources/subscribe', 'resources/unsubscribe']);

/** What `Mcp-Name` must say for a request of this method with these params, or undefined when it names nothing. */
export function routedName(method: string, params: unknown): string | undefined {
  const p = params as { name?: unknown; uri?: unknown; taskId?: unknown } | undefined;
  const value = NAMED_BY_NAME.has(method)
    ? p?.name
    : NAMED_BY_URI.has(method)
      ? p?.uri
      : TASK_METHODS.has(method)
        ? p?.taskId
        : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** The routing headers a POST of this request must carry. */
export function routingHeaders(method: string, params: unknown): Record<string, string> {
  const name = routedName(method, params);
  return name === undefined ? { 'mcp-method': method } : { 'mcp-method': method, 'mcp-name': name };
}

/**
 * Why a request's routing headers do not describe its body, or undefined when they do. `required`: the headers must
 * be there (a stateless request); otherwise only headers that are present are checked.
 */
export function routingMismatch(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  method: string,
  params: unknown,
  required: boolean,
): string | undefined {
  const sentMethod = headers['mcp-method'];
  const sentName = headers['mcp-name'];
  if (Array.isArray(sentMethod) || Array.isArray(sentName)) return 'Mcp-Method and Mcp-Name may appear once each';
  if (sentMethod === undefined) return required ? 'missing Mcp-Method header' : undefined;
  if (sentMethod !== method) return `Mcp-Method "${sentMethod}" does not match the body's method "${method}"`;
  const name = routedName(method, params);
  if (name === undefined)
    return sentName === undefined ? undefined : `Mcp-Name "${sentName}" names nothing in ${method}`;
  if (sentName === undefined) return required ? `missing Mcp-Name header (${method} names "${name}")` : undefined;
  if (sentName !== name) return `Mcp-Name "${sentName}" does not match the body's "${name}"`;
  return undefined;
}
