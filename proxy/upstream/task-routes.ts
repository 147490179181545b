/**
 * Where each task lives (the tasks extension, SEP-2663). A stateless `tools/call` may be answered with a task handle
 * (`resultType: "task"`, a `taskId`) instead of its result; the client then asks `tasks/get`, `tasks/update` and
 * `tasks/cancel` about it — and only the server that made the task knows it. A proxy that spreads stateless requests
 * over several upstreams (or shared children) must send those to the one that answered with the handle: it notes
 * each handle it passes on, for as long as the task is kept (its `ttlMs`, bounded), and routes by `params.taskId` /
 * `Mcp-Name`. Bounded in size: past MAX_ROUTES the oldest note goes first.
 *
 * A task belongs to the principal whose call made it, as a session does (with auth on): another principal that names
 * it is answered as for a task that never existed, and its request never reaches the upstream.
 */
import { now as monotonicNow } from '../clock.js';

/** Notes kept at most; a task whose note is gone is asked of the next upstream in turn (which says it is unknown). */
export const MAX_ROUTES = 100_000;
/** A handle that does not say how long it is kept, or says longer than this: kept this long. */
const DEFAULT_TTL_MS = 10 * 60_000;

/** A noted task: where it lives, whose it is, until when. */
export interface TaskRoute<T> {
  readonly target: T;
  readonly owner: string | undefined;
  readonly expires: number;
}

export class TaskRoutes<T> {
  readonly #routes = new Map<string, TaskRoute<T>>();

  constructor(
    private readonly max = MAX_ROUTES,
    private readonly now: () => number = monotonicNow,
  ) {}

  /** The task `taskId`, `owner`'s, lives on `target`, for `ttlMs` (the handle's own figure) from now. */
  remember(taskId: string, target: T, ttlMs: unknown, owner: string | undefined): void {
    const ttl = typeof ttlMs === 'number' && ttlMs > 0 ? Math.min(ttlMs, DEFAULT_TTL_MS) : DEFAULT_TTL_MS;
    this.#routes.delete(taskId); // re-inserted below: the newest note is the last to go
    if (this.#routes.size >= this.max) this.#routes.delete(this.#routes.keys().next().value!);
    this.#routes.set(taskId, { target, owner, expires: this.now() + ttl });
  }

  /** The note on `taskId`, if a handle for it passed here and has not expired. */
  find(taskId: string): TaskRoute<T> | undefined {
    const route = this.#routes.get(taskId);
    if (route === undefined) return undefined;
    if (route.expires > this.now()) return route;
    this.#routes.delete(taskId);
    return undefined;
  }

  /** Forgets every task on `target` (an upstream channel that ended: its tasks ended with it). */
  forget(target: T): void {
    for (const [taskId, route] of this.#routes) if (route.target === target) this.#routes.delete(taskId);
  }

  get size(): number {
    return this.#routes.size;
  }
}
