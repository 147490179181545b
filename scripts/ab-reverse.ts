/**
 * The reverse path side by side: the HTTP mock at 0 ms reached directly, through our proxy, through the raw TCP relay
 * and through nginx (when installed), in alternating rounds. Per round and seat: calls/s of 32 closed-model clients,
 * the seat's CPU per call from /proc (its process tree; the mock's for direct), split into user and system time (the
 * system time — reads, writes, the loopback's delivery — is what every proxy pays alike), and the added p50 of an
 * open-model trial at 1,000 calls/s. Four more seats price the proxy's work per call: `framing`, the least HTTP work a
 * Node proxy can do (scripts/framing-forwarder.ts: each message found by its head and framing, forwarded as it came),
 * `+parse` with the proxy's strict head parser added, `+scan` with its JSON-RPC body check as well, `+http1` on the
 * proxy's own HTTP/1.1 server and upstream pool (request and response objects, pooled connections, heads rebuilt);
 * what the proxy costs beyond `+http1` is its stages, sessions, metrics and routing (docs/proxy.md, "The gap by
 * layer"). `--base DIR` adds a second proxy seat started from another checkout's build (DIR/bin/mcp-perf.js), for an
 * A/B of a change to the proxy.
 *
 *   npm run build && node dist/scripts/ab-reverse.js [--rounds 4] [--base /tmp/base]
 *
 * Loopback only; every process it starts is ended when it ends, Ctrl-C included.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fail, scriptArgs } from './args.js';
import { createTargetPool, McpHttpSession } from '../harness/load/mcp-session.js';
import { CallSource } from '../harness/load/outcome.js';
import { runClosedModel } from '../harness/load/closed-model.js';
import { runOpenModel } from '../harness/load/open-model.js';
import { median } from '../harness/compare/stats.js';
import { processTreeCpuMicros, processTreeUserSystemMicros } from '../harness/measure/cpu.js';
import { commandAvailable, freePort, ProcessGroup } from '../harness/runner/children.js';
import { expandArgv, expandWord, TARGETS } from '../scenarios/targets.js';

const USAGE = `usage: node dist/scripts/ab-reverse.js [--rounds N] [--base DIR]
  --rounds N   alternating rounds of every seat, 1 to 100 (default 4; 20-30 s a round)
  --base DIR   a second proxy seat from another built checkout (DIR/bin/mcp-perf.js), for an A/B of a change`;
const values = scriptArgs('ab-reverse', USAGE, { rounds: { type: 'string' }, base: { type: 'string' } });
const rounds = Number(values.rounds ?? 4);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100)
  fail('ab-reverse', `--rounds must be a whole number from 1 to 100, not ${values.rounds}`, USAGE);
if (values.base !== undefined && !existsSync(join(values.base, 'bin/mcp-perf.js')))
  fail('ab-reverse', `--base ${values.base} holds no bin/mcp-perf.js: give a built checkout`, USAGE);

const CLIENTS = 32;
/** The probe beside this script in dist/scripts/. */
const FRAMING_FORWARDER = fileURLToPath(new URL('./framing-forwarder.js', import.meta.url));
/** Connections per seat, as the comparison scenarios open (harness/runner/kinds/comparison.ts). */
const POOL = 64;
const group = new ProcessGroup();
const dir = mkdtempSync(join(tmpdir(), 'ab-reverse-'));
process.once('SIGINT', () => void group.stopAll().then(() => process.exit(130)));

/** nginx as the shootout seats it: the preset's generated config (scenarios/targets.ts). */
async function startNginx(upstream: URL): Promise<{ url: string; pid: number }> {
  const spec = TARGETS.nginx;
  const values = {
    dir,
    host: '127.0.0.1',
    port: String(await freePort()),
    upstream_hostport: upstream.host,
    upstream_path: upstream.pathname,
  };
  for (const [name, text] of Object.entries(spec.files)) writeFileSync(join(dir, name), expandWord(text, values));
  const url = expandWord(spec.url, values);
  const child = await group.spawn('nginx', expandArgv(spec.argv, values), { ready: 'port', url });
  return { url, pid: child.pid };
}

interface Seat {
  readonly name: string;
  readonly url: URL;
  readonly pid: number;
  readonly sessions: McpHttpSession[];
  readonly pool: ReturnType<typeof createTargetPool>;
}

