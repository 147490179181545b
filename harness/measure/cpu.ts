/**
 * CPU time of another process, read from /proc. `/proc/<pid>/task/<tid>/schedstat` gives nanoseconds on CPU per
 * thread; summing the threads counts the libuv pool and V8's helpers too. Where schedstat is missing we fall back to
 * utime+stime from `/proc/<pid>/stat`, which counts in clock ticks (10 ms at USER_HZ=100).
 */
import { readFileSync, readdirSync } from 'node:fs';

const USER_HZ = 100; // Linux exposes USER_HZ=100 to user space on every mainstream architecture.

/** Total CPU time of a process in microseconds, or undefined when /proc cannot tell (process gone, not Linux). */
export function processCpuMicros(pid: number): number | undefined {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const field = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0];
      ns += Number(field);
    }
    if (Number.isFinite(ns) && ns > 0) return ns / 1000;
  } catch {
    // fall through to /proc/<pid>/stat
  }
  const split = userSystemMicros(pid);
  return split === undefined ? undefined : split.user + split.system;
}

/** A process's CPU split into user and system time, µs, from /proc/<pid>/stat (in clock ticks: read over seconds). */
export function userSystemMicros(pid: number): { user: number; system: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields are counted after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const user = Number(fields[11]); // utime, stime: fields 14 and 15 of stat
    const system = Number(fields[12]);
    if (!Number.isFinite(user) || !Number.isFinite(system)) return undefined;
    return { user: (user * 1_000_000) / USER_HZ, system: (system * 1_000_000) / USER_HZ };
  } catch {
    return undefined;
  }
}

/** User and system CPU of a process and its descendants, µs (see userSystemMicros). */
export function processTreeUserSystemMicros(pid: number): { user: number; system: number } | undefined {
  let total: { user: number; system: number } | undefined;
  for (const p of processTree(pid)) {
    const split = userSystemMicros(p);
    if (split !== undefined)
      total = { user: (total?.user ?? 0) + split.user, system: (total?.system ?? 0) + split.system };
  }
  return total;
}

/** The pids of a process and all its descendants, from /proc/<pid>/task/<tid>/children. */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    out.push(p);
    try {
      for (const tid of readdirSync(`/proc/${p}/task`)) {
        const children = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').trim();
        if (children !== '') stack.push(...children.split(' ').map(Number));
      }
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU of a process and its descendants (a bridge and its stdio children), µs. Children that exited between two
 * readings take their CPU with them, so take readings while the tree is steady. */
export function processTreeCpuMicros(pid: number): number | undefined {
  return sumOverTree(pid, processCpuMicros);
}

/** A per-process figure summed over a process and its descendants; undefined when none could be read. */
function sumOverTree(pid: number, read: (pid: number) => number | undefined): number | undefined {
  let total: number | undefined;
  for (const p of processTree(pid)) {
    const value = read(p);
    if (value !== undefined) total = (total ?? 0) + value;
  }
  return total;
}

/** Resident set size in bytes from /proc/<pid>/status (VmRSS), or undefined. */
export function processRssBytes(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Open file descriptors of a process (sockets, pipes, files), from /proc/<pid>/fd, or undefined. */
export function processFdCount(pid: number): number | undefined {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

/** Live descendants of a process (its stdio children and theirs). */
export function processDescendantCount(pid: number): number {
  return processTree(pid).length - 1;
}

/** Resident memory of a process and all its descendants, bytes (shared pages counted in each: an upper bound). */
export function processTreeRssBytes(pid: number): number | undefined {
  return sumOverTree(pid, processRssBytes);
}
