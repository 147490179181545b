/**
 * The proxy's clocks. `now()` is the monotonic one every deadline and idle limit is kept on: milliseconds from
 * `performance.now()`, which the system clock being set (an NTP step, a VM's clock brought back in line) never moves —
 * on Date.now() a step forward would expire every idle session and connection at the next sweep, a step back would
 * hold them for the step. `httpDate()` is the wall clock, for the one thing that needs it: the Date header.
 *
 * Both are read at most once per socket read. The HTTP server's and the upstream pool's read callbacks each run as one
 * turn (`turn`), and every time asked for within a turn — when a request began, its session's last activity, its
 * upstream deadline, when the connection went idle — is the time of the turn's first ask. Outside a turn (timers,
 * promise jobs, the sweeps) `now()` reads the clock itself. Why: a proxied call asked for the time eight times, each
 * ~260 instructions under cachegrind (a call into the runtime and the kernel's clock), ~3% of the proxy's instructions
 * per call. A turn lasts as long as one read's work: what the time is used for (timeouts of seconds, idle limits of
 * minutes) cannot tell. nginx caches its time per event loop turn for the same reason.
 */
import { performance } from 'node:perf_hooks';

let inTurn = false;
let read = false;
let time = 0;

/** Monotonic milliseconds (from an origin of no meaning: compare and subtract only); the turn's, within one. */
export function now(): number {
  if (!inTurn) return performance.now();
  if (!read) {
    time = performance.now();
    read = true;
  }
  return time;
}

/** Runs `fn(arg)` as one turn (a turn within a turn is part of it); what fn returns or throws passes through. */
export function turn<A, R>(fn: (arg: A) => R, arg: A): R {
  if (inTurn) return fn(arg);
  inTurn = true;
  read = false;
  try {
    return fn(arg);
  } finally {
    inTurn = false;
  }
}

let dateText = '';
/** now() at which dateText's second ends on the wall clock. */
let dateUntil = -Infinity;
/**
 * The Date header's value: the wall clock formatted once a second. The wall clock is read when the second the last
 * text named has passed by the monotonic clock, so a step of the system clock shows at most a second later.
 */
export function httpDate(): string {
  const mono = now();
  if (mono >= dateUntil) {
    const wall = Date.now();
    dateText = new Date(wall).toUTCString();
    dateUntil = mono + (1000 - (wall % 1000));
  }
  return dateText;
}
