/**
 * Was the machine quiet while we measured? From /proc: the CPU every process on the machine used (/proc/stat), less
 * what our own process tree used (the runner, the mocks, the proxy and its children, reaped ones included through
 * cutime/cstime), is what something else took; `steal` is what the hypervisor gave another guest. Either one large
 * makes timing figures untrustworthy: a verdict on them is then "inconclusive", never "failed".
 */
import { readFileSync } from 'node:fs';
import { processTree } from './cpu.js';

const USER_HZ = 100;
/** Another process using more than this share of one core on average makes the machine busy. */
export const FOREIGN_CPU_BUSY_PCT = 25;
/** Steal above this share of one core makes it busy too. */
export const STEAL_BUSY_PCT = 10;

export interface MachineLoad {
  /** CPU used by processes that are not ours, % of one core, averaged over the window. */
  readonly foreignCpuPct: number;
  /** CPU stolen by the hypervisor, % of one core. */
  readonly stealPct: number;
}

interface Reading {
  readonly atMs: number;
  /** Busy ticks of all CPUs (everything but idle and iowait), and steal ticks. */
  readonly busy: number;
  readonly steal: number;
  readonly own: number;
}

/** Starts a window; `end()` gives the load over it, or undefined where /proc cannot tell. */
export function watchMachineLoad(rootPid = process.pid): { end(): MachineLoad | undefined } {
  const start = read(rootPid);
  return {
    end() {
      const stop = read(rootPid);
      if (start === undefined || stop === undefined) return undefined;
      const windowTicks = ((stop.atMs - start.atMs) / 1000) * USER_HZ;
      if (windowTicks <= 0) return undefined;
      const foreign = Math.max(0, stop.busy - start.busy - (stop.own - start.own));
      return {
        foreignCpuPct: Math.round((foreign / windowTicks) * 1000) / 10,
        stealPct: Math.round(((stop.steal - start.steal) / windowTicks) * 1000) / 10,
      };
    },
  };
}

/** Whether a window's load makes timing figures untrustworthy, and why (for the verdict's note). */
export function busyReason(load: MachineLoad | undefined): string | undefined {
  if (load === undefined) return undefined;
  if (load.foreignCpuPct > FOREIGN_CPU_BUSY_PCT)
    return `other processes used ${load.foreignCpuPct}% of a core while this ran`;
  if (load.stealPct > STEAL_BUSY_PCT) return `the hypervisor stole ${load.stealPct}% of a core while this ran`;
  return undefined;
}

function read(rootPid: number): Reading | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user already)
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
    let own = 0;
    for (const pid of processTree(rootPid)) own += ownTicks(pid);
    return { atMs: performance.now(), busy: user + nice + system + irq + softirq, steal, own };
  } catch {
    return undefined;
  }
}

/** utime + stime + cutime + cstime: a process's CPU and its reaped children's, in ticks. */
function ownTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    return Number.isFinite(ticks) ? ticks : 0;
  } catch {
    return 0;
  }
}
