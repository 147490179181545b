/**
 * The proxy's clock: Date.now(), read at most once per socket read. The HTTP server's and the upstream pool's read
 * callbacks each run as one turn (`turn`), and every time asked for within a turn — when a request began, its
 * session's last activity, its upstream deadline, its Date header, when the connection went idle — is the time of the
 * turn's first ask. Outside a turn (timers, promise jobs, the sweeps) `now()` is Date.now() itself.
 *
 * Why: a proxied call asked for the time eight times, each ~260 instructions under cachegrind (a call into the
 * runtime and the kernel's clock), ~3% of the proxy's instructions per call. A turn lasts as long as one read's work:
 * what the time is used for (timeouts of seconds, idle limits of minutes, a Date header to the second) cannot tell.
 * nginx caches its time per event loop turn for the same reason.
 */

let inTurn = false;
let read = false;
let time = 0;

/** Milliseconds since the epoch: the turn's, within one. */
export function now(): number {
  if (!inTurn) return Date.now();
  if (!read) {
    time = Date.now();
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
