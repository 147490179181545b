/**
 * The proxy's session table: MCP session id → what it is bound to (an upstream, a child process) and who opened it.
 * It enforces --max-sessions and expires sessions idle longer than --session-idle-ms, handing each ended session to
 * `onEnd` so its binding can release everything it holds.
 *
 * A session belongs to the principal that opened it (with auth on: a token's digest, a JWT's issuer and subject). A
 * lookup by anyone else finds nothing, exactly as for an id that never existed: a session id is not a credential,
 * and the answer must not confirm that it exists.
 *
 * A slot can be reserved before the session exists (the reverse proxy learns the id only when the upstream answers
 * initialize): reserved slots count toward --max-sessions, so a burst of initializes cannot overshoot it.
 */

export interface SessionEntry<T> {
  readonly id: string;
  readonly binding: T;
  /** Who opened it; undefined when the proxy authenticates nobody. */
  readonly owner: string | undefined;
  lastActive: number;
}

export type EndReason = 'deleted' | 'idle' | 'upstream-gone' | 'shutdown';

export class SessionTable<T> {
  readonly #entries = new Map<string, SessionEntry<T>>();
  readonly #sweeper: NodeJS.Timeout | undefined;
  #reserved = 0;

  constructor(
    private readonly maxSessions: number,
    private readonly idleMs: number,
    private readonly onEnd: (entry: SessionEntry<T>, reason: EndReason) => void,
    private readonly now: () => number = Date.now,
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
    this.#entries.set(id, { id, binding, owner, lastActive: this.now() });
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
    for (const entry of [...this.#entries.values()]) if (entry.lastActive < cutoff) this.end(entry.id, 'idle');
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
