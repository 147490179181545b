/**
 * The open-files limit the runner and every process it starts live under (children inherit it). A scenario that will
 * hold more sockets than it allows fails before it starts, saying so — not halfway, as an upstream's EMFILE (the
 * release profile's 10,000 sessions with a stream each need ~20,000 descriptors in the proxy alone).
 */
import { readFileSync } from 'node:fs';
import { McpPerfError } from '../../core/runtime/errors.js';

/** The soft "Max open files" of a /proc/<pid>/limits text; undefined when absent or unlimited. */
export function parseOpenFilesLimit(limits: string): number | undefined {
  const match = /^Max open files\s+(\S+)/m.exec(limits);
  if (match === null || match[1] === 'unlimited') return undefined;
  const value = Number(match[1]);
  return Number.isFinite(value) ? value : undefined;
}

export function openFilesLimit(): number | undefined {
  try {
    return parseOpenFilesLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return undefined; // not Linux: nothing to check against
  }
}

/** Throws a clear error when `needed` descriptors (one process's) exceed the limit; `why` says where they go. */
export function requireOpenFiles(scenario: string, needed: number, why: string, limit = openFilesLimit()): void {
  if (limit === undefined || needed <= limit) return;
  throw new McpPerfError(
    'MCP_PERF_CONFIG',
    `${scenario} needs about ${needed.toLocaleString('en-US')} open files in one process (${why}) and this machine allows ${limit.toLocaleString('en-US')} (ulimit -n): raise the limit (ulimit -n ${Math.max(65_536, 2 ** Math.ceil(Math.log2(needed)))}) or run a smaller profile`,
  );
}
