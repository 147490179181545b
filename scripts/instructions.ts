/**
 * Instructions per proxied call, counted by valgrind's cachegrind: an A/B of a change to the proxy's hot path that
 * this VM's noise cannot blur. Time-based figures move by ±15% from one minute to the next here (docs/proxy.md), so a
 * change worth 2% of a call is lost in them; the instructions a call executes hardly depend on the machine's speed:
 * runs of one build read within ~1.5% of the proxy's figure of each other (the bench seat alone: within a few dozen
 * instructions). What is left follows the clock (timers such as the proxy's 1 s sweeps run more often per call the
 * slower valgrind goes): read a change below ~2% of the proxy's figure over several `--rounds`, and run nothing else
 * meanwhile.
 *
 * Each seat runs scripts/instructions-bench.ts under `valgrind --tool=cachegrind --cache-sim=no` twice, with
 * `--calls` and six times `--calls` counted calls after the same warm-up; the difference of the two totals divided by
 * the difference in calls is what one more call costs in user space (V8, Node, libuv and the JavaScript; not the
 * kernel). Seats: `direct` (the bench's clients and upstream alone), this build's proxy, and `--base DIR`'s (another
 * built checkout). The proxy's own figure is its seat's less direct's.
 *
 * `--nginx` counts against nginx too, and so in a unit that does not depend on the machine: nginx (the shootout's
 * preset config, one process: `master_process off`) and our proxy as `mcp-perf proxy` each run alone under valgrind in
 * a process of their own, the bench's clients and upstream outside it (`--seat external`); the figure is that
 * process's user-space instructions per call, the same way for a proxy in C as for ours.
 *
 *   npm run build && node dist/scripts/instructions.js [--base DIR] [--calls 2000] [--rounds 1] [--nginx]
 *
 * Needs valgrind (Debian: apt-get install valgrind). Slow: each seat takes about a minute. Loopback only; the
 * processes it starts end with it, Ctrl-C included.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { fail, scriptArgs } from './args.js';
import { median } from '../harness/compare/stats.js';
import { commandAvailable, freePort } from '../harness/runner/children.js';
import { expandWord, TARGETS } from '../scenarios/targets.js';

const USAGE = `usage: node dist/scripts/instructions.js [--base DIR] [--calls N] [--rounds N] [--nginx]
  --base DIR   a second proxy seat from another built checkout (DIR/dist), for an A/B of a change
  --calls N    calls counted in the shorter run, 500 to 100000 (default 2000; the longer counts six times as many)
  --rounds N   runs of every seat, 1 to 20 (default 1; a median is printed when more)
  --nginx      also nginx and this build's \`mcp-perf proxy\` (and --base's), each alone under valgrind in a
               process of its own, the bench outside it: instructions per call against nginx's`;
const values = scriptArgs('instructions', USAGE, {
  base: { type: 'string' },
  calls: { type: 'string' },
  rounds: { type: 'string' },
  nginx: { type: 'boolean' as const },
});
const calls = Number(values.calls ?? 2000);
if (!Number.isInteger(calls) || calls < 500 || calls > 100_000)
  fail('instructions', `--calls must be a whole number from 500 to 100000, not ${values.calls}`, USAGE);
const rounds = Number(values.rounds ?? 1);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20)
  fail('instructions', `--rounds must be a whole number from 1 to 20, not ${values.rounds}`, USAGE);
if (values.base !== undefined && !existsSync(join(values.base, 'dist/proxy/front/http.js')))
  fail('instructions', `--base ${values.base} holds no dist/proxy/front/http.js: give a built checkout`, USAGE);
if (values.nginx === true && !commandAvailable('nginx'))
  fail('instructions', `nginx is not installed (${TARGETS.nginx.install}): --nginx counts it`, USAGE);
if (!commandAvailable('valgrind'))
  fail(
    'instructions',
    'valgrind is not installed (Debian: apt-get install valgrind); it counts the instructions',
    USAGE,
  );

const BENCH = fileURLToPath(new URL('./instructions-bench.js', import.meta.url));
const HERE = fileURLToPath(new URL('..', import.meta.url));

const VALGRIND = ['--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null'];
/**
 * node's flags under valgrind. One thread, and a garbage collector scheduled by allocation alone: under valgrind a
 * call takes ~50 times as long, and V8's time-driven collections (the memory reducer, idle-time GC) would run more
 * often per call the slower the machine is at that moment. Fixed hash and random seeds: V8 picks new ones per
 * process, and where a string lands in a hash table moves the count (with them, two runs of one build side by side
 * read 0.5M of 4.5G apart; three without them, 6M).
 */
const NODE_FLAGS = [
  '--single-threaded',
  '--predictable-gc-schedule',
  '--predictable',
  '--hash-seed=1',
  '--random-seed=1',
];

