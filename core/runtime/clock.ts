/**
 * Time that lands when it says, without burning a core.
 *
 * Node's setTimeout counts from the event loop's cached millisecond clock, so a 5 ms timer fires anywhere from
 * ~4.6 to ~6 ms after the call (measured on this machine: p10 4.65 ms, p50 5.50 ms). An open-model generator that
 * sends that loosely adds its own slop to every latency, and a mock whose latency knob is that loose makes
 * known-answer tests meaningless. Finishing each wait by spinning on setImmediate fixes the precision but cost
 * ~50% of a core at 500 req/s in each of generator and mock, and on this 2-vCPU machine that inflated the proxy's
 * own CPU per request sevenfold — the measurement disturbed the thing measured.
 *
 * So deadlines go to one timer thread per process (clock-thread.ts), which sleeps on a futex with microsecond
 * resolution and wakes the main thread with a message LEAD_NS before the deadline; the main thread, by then awake
 * and running, finishes the approach on setImmediate against the monotonic clock. The wake-up of an idle thread on
 * this kind of VM costs tens of microseconds and varies; the lead absorbs it, and its spin is bounded to LEAD_NS per
 * deadline (≤ 15% of a core at 1,000 deadlines/s, against > 50% for a 1 ms spin window). Deadlines are kept here in
 * a min-heap; only the earliest is published to the thread.
 */
import { Worker } from 'node:worker_threads';

export type Clock = () => bigint;

/** Monotonic nanoseconds. */
export const monotonicNs: Clock = () => process.hrtime.bigint();

/** The timer thread wakes us this long before a deadline; we spin the rest on the main thread. */
const LEAD_NS = 150_000n;
/** A deadline this close is not worth a trip through the timer thread. */
const IMMEDIATE_NS = 2_000n;

interface Waiter {
  readonly deadline: bigint;
  readonly resolve: () => void;
}

class TimerThread {
  readonly #shared = new SharedArrayBuffer(16);
  readonly #sequence = new Int32Array(this.#shared, 0, 1);
  readonly #published = new BigInt64Array(this.#shared, 8, 1);
  readonly #heap: Waiter[] = [];
  /** Waiters within LEAD_NS of their deadline, in deadline order, finished by #approach on setImmediate. */
  #approaching: Waiter[] = [];
  readonly #worker: Worker;
  #referenced = false;

  constructor() {
    this.#worker = new Worker(new URL('./clock-thread.js', import.meta.url), { workerData: this.#shared });
    this.#worker.on('message', () => this.#release());
    this.#worker.unref(); // a pending sleep keeps the process alive (see #publish), an idle timer thread does not
  }

  sleepUntil(deadline: bigint): Promise<void> {
    if (deadline - monotonicNs() <= IMMEDIATE_NS) return Promise.resolve();
    return new Promise((resolve) => {
      push(this.#heap, { deadline, resolve });
      if (this.#heap[0]!.deadline === deadline) this.#publish();
    });
  }

  #release(): void {
    const horizon = monotonicNs() + LEAD_NS;
    const wasApproaching = this.#approaching.length > 0;
    while (this.#heap.length > 0 && this.#heap[0]!.deadline <= horizon)
      insertSorted(this.#approaching, pop(this.#heap)!);
    this.#publish();
    if (!wasApproaching) this.#approach();
  }

  readonly #approach = (): void => {
    const now = monotonicNs() + IMMEDIATE_NS;
    let done = 0;
    while (done < this.#approaching.length && this.#approaching[done]!.deadline <= now)
      this.#approaching[done++]!.resolve();
    if (done > 0) this.#approaching = this.#approaching.slice(done);
    if (this.#approaching.length > 0) setImmediate(this.#approach);
  };

  #publish(): void {
    const next = this.#heap.length > 0 ? this.#heap[0]!.deadline - LEAD_NS : 0n;
    Atomics.store(this.#published, 0, next);
    Atomics.add(this.#sequence, 0, 1);
    Atomics.notify(this.#sequence, 0);
    if (next !== 0n && !this.#referenced) this.#worker.ref();
    else if (next === 0n && this.#referenced) this.#worker.unref();
    this.#referenced = next !== 0n;
  }
}

let thread: TimerThread | undefined;

/** Resolves at or just after `deadlineNs` on the monotonic clock. */
export function sleepUntil(deadlineNs: bigint): Promise<void> {
  thread ??= new TimerThread();
  return thread.sleepUntil(deadlineNs);
}

/** A coarse wait (a trial's length) that an abort ends early. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    // The listener goes when the sleep ends either way: a run sleeps many times on one signal.
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A delay of `ms` milliseconds measured on the monotonic clock. */
export function preciseDelay(ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return sleepUntil(monotonicNs() + BigInt(Math.round(ms * 1e6)));
}

/** The approach list is short (what falls due within LEAD_NS): a linear insert from the end is enough. */
function insertSorted(list: Waiter[], w: Waiter): void {
  let i = list.length;
  while (i > 0 && list[i - 1]!.deadline > w.deadline) i--;
  list.splice(i, 0, w);
}

// A binary min-heap on deadline: O(log n) per sleep, however many requests are waiting.
function push(heap: Waiter[], w: Waiter): void {
  heap.push(w);
  for (let i = heap.length - 1; i > 0;) {
    const parent = (i - 1) >> 1;
    if (heap[parent]!.deadline <= heap[i]!.deadline) break;
    [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
    i = parent;
  }
}

function pop(heap: Waiter[]): Waiter | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length > 0 && last !== undefined) {
    heap[0] = last;
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && heap[l]!.deadline < heap[m]!.deadline) m = l;
      if (r < heap.length && heap[r]!.deadline < heap[m]!.deadline) m = r;
      if (m === i) break;
      [heap[m], heap[i]] = [heap[i]!, heap[m]!];
      i = m;
    }
  }
  return top;
}
