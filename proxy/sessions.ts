/**
 * The proxy's session table: MCP session id → what it is bound to (an upstream, a child process) and who opened it.
 * It enforces --max-sessions and expires sessions idle longer than --session-idle-ms, handing each ended session to
 * `onEnd` so its binding can release everything it holds.
 *
 * A session belongs to the principal that opened it (with auth on: a token's digest, a JWT's issuer and subject). A
 * lookup by anyone else finds nothing, exactly as for an id that never existed: a session id is not a credential,
 * and the answer must not confirm that it exists.
 *
 * A session with a request in flight is not idle, however long the request takes (a slow tool, a child still
 * starting for its initialize): --session-idle-ms counts from the end of its last request. An open GET stream does
 * not hold a session: a client that only listens, and one that is gone without closing its socket, look the same.
 *
 * A slot can be reserved before the session exists (the reverse proxy learns the id only when the upstream answers
 * initialize): reserved slots count toward --max-sessions, so a burst of initializes cannot overshoot it.
 */

import { now as clockNow } from './clock.js';

export interface SessionEntry<T> {
  readonly id: string;
  readonly binding: T;
  /** Who opened it; undefined when the proxy authenticates nobody. */
  readonly owner: string | undefined;
  lastActive: number;
  /** Requests in flight (hold()): while any is, the session is not idle. */
  busy: number;
}

const NOOP = (): void => {};

export type EndReason = 'deleted' | 'idle' | 'upstream-gone' | 'shutdown';

export class SessionTable<T> {
  readonly #entries = new Map<string, SessionEntry<T>>();
  readonly #sweeper: NodeJS.Timeout | undefined;
  #reserved = 0;

  constructor(
    private readonly maxSessions: number,
    private readonly idleMs: number,
    private readonly onEnd: (entry: SessionEntry<T>, reason: EndReason) => void,
    private readonly now: () => number = clockNow,
  ) {
    if (idleMs > 0) {
      this.#sweeper = setInterval(() => this.sweep(), Math.max(50, Math.min(idleMs / 4, 10_000)));
      this.#sweeper.unref();
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  get full(): boolean {
    return this.#entries.size + this.#reserved >= this.maxSessions;
  }

  /** Slots held for sessions being opened. */
  get reserved(): number {
    return this.#reserved;
  }

  /** Looks up a session of `owner` and marks it active; another owner's session is not found. */
  touch(id: string, owner: string | undefined): SessionEntry<T> | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined || entry.owner !== owner) return undefined;
    entry.lastActive = this.now();
    return entry;
  }

  /**
   * Marks a request of the session in flight until the returned release is called (once; later calls do nothing),
   * which counts as activity. A session not in the table gets a release that does nothing.
   */
  hold(id: string): () => void {
    const entry = this.#entries.get(id);
    if (entry === undefined) return NOOP;
    this.busy(entry);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.idle(entry);
    };
  }

  /**
   * hold() for an entry touch() has just returned, without a closure: the caller pairs it with exactly one idle(entry)
   * (the reverse forwarder, when its exchange finishes).
   */
  busy(entry: SessionEntry<T>): void {
    entry.busy++;
  }

  /** A request busy() marked has finished: activity now. */
  idle(entry: SessionEntry<T>): void {
    entry.busy--;
    entry.lastActive = this.now();
  }

  /** Whether a session with this id exists, whoever owns it. */
  has(id: string): boolean {
    return this.#entries.has(id);
  }

  /** Holds a slot for a session about to be opened; false when the table is full. Pair with add(…, true) or unreserve(). */
  reserve(): boolean {
    if (this.full) return false;
    this.#reserved++;
    return true;
  }

  unreserve(): void {
    if (this.#reserved > 0) this.#reserved--;
  }

  /**
   * Adds a session, in the slot reserve() held when `reserved`; false when the table is full (the reservation is
   * given back either way) or the id is taken.
   */
  add(id: string, binding: T, owner: string | undefined, reserved = false): boolean {
    if (reserved) this.unreserve();
    if (this.full || this.#entries.has(id)) return false;
    this.#entries.set(id, { id, binding, owner, lastActive: this.now(), busy: 0 });
    return true;
  }

  /** Ends one session (and tells onEnd); false when it was not there. */
  end(id: string, reason: EndReason): boolean {
    const entry = this.#entries.get(id);
    if (entry === undefined) return false;
    this.#entries.delete(id);
    this.onEnd(entry, reason);
    return true;
  }

  sweep(): void {
    const cutoff = this.now() - this.idleMs;
    for (const entry of [...this.#entries.values()])
      if (entry.busy === 0 && entry.lastActive < cutoff) this.end(entry.id, 'idle');
  }

  /** Ends every session. */
  close(): void {
    if (this.#sweeper) clearInterval(this.#sweeper);
    for (const id of [...this.#entries.keys()]) this.end(id, 'shutdown');
  }

  values(): IterableIterator<SessionEntry<T>> {
    return this.#entries.values();
  }
}