/** The instructions valgrind reported in a process's stderr. */
function instructionsIn(stderr: string): number | undefined {
  const refs = /I\s+refs:\s+([\d,]+)/.exec(stderr);
  return refs === null ? undefined : Number(refs[1]!.replace(/,/g, ''));
}

/**
 * Instructions valgrind counted for one run of the bench. execa's `cleanup` ends valgrind with this script on every
 * way out, Ctrl-C and SIGTERM included, as the harness's children end (harness/runner/children.ts).
 */
async function count(args: readonly string[]): Promise<number> {
  const result = await execa('valgrind', [...VALGRIND, process.execPath, ...NODE_FLAGS, BENCH, ...args], {
    stdin: 'ignore',
    stdout: 'ignore',
    reject: false,
    cleanup: true,
  });
  const stderr = String(result.stderr);
  const refs = instructionsIn(stderr);
  if (result.exitCode === 0 && refs !== undefined) return refs;
  throw new Error(
    `the bench failed under valgrind (exit ${result.exitCode ?? result.signal}):\n${stderr.slice(-2000)}`,
  );
}

/** A proxy counted in a process of its own: its command, given its port and the upstream's, and how it is stopped. */
interface External {
  readonly name: string;
  readonly argv: (port: number, upstreamPort: number) => string[];
  readonly stop: NodeJS.Signals;
}

/** Where nginx's config goes (removed on the way out). */
const nginxDir = values.nginx === true ? mkdtempSync(join(tmpdir(), 'instructions-nginx-')) : '';
process.once('exit', () => {
  if (nginxDir !== '') rmSync(nginxDir, { recursive: true, force: true });
});
// Ctrl-C: valgrind ends with this script (execa's `cleanup`), and the exit above removes nginx's directory.
process.once('SIGINT', () => process.exit(130));

/**
 * nginx as the shootout seats it (scenarios/targets.ts), but as one process: valgrind follows the process it starts,
 * and with a master, the calls would be served by a worker it forked.
 */
const NGINX: External = {
  name: 'nginx',
  argv: (port, upstreamPort) => {
    const spec = TARGETS.nginx;
    const fill = {
      dir: nginxDir,
      host: '127.0.0.1',
      port: String(port),
      upstream_hostport: `127.0.0.1:${upstreamPort}`,
      upstream_path: '/mcp',
    };
    const conf = expandWord(spec.files['nginx.conf'], fill);
    if (!conf.includes('master_process on;'))
      throw new Error("the nginx preset's config no longer says master_process");
    writeFileSync(join(nginxDir, 'nginx.conf'), conf.replace('master_process on;', 'master_process off;'));
    return spec.argv.map((word) => expandWord(word, fill));
  },
  // A graceful stop: the worker finishes and the process exits, which is when valgrind prints its count.
  stop: 'SIGQUIT',
};

/** `mcp-perf proxy` of a built checkout, as the `proxied` preset runs it, with no health checks (see the bench). */
function ours(name: string, root: string): External {
  return {
    name,
    argv: (port, upstreamPort) => [
      process.execPath,
      ...NODE_FLAGS,
      join(root, 'bin/mcp-perf.js'),
      'proxy',
      '--upstream',
      `http://127.0.0.1:${upstreamPort}/mcp`,
      '--listen',
      `127.0.0.1:${port}`,
      '--health-interval-ms',
      '0',
    ],
    stop: 'SIGTERM',
  };
}

/**
 * One run of an external seat: the proxy alone under valgrind, the bench outside it calling through it; the proxy's
 * instructions for the run. Should the proxy end before the bench is done, its stderr is the error.
 */
async function countExternal(seat: External, n: number): Promise<number> {
  const [port, upstreamPort] = [await freePort(), await freePort()];
  const proxy = execa('valgrind', [...VALGRIND, ...seat.argv(port, upstreamPort)], {
    stdin: 'ignore',
    stdout: 'ignore',
    reject: false,
    cleanup: true,
  });
  const bench = execa(
    process.execPath,
    [
      BENCH,
      '--seat',
      'external',
      '--upstream-port',
      String(upstreamPort),
      '--via',
      `http://127.0.0.1:${port}/mcp`,
      '--calls',
      String(n),
    ],
    { stdin: 'ignore', stdout: 'ignore', reject: false, cleanup: true },
  );
  const first = await Promise.race([bench.then(() => 'bench' as const), proxy.then(() => 'proxy' as const)]);
  if (first === 'proxy') bench.kill();
  const benchResult = await bench;
  proxy.kill(seat.stop);
  // One that does not stop when asked is asked again with SIGTERM after 20 s (nginx under valgrind has sat on a
  // graceful stop for a minute, twice in two days; its fast stop still exits, and valgrind prints its count), and
  // killed after a minute (then it has no count: the error below says so).
  const nudge = seat.stop === 'SIGTERM' ? undefined : setTimeout(() => proxy.kill('SIGTERM'), 20_000);
  const stubborn = setTimeout(() => proxy.kill('SIGKILL'), 60_000);
  const proxyResult = await proxy;
  clearTimeout(nudge);
  clearTimeout(stubborn);
  const refs = instructionsIn(String(proxyResult.stderr));
  if (first === 'bench' && benchResult.exitCode === 0 && refs !== undefined) return refs;
  const ended = `exit ${proxyResult.exitCode ?? proxyResult.signal}`;
  throw new Error(
    first === 'proxy'
      ? `${seat.name} ended before the bench was done (${ended}):\n${String(proxyResult.stderr).slice(-2000)}`
      : benchResult.exitCode !== 0
        ? `the bench failed against ${seat.name} (exit ${benchResult.exitCode ?? benchResult.signal}):\n${String(benchResult.stderr).slice(-2000)}`
        : `${seat.name} gave no count: valgrind printed no summary when it was stopped (${ended}${proxyResult.signal === 'SIGKILL' ? ', killed after a minute' : ''}):\n${String(proxyResult.stderr).slice(-2000)}`,
  );
}

