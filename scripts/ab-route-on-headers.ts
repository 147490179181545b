/**
 * What `--route-on-headers` saves: stateless (2026-07-28) calls through two reverse proxies in front of one HTTP mock
 * at 0 ms, one parsing every body (the default) and one routing on the headers, in alternating rounds; per round the
 * calls/s of 16 closed-model clients and each proxy's CPU per call from /proc.
 *
 *   npm run build && node dist/scripts/ab-route-on-headers.js [--rounds 6]
 *
 * Loopback only; every process it starts is ended when it ends, Ctrl-C included.
 */
import { fail, scriptArgs } from './args.js';
import { createTargetPool, StatelessHttpSession } from '../harness/load/mcp-session.js';
import { CallSource } from '../harness/load/outcome.js';
import { runClosedModel } from '../harness/load/closed-model.js';
import { statelessMeta } from '../core/protocol/stateless.js';
import { processCpuMicros } from '../harness/measure/cpu.js';
import { serviceGroup } from '../test/helpers/cli.js';

const USAGE = `usage: node dist/scripts/ab-route-on-headers.js [--rounds N]
  --rounds N   alternating rounds of the two proxies, 1 to 100 (default 6)`;
const values = scriptArgs('ab-route-on-headers', USAGE, { rounds: { type: 'string' } });
const rounds = Number(values.rounds ?? 6);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100)
  fail('ab-route-on-headers', `--rounds must be a whole number from 1 to 100, not ${values.rounds}`, USAGE);

const group = serviceGroup();
process.once('SIGINT', () => void group.stopAll().then(() => process.exit(130)));
try {
  const mock = await group.start(['mock', 'http', '--latency-ms', '0']);
  const seats = [
    { name: 'parsed', proxy: await group.start(['proxy', '--upstream', mock.url]) },
    { name: 'on headers', proxy: await group.start(['proxy', '--upstream', mock.url, '--route-on-headers']) },
  ];
  process.stdout.write('round  seat        calls/s  proxy CPU µs/call  errors\n');
  for (let round = 1; round <= rounds; round++) {
    for (const { name, proxy } of seats) {
      const url = new URL(proxy.url);
      const target = { url, pool: createTargetPool(url, 24), requestTimeoutMs: 10_000 };
      const sessions = await Promise.all(Array.from({ length: 16 }, () => StatelessHttpSession.open(target)));
      const source = new CallSource(sessions, { latencyMs: 0 }, { meta: statelessMeta('mcp-perf-load') });
      await runClosedModel({ concurrency: 16, durationMs: 1_500, source });
      const before = processCpuMicros(proxy.pid);
      const o = await runClosedModel({ concurrency: 16, durationMs: 2_500, source });
      const after = processCpuMicros(proxy.pid);
      const cpu = before === undefined || after === undefined ? NaN : (after - before) / Math.max(1, o.achieved.ok);
      const errors = o.achieved.completed - o.achieved.ok;
      process.stdout.write(
        `${String(round).padStart(5)}  ${name.padEnd(10)}  ${String(Math.round(o.achieved.rate)).padStart(7)}  ${cpu.toFixed(1).padStart(17)}  ${String(errors).padStart(6)}\n`,
      );
      await target.pool.destroy();
    }
  }
} finally {
  await group.stopAll();
}
