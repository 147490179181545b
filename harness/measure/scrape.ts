/** Reads what a proxy says about itself: gauges from its Prometheus /metrics, memory from /debug/memory. */
import { McpPerfError } from '../../core/runtime/errors.js';
import { processRssBytes } from './cpu.js';
import { Agent, fetch, type Response } from 'undici';

/**
 * Readings go on a connection of their own each (undici's `pipelining: 0`: no keep-alive). A kept-alive connection
 * races a proxy that closes idle ones sooner than the client does (leak-hunt runs it with --keep-alive-ms 500): a
 * reading sent as the proxy closes it failed once in CI with "fetch failed", through no fault of either.
 */
const fresh = new Agent({ pipelining: 0 });

async function get(url: URL): Promise<Response> {
  try {
    return await fetch(url, { dispatcher: fresh });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new McpPerfError(
      'MCP_PERF_TARGET',
      `GET ${url.href} failed: ${cause?.code ?? cause?.message ?? String(err)}`,
    );
  }
}

/** The value of the first sample of `name` (with or without labels), or undefined when the proxy does not expose it. */
export async function scrapeGauge(proxyUrl: string, name: string): Promise<number | undefined> {
  const res = await get(new URL('/metrics', proxyUrl));
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
export async function proxyMemoryAfterGc(
  proxyUrl: string,
  pid: number,
): Promise<{ rss: number; heapUsed: number; youngGeneration: number; code: number }> {
  const res = await get(new URL('/debug/memory', proxyUrl));
  if (!res.ok)
    throw new McpPerfError(
      'MCP_PERF_TARGET',
      `the proxy's /debug/memory answered HTTP ${res.status}; it needs --debug-memory`,
    );
  const usage = (await res.json()) as {
    heapUsed: number;
    rss: number;
    youngGenerationBytes?: number;
    codeBytes?: number;
  };
  return {
    rss: processRssBytes(pid) ?? usage.rss,
    heapUsed: usage.heapUsed,
    youngGeneration: usage.youngGenerationBytes ?? 0,
    code: usage.codeBytes ?? 0,
  };
}
