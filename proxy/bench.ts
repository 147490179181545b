/**
 * Micro-benchmarks of the proxy's stages, run in the proxy's own process (`mcp-perf proxy-bench`) so the harness
 * never loads proxy code. Each component is timed in batches on the monotonic clock; the per-operation time of each
 * batch goes into an HDR histogram in nanoseconds. Results are one JSON line on stdout.
 */
import { SignJWT } from 'jose';
import { createLatencyHistogram, summarise } from '../core/measure/histogram.js';
import { parseMessage } from '../core/protocol/jsonrpc.js';
import { LineSplitter } from '../core/protocol/framing.js';
import { SessionTable } from './sessions.js';
import { createVerifier } from './stages/auth.js';
import { TokenBuckets } from './stages/rate-limit.js';

/** Per-operation time of one component, in nanoseconds (the field names say so), and its rate. */
export interface ComponentResult {
  readonly ns: {
    readonly count: number;
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
  };
  readonly opsPerSec: number;
}

type Op = () => unknown;

const CALL =
  '{"jsonrpc":"2.0","id":12345,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello","payloadBytes":64}}}';

/** Times `op` in batches of `batch` for `ms`, after a warm-up of a fifth of that. */
async function measure(op: Op, batch: number, ms: number, async = false): Promise<ComponentResult> {
  const h = createLatencyHistogram();
  let ops = 0;
  const run = async (record: boolean, forMs: number): Promise<void> => {
    const end = performance.now() + forMs;
    while (performance.now() < end) {
      const t0 = process.hrtime.bigint();
      if (async) for (let i = 0; i < batch; i++) await op();
      else for (let i = 0; i < batch; i++) op();
      const perOpNs = Number(process.hrtime.bigint() - t0) / batch;
      if (record) {
        h.recordValue(Math.max(1, Math.round(perOpNs)));
        ops += batch;
      }
    }
  };
  await run(false, ms / 5);
  const t = performance.now();
  await run(true, ms);
  // The histogram records whole nanoseconds; its summary's fields are named for µs, so they are renamed here.
  const s = summarise(h);
  return {
    ns: { count: s.count, p50: s.p50_us, p90: s.p90_us, p99: s.p99_us, max: s.max_us },
    opsPerSec: Math.round((ops * 1000) / (performance.now() - t)),
  };
}

export async function benchmarkComponents(msEach: number): Promise<Record<string, ComponentResult>> {
  const secret = 'a-benchmark-secret-of-some-length';
  const jwt = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('bench')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));
  const verifyJwt = createVerifier({ tokens: [], hs256Secret: secret });
  const verifyToken = createVerifier({ tokens: ['static-token-one', 'static-token-two'] });

  const buckets = new TokenBuckets({ ratePerSec: 1e9, burst: 1e9 });
  const keys = Array.from({ length: 1_000 }, (_, i) => `client-${i}`);
  let k = 0;

  const table = new SessionTable<number>(100_000, 0, () => {});
  const ids = Array.from({ length: 10_000 }, (_, i) => `session-${i}-${Math.random().toString(36).slice(2)}`);
  ids.forEach((id, i) => table.add(id, i, 'bench'));
  let s = 0;

  const lines = Buffer.from(Array.from({ length: 100 }, () => CALL).join('\n') + '\n');
  const splitter = new LineSplitter(1 << 20, { onLine: () => {}, onOversize: () => {} });

  return {
    auth_hs256: await measure(() => verifyJwt(jwt), 20, msEach, true),
    auth_token: await measure(() => verifyToken('static-token-two'), 100, msEach, true),
    rate_limit: await measure(() => buckets.take(keys[k++ % keys.length]!), 1_000, msEach),
    session_lookup: await measure(() => table.touch(ids[s++ % ids.length]!, 'bench'), 1_000, msEach),
    jsonrpc_parse: await measure(() => parseMessage(CALL), 200, msEach),
    // One push of 100 newline-framed messages; reported per message.
    framing: await measure(() => splitter.push(lines), 1, msEach).then((r) => perMessage(r, 100)),
  };
}

function perMessage(r: ComponentResult, n: number): ComponentResult {
  const d = (v: number): number => Math.round(v / n);
  return {
    ns: { count: r.ns.count, p50: d(r.ns.p50), p90: d(r.ns.p90), p99: d(r.ns.p99), max: d(r.ns.max) },
    opsPerSec: r.opsPerSec * n,
  };
}