try {
  const mock = await group.start('mock', ['mock', 'http', '--latency-ms', '0']);
  const mockUrl = new URL(mock.url);
  const started: Array<{ name: string; url: string; pid: number }> = [
    { name: 'direct', url: mock.url, pid: mock.pid },
    { ...(await group.start('proxy', ['proxy', '--upstream', mock.url])), name: 'proxy' },
  ];
  if (values.base !== undefined) {
    const base = await group.spawn(
      'base',
      [process.execPath, join(values.base, 'bin/mcp-perf.js'), 'proxy', '--upstream', mock.url],
      {
        ready: 'ready-line',
      },
    );
    started.push({ name: 'base', url: base.url, pid: base.pid });
  }
  started.push({ ...(await group.start('relay', ['relay', '--upstream', mock.url])), name: 'relay' });
  // The least HTTP work a Node proxy can do per call, then the proxy's parts added one by one (framing-forwarder.ts).
  for (const [name, layers] of [
    ['framing', ''],
    ['+parse', 'parse'],
    ['+scan', 'parse,scan'],
    ['+http1', 'http1,scan'],
  ] as const) {
    const probe = await group.spawn(
      name,
      [process.execPath, FRAMING_FORWARDER, '--upstream', mock.url, ...(layers === '' ? [] : ['--layers', layers])],
      { ready: 'ready-line' },
    );
    started.push({ name, url: probe.url, pid: probe.pid });
  }
  if (commandAvailable('nginx')) started.push({ name: 'nginx', ...(await startNginx(mockUrl)) });
  else process.stderr.write('nginx is not installed (apt-get install nginx-light): its seat is skipped\n');

  const seats: Seat[] = [];
  for (const s of started) {
    const url = new URL(s.url);
    const target = { url, pool: createTargetPool(url, POOL), requestTimeoutMs: 10_000 };
    const sessions = await Promise.all(Array.from({ length: CLIENTS }, () => McpHttpSession.open(target)));
    seats.push({ name: s.name, url, pid: s.pid, sessions, pool: target.pool });
  }
  process.stdout.write('round  seat      calls/s  CPU µs/call  user  system  p50 µs at 1000/s  errors\n');
  const totals = new Map<string, { rate: number[]; cpu: number[]; user: number[]; system: number[]; p50: number[] }>();
  for (let round = 1; round <= rounds; round++) {
    for (const seat of seats) {
      const source = new CallSource(seat.sessions, { latencyMs: 0 });
      await runClosedModel({ concurrency: CLIENTS, durationMs: 1_000, source });
      const pid = seat.name === 'direct' ? mock.pid : seat.pid;
      const before = processTreeCpuMicros(pid);
      const splitBefore = processTreeUserSystemMicros(pid);
      const closed = await runClosedModel({ concurrency: CLIENTS, durationMs: 2_500, source });
      const after = processTreeCpuMicros(pid);
      const splitAfter = processTreeUserSystemMicros(pid);
      const open = await runOpenModel({ rate: 1_000, durationMs: 2_000, maxInFlight: 1_000, source });
      const cpu =
        before === undefined || after === undefined ? NaN : (after - before) / Math.max(1, closed.achieved.ok);
      const p50 = open.histogram.getValueAtPercentile(50);
      // In clock ticks (10 ms): over a 2.5 s trial, to ~0.5 µs per call.
      const perCall = (part: 'user' | 'system'): number =>
        splitBefore === undefined || splitAfter === undefined
          ? NaN
          : (splitAfter[part] - splitBefore[part]) / Math.max(1, closed.achieved.ok);
      const user = perCall('user');
      const system = perCall('system');
      const errors = closed.achieved.completed - closed.achieved.ok + open.achieved.completed - open.achieved.ok;
      const t = totals.get(seat.name) ?? { rate: [], cpu: [], user: [], system: [], p50: [] };
      t.rate.push(closed.achieved.rate);
      t.cpu.push(cpu);
      t.user.push(user);
      t.system.push(system);
      t.p50.push(p50);
      totals.set(seat.name, t);
      process.stdout.write(
        `${String(round).padStart(5)}  ${seat.name.padEnd(7)}  ${String(Math.round(closed.achieved.rate)).padStart(7)}  ${cpu.toFixed(1).padStart(11)}  ${user.toFixed(1).padStart(4)}  ${system.toFixed(1).padStart(6)}  ${String(p50).padStart(16)}  ${String(errors).padStart(6)}\n`,
      );
    }
  }
  const direct = totals.get('direct')!;
  const nginx = totals.get('nginx');
  process.stdout.write('\nmedians    calls/s  CPU µs/call  user  system  added p50 µs  calls/s ÷ nginx\n');
  for (const [name, t] of totals) {
    const added = median(t.p50) - median(direct.p50);
    const ratio = nginx === undefined ? '' : (median(t.rate) / median(nginx.rate)).toFixed(2);
    process.stdout.write(
      `${name.padEnd(8)}  ${String(Math.round(median(t.rate))).padStart(8)}  ${median(t.cpu).toFixed(1).padStart(11)}  ${median(t.user).toFixed(1).padStart(4)}  ${median(t.system).toFixed(1).padStart(6)}  ${String(Math.round(added)).padStart(12)}  ${ratio.padStart(15)}\n`,
    );
  }
  for (const seat of seats) await seat.pool.destroy();
} catch (error) {
  process.stderr.write(`ab-reverse: ${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await group.stopAll();
  rmSync(dir, { recursive: true, force: true });
}