/** What one more call costs in a seat: the difference of a short and a long run over their difference in calls. */
async function perCall(run: (n: number) => Promise<number>): Promise<number> {
  const short = await run(calls);
  const long = await run(calls * 6);
  return (long - short) / (calls * 5);
}

const inBench = (args: string[]) => (n: number) => count([...args, '--calls', String(n)]);
const seats: Array<{ name: string; run: (n: number) => Promise<number> }> = [
  { name: 'direct', run: inBench(['--seat', 'direct']) },
  { name: 'this build', run: inBench(['--dist', HERE]) },
];
if (values.base !== undefined) seats.push({ name: 'base', run: inBench(['--dist', join(values.base, 'dist')]) });
/** The seats counted in a process of their own (--nginx): reported apart, since the bench is not in their figure. */
const externals: External[] = [];
if (values.nginx === true) {
  externals.push(NGINX, ours('this build', join(HERE, '..')));
  if (values.base !== undefined) externals.push(ours('base', values.base));
}
const results = new Map(seats.map((s) => [s.name, [] as number[]]));
const own = new Map(externals.map((s) => [s.name, [] as number[]]));
try {
  for (let round = 1; round <= rounds; round++) {
    for (const seat of seats) {
      process.stderr.write(`  round ${round}/${rounds}: ${seat.name}…\n`);
      results.get(seat.name)!.push(await perCall(seat.run));
    }
    for (const seat of externals) {
      process.stderr.write(`  round ${round}/${rounds}: ${seat.name}, a process of its own…\n`);
      own.get(seat.name)!.push(await perCall((n) => countExternal(seat, n)));
    }
  }
} catch (error) {
  // What the rounds before it counted is still printed (a round takes minutes), and the exit status says it failed.
  process.stderr.write(`instructions: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
const complete = (all: number[] | undefined): boolean => all !== undefined && all.length > 0;
if (![...results.values(), ...own.values()].every(complete)) {
  process.stderr.write('instructions: no full round was counted; nothing to print\n');
  process.exit(1);
}
if (process.exitCode === 1) process.stdout.write(`(the rounds counted before the failure)\n`);
const direct = median(results.get('direct')!);
process.stdout.write(`seat         instructions per call   the proxy's (less direct)   rounds\n`);
for (const seat of seats) {
  const all = results.get(seat.name)!;
  const m = median(all);
  const own = seat.name === 'direct' ? '—' : Math.round(m - direct).toLocaleString('en-US');
  process.stdout.write(
    `${seat.name.padEnd(12)} ${Math.round(m).toLocaleString('en-US').padStart(21)}   ${own.padStart(25)}   ${all.map((x) => Math.round(x)).join(' ')}\n`,
  );
}
if (values.base !== undefined) {
  const head = median(results.get('this build')!) - direct;
  const base = median(results.get('base')!) - direct;
  process.stdout.write(
    `this build against base: ${(((head - base) / base) * 100).toFixed(1)}% of the proxy's instructions per call\n`,
  );
}
if (externals.length > 0) {
  const nginx = median(own.get('nginx')!);
  process.stdout.write(
    `\neach alone under valgrind, the bench outside it: that process's instructions per call\n` +
      `seat         instructions per call   ÷ nginx   rounds\n`,
  );
  for (const seat of externals) {
    const all = own.get(seat.name)!;
    const m = median(all);
    process.stdout.write(
      `${seat.name.padEnd(12)} ${Math.round(m).toLocaleString('en-US').padStart(21)}   ${`${(m / nginx).toFixed(2)}×`.padStart(7)}   ${all.map((x) => Math.round(x)).join(' ')}\n`,
    );
  }
}
