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
 *   npm run build && node dist/scripts/instructions.js [--base DIR] [--calls 2000] [--rounds 1]
 *
 * Needs valgrind (Debian: apt-get install valgrind). Slow: each seat takes about a minute. Loopback only; the
 * processes it starts end with it, Ctrl-C included.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { fail, scriptArgs } from './args.js';
import { median } from '../harness/compare/stats.js';
import { commandAvailable } from '../harness/runner/children.js';

const USAGE = `usage: node dist/scripts/instructions.js [--base DIR] [--calls N] [--rounds N]
  --base DIR   a second proxy seat from another built checkout (DIR/dist), for an A/B of a change
  --calls N    calls counted in the shorter run, 500 to 100000 (default 2000; the longer counts six times as many)
  --rounds N   runs of every seat, 1 to 20 (default 1; a median is printed when more)`;
const values = scriptArgs('instructions', USAGE, {
  base: { type: 'string' },
  calls: { type: 'string' },
  rounds: { type: 'string' },
});
const calls = Number(values.calls ?? 2000);
if (!Number.isInteger(calls) || calls < 500 || calls > 100_000)
  fail('instructions', `--calls must be a whole number from 500 to 100000, not ${values.calls}`, USAGE);
const rounds = Number(values.rounds ?? 1);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20)
  fail('instructions', `--rounds must be a whole number from 1 to 20, not ${values.rounds}`, USAGE);
if (values.base !== undefined && !existsSync(join(values.base, 'dist/proxy/front/http.js')))
  fail('instructions', `--base ${values.base} holds no dist/proxy/front/http.js: give a built checkout`, USAGE);
if (!commandAvailable('valgrind'))
  fail(
    'instructions',
    'valgrind is not installed (Debian: apt-get install valgrind); it counts the instructions',
    USAGE,
  );

const BENCH = fileURLToPath(new URL('./instructions-bench.js', import.meta.url));
const HERE = fileURLToPath(new URL('..', import.meta.url));

/**
 * Instructions valgrind counted for one run of the bench. execa's `cleanup` ends valgrind with this script on every
 * way out, Ctrl-C and SIGTERM included, as the harness's children end (harness/runner/children.ts).
 */
async function count(args: readonly string[]): Promise<number> {
  const result = await execa(
    'valgrind',
    [
      '--tool=cachegrind',
      '--cache-sim=no',
      '--cachegrind-out-file=/dev/null',
      process.execPath,
      // One thread, and a garbage collector scheduled by allocation alone: under valgrind a call takes ~50 times
      // as long, and V8's time-driven collections (the memory reducer, idle-time GC) would run more often per call
      // the slower the machine is at that moment. Fixed hash and random seeds: V8 picks new ones per process, and
      // where a string lands in a hash table moves the count (with them, two runs of one build side by side read
      // 0.5M of 4.5G apart; three without them, 6M).
      '--single-threaded',
      '--predictable-gc-schedule',
      '--predictable',
      '--hash-seed=1',
      '--random-seed=1',
      BENCH,
      ...args,
    ],
    { stdin: 'ignore', stdout: 'ignore', reject: false, cleanup: true },
  );
  const stderr = String(result.stderr);
  const refs = /I\s+refs:\s+([\d,]+)/.exec(stderr);
  if (result.exitCode === 0 && refs !== null) return Number(refs[1]!.replace(/,/g, ''));
  throw new Error(
    `the bench failed under valgrind (exit ${result.exitCode ?? result.signal}):\n${stderr.slice(-2000)}`,
  );
}

/** What one more call costs in a seat: the difference of a short and a long run over their difference in calls. */
async function perCall(seatArgs: readonly string[]): Promise<number> {
  const short = await count([...seatArgs, '--calls', String(calls)]);
  const long = await count([...seatArgs, '--calls', String(calls * 6)]);
  return (long - short) / (calls * 5);
}

const seats: Array<{ name: string; args: string[] }> = [
  { name: 'direct', args: ['--seat', 'direct'] },
  { name: 'this build', args: ['--dist', HERE] },
];
if (values.base !== undefined) seats.push({ name: 'base', args: ['--dist', join(values.base, 'dist')] });
const results = new Map(seats.map((s) => [s.name, [] as number[]]));
try {
  for (let round = 1; round <= rounds; round++)
    for (const seat of seats) {
      process.stderr.write(`  round ${round}/${rounds}: ${seat.name}…\n`);
      results.get(seat.name)!.push(await perCall(seat.args));
    }
} catch (error) {
  process.stderr.write(`instructions: ${(error as Error).message}\n`);
  process.exit(1);
}
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
