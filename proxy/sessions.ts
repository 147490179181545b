/**
 * The proxy's session table: MCP session id → what it is bound to (an upstream, a child process). It enforces
 * --max-sessions and expires sessions idle longer than --session-idle-ms, handing each ended session to `onEnd` so
 * its binding can release everything it holds.
 */

export interface SessionEntry<T> {
  readonly id: string;
  readonly binding: T;
  lastActive: number;
}

export type EndReason = 'deleted' | 'idle' | 'upstream-gone' | 'shutdown';

export class SessionTable<T> {
  readonly #entries = new Map<string, SessionEntry<T>>();
  readonly #sweeper: NodeJS.Timeout | undefined;

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
    return this.#entries.size >= this.maxSessions;
  }

  /** Looks a session up and marks it active. */
  touch(id: string): SessionEntry<T> | undefined {
    const entry = this.#entries.get(id);
    if (entry !== undefined) entry.lastActive = this.now();
    return entry;
  }

  /** Adds a session; false when the table is full. */
  add(id: string, binding: T): boolean {
    if (this.full) return false;
    this.#entries.set(id, { id, binding, lastActive: this.now() });
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
