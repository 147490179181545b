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
 * resolution and wakes the main thread with a message a lead before the deadline; the main thread, by then awake
 * and running, finishes the approach on setImmediate against the monotonic clock. The wake-up of an idle thread on
 * this kind of VM costs tens of microseconds and varies; the lead absorbs it (it adapts to the wake-ups measured), and
 * its spin is bounded to 150 µs per deadline (≤ 15% of a core at 1,000 deadlines/s, against > 50% for a 1 ms spin
 * window; 20–40 µs once the lead has adapted on an idle machine). Deadlines are kept here in
 * a min-heap; only the earliest is published to the thread.
 */
import { Worker } from 'node:worker_threads';

export type Clock = () => bigint;

/** Monotonic nanoseconds. */
export const monotonicNs: Clock = () => process.hrtime.bigint();

/**
 * Microseconds on the machine's monotonic clock, for a time one process stamps and another reads (a sequenced
 * notification's send time): monotonicNs (`process.hrtime`) reads CLOCK_MONOTONIC, the same in every process on one
 * machine and never moved when the system clock is set. `performance.timeOrigin + performance.now()` is not that:
 * each process takes its origin from the wall clock when it starts, so two processes started either side of a clock
 * step (a VM's clock brought back in line) disagree by the step, and a delivery timed across them reads negative or
 * minutes long.
 */
export function sharedMicros(): number {
  return Number(monotonicNs() / 1000n);
}

/**
 * The timer thread wakes us this long before a deadline; we spin the rest on the main thread. By default the lead is
 * the upper bound, for the tightest deadlines (the load generator's sends). A process that wants cheaper timers
 * (the mocks: `adaptiveTimers()`) lets it adapt to how late the wake-ups actually arrive — their 90th percentile plus a
 * margin, between the bounds — and the timer thread's spin likewise: a mock answering one call at a time spent ~420 µs
 * of CPU per call with the fixed lead and spin, ~300 µs adapted (most of the difference was spinning), with its
 * median no later; the price is a later tail when a wake-up is slower than most (p99 late by up to ~0.5–1 ms in 1%
 * of sleeps on this VM, against ~0.2–0.4 ms).
 */
const LEAD_MAX_NS = 150_000n;
const LEAD_MIN_NS = 20_000n;
const LEAD_MARGIN_NS = 15_000n;
/** Steps of the percentile estimates (here and in clock-thread.ts): 9:1 converges on the 90th. */
export const STEP_UP_NS = 9_000n;
export const STEP_DOWN_NS = 1_000n;
/** A deadline this close is not worth a trip through the timer thread. */
const IMMEDIATE_NS = 2_000n;

interface Waiter {
  readonly deadline: bigint;
  readonly resolve: () => void;
}

class TimerThread {
  readonly #shared = new SharedArrayBuffer(16);
  readonly #sequence = new Int32Array(this.#shared, 0, 1);
  /** 1 when the lead and the thread's spin adapt (clock-thread.ts reads it too). */
  readonly #adaptive = new Int32Array(this.#shared, 4, 1);
  readonly #published = new BigInt64Array(this.#shared, 8, 1);
  readonly #heap: Waiter[] = [];
  /** Waiters within the lead of their deadline, in deadline order, finished by #approach on setImmediate. */
  #approaching: Waiter[] = [];
  readonly #worker: Worker;
  #referenced = false;
  /** The current lead, and the wake-up time last published to the thread (0 = none). */
  #lead = LEAD_MAX_NS;
  #wakeAt = 0n;
  /** The 90th percentile of how late after its wake-up time the main thread hears the tick (estimated). */
  #delay = LEAD_MAX_NS;

  constructor(adaptive: boolean) {
    Atomics.store(this.#adaptive, 0, adaptive ? 1 : 0);
    this.#worker = new Worker(new URL('./clock-thread.js', import.meta.url), { workerData: this.#shared });
    this.#worker.on('message', () => this.#release());
    this.#worker.unref(); // a pending sleep keeps the process alive (see #publish), an idle timer thread does not
  }

  /** From now on the lead and the thread's spin adapt. */
  adapt(): void {
    Atomics.store(this.#adaptive, 0, 1);
  }

  sleepUntil(deadline: bigint): Promise<void> {
    if (deadline - monotonicNs() <= IMMEDIATE_NS) return Promise.resolve();
    return new Promise((resolve) => {
      push(this.#heap, { deadline, resolve });
      if (this.#heap[0]!.deadline === deadline) this.#publish();
    });
  }

  #release(): void {
    const now = monotonicNs();
    // The lead the tick was published with: whatever was due within it is due now (a lead adapted below applies
    // to the next publish; taking it here would leave the waiter for another round trip through the thread).
    const horizon = now + this.#lead;
    if (this.#wakeAt !== 0n && now >= this.#wakeAt && Atomics.load(this.#adaptive, 0) === 1) {
      // The delay's 90th percentile, estimated in fixed steps (9 µs up for a later wake-up, 1 µs down for an earlier
      // one): an event-loop stall of milliseconds moves it by one step, where a decaying maximum stayed at the bound.
      this.#delay += now - this.#wakeAt > this.#delay ? STEP_UP_NS : -STEP_DOWN_NS;
      if (this.#delay < 0n) this.#delay = 0n;
      const lead = this.#delay + LEAD_MARGIN_NS;
      this.#lead = lead < LEAD_MIN_NS ? LEAD_MIN_NS : lead > LEAD_MAX_NS ? LEAD_MAX_NS : lead;
    }
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
    const next = this.#heap.length > 0 ? this.#heap[0]!.deadline - this.#lead : 0n;
    this.#wakeAt = next;
    Atomics.store(this.#published, 0, next);
    Atomics.add(this.#sequence, 0, 1);
    Atomics.notify(this.#sequence, 0);
    if (next !== 0n && !this.#referenced) this.#worker.ref();
    else if (next === 0n && this.#referenced) this.#worker.unref();
    this.#referenced = next !== 0n;
  }
}

let thread: TimerThread | undefined;
let adaptive = false;

/**
 * This process's timers trade some tail precision for CPU (see LEAD_MAX_NS): for the mocks, whose precision matters to
 * every target alike, not for the load generator's send times.
 */
export function adaptiveTimers(): void {
  adaptive = true;
  thread?.adapt();
}

/** Resolves at or just after `deadlineNs` on the monotonic clock. */
export function sleepUntil(deadlineNs: bigint): Promise<void> {
  thread ??= new TimerThread(adaptive);
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

/** The approach list is short (what falls due within the lead): a linear insert from the end is enough. */
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
