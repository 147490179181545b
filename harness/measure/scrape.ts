/** Reads what a proxy says about itself: gauges from its Prometheus /metrics, memory from /debug/memory. */
import { McpPerfError } from '../../core/runtime/errors.js';
import { processRssBytes } from './cpu.js';

/** The value of the first sample of `name` (with or without labels), or undefined when the proxy does not expose it. */
export async function scrapeGauge(proxyUrl: string, name: string): Promise<number | undefined> {
  const res = await fetch(new URL('/metrics', proxyUrl));
  if (!res.ok) return undefined;
  const line = (await res.text()).split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  if (line === undefined) return undefined;
  const value = Number(line.slice(line.lastIndexOf(' ') + 1));
  return Number.isFinite(value) ? value : undefined;
}

/**
 * A full GC in the proxy (it must run with --debug-memory), then its RSS from /proc and V8's heap from the answer.
 * RSS is read after the GC so both describe the same moment.
 */
export async function proxyMemoryAfterGc(proxyUrl: string, pid: number): Promise<{ rss: number; heapUsed: number }> {
  const res = await fetch(new URL('/debug/memory', proxyUrl));
  if (!res.ok)
    throw new McpPerfError(
      'MCP_PERF_TARGET',
      `the proxy's /debug/memory answered HTTP ${res.status}; it needs --debug-memory`,
    );
  const usage = (await res.json()) as { heapUsed: number; rss: number };
  return { rss: processRssBytes(pid) ?? usage.rss, heapUsed: usage.heapUsed };
}
