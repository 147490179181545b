/**
 * Every path out of a run ends every process it started: Ctrl-C, SIGTERM, the watchdog, even SIGKILL of the runner;
 * and an interrupted release leaves no process and no sign-off, whole or half-written.
 */
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readResults } from '../../harness/results/io.js';
import { BIN, newTag, processesWithTag, runCli, waitForNoProcesses } from '../helpers/cli.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcp-perf-interrupt-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Starts a quick run and resolves once its processes are up and load is flowing (or `until` shows in its output). */
async function startRun(tag: string, out: string, until = /warm-up +direct/, seats?: string) {
  const args = [BIN, 'run', 'direct-vs-proxied', '--profile', 'quick', '--out', out];
  const proc = execa(process.execPath, seats === undefined ? args : [...args, '--seats', seats], {
    reject: false,
    buffer: true,
    stdin: 'ignore',
    env: { MCP_PERF_TEST_TAG: tag, CI: 'true' },
  });
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    proc.stdout?.on('data', (d: Buffer) => {
      seen += String(d);
      if (until.test(seen)) resolve();
    });
    void proc.then(() => reject(new Error(`run ended before load started: ${seen}`)));
  });
  if (seats === undefined)
    assert.ok(processesWithTag(tag).length >= 4, 'the runner and its mock, proxy and relay are running');
  else assert.ok(processesWithTag(tag).length >= 3, 'the runner and its mock and proxy are running');
  return { proc }; // wrapped: an async function returning the execa promise itself would wait for it to finish
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} stops the run with exit 130 and ends every child`, async () => {
    const tag = newTag();
    const { proc } = await startRun(tag, join(dir, signal));
    proc.kill(signal);
    const result = await proc;
    assert.equal(result.exitCode, 130, String(result.stderr));
    assert.match(String(result.stdout), new RegExp(`${signal}: stopping the run`));
    assert.match(String(result.stderr), new RegExp(`interrupted by ${signal}`));
    assert.deepEqual(await waitForNoProcesses(tag, 2_000), []);
    // Nothing lost: what completed (here: nothing) is written, marked interrupted.
    const partial = await readResults(join(dir, signal, 'results.json'));
    assert.equal(partial.run.interrupted, true);
  });
}

test('SIGINT after a whole round of trials keeps that round, flagged partial; a trial cut short is not kept', async () => {
  const tag = newTag();
  const out = join(dir, 'partial');
  // Two seats (the relay left out): a trial's line is printed when it ends, so round one is whole at this one.
  const { proc } = await startRun(tag, out, /latency 1\/3 +proxied/, 'proxied');
  proc.kill('SIGINT');
  const result = await proc;
  assert.equal(result.exitCode, 130, String(result.stderr));
  assert.match(String(result.stdout), /partial results \(0 completed scenario\(s\), 1 cut short\)/);
  assert.match(String(result.stdout), /^direct-vs-proxied \(quick, PARTIAL: interrupted\)/m);
  const partial = await readResults(join(out, 'results.json'));
  assert.equal(partial.run.interrupted, true);
  const s = partial.scenarios[0]!;
  assert.ok(s.state === 'completed' && s.partial === true, 'the scenario in progress is kept, flagged partial');
  const latencyTrials = s.trials.filter((t) => t.phase === 'latency');
  assert.ok(
    latencyTrials.length % 2 === 0 && latencyTrials.length >= 2,
    `whole rounds only: ${latencyTrials.length} trials`,
  );
  assert.ok(s.metrics['proxied.added.p50_us'] !== undefined, 'the latency figures of the kept round');
  if (!s.trials.some((t) => t.phase === 'throughput'))
    assert.equal(s.metrics['proxied.throughput_rps'], undefined, 'no throughput figure without a throughput trial');
  assert.match(s.warnings[0] ?? '', /^interrupted after [\d.]+ s: these figures cover only what had completed/);
  assert.deepEqual(await waitForNoProcesses(tag, 2_000), []);
});

test('a runner killed with SIGKILL still leaves no children: they exit when their stdin pipe closes', async () => {
  const tag = newTag();
  const { proc } = await startRun(tag, join(dir, 'kill'));
  proc.kill('SIGKILL');
  await proc;
  assert.deepEqual(await waitForNoProcesses(tag, 5_000), []);
});

test('the watchdog (--timeout-s) stops an over-long run, ends every child and says why', async () => {
  const tag = newTag();
  const r = await runCli(['run', '--profile', 'quick', '--timeout-s', '3', '--out', join(dir, 'timeout')], { tag });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /exceeded its time limit of 3 s/);
  assert.deepEqual(await waitForNoProcesses(tag, 2_000), []);
});

/** Starts a smoke release of one scenario and sends SIGINT once `when` shows in its output. */
async function interruptRelease(tag: string, out: string, when: RegExp) {
  const proc = execa(
    process.execPath,
    [BIN, 'release', '--profile', 'smoke', '--only', 'components', '--allow-dirty', '--out', out],
    { reject: false, buffer: true, stdin: 'ignore', env: { MCP_PERF_TEST_TAG: tag, CI: 'true' } },
  );
  let seen = '';
  proc.stdout?.on('data', (d: Buffer) => {
    seen += String(d);
    if (when.test(seen)) {
      when = /$^/; // once
      proc.kill('SIGINT');
    }
  });
  return proc;
}

for (const [phase, when] of [
  ['while it measures', /▶ components/],
  ['while Chromium prints the PDF', /printing the sign-off/],
] as const) {
  test(`a release interrupted ${phase} exits 130 and leaves no process and no sign-off, whole or half`, async () => {
    const tag = newTag();
    const out = join(dir, `release-${phase.length}`);
    const result = await interruptRelease(tag, out, when);
    assert.equal(result.exitCode, 130, `${String(result.stdout).slice(-800)}\n${String(result.stderr)}`);
    assert.match(String(result.stderr), /interrupted by SIGINT/);
    const left = existsSync(out) ? (await readdir(out)).filter((f) => f.startsWith('sign-off')) : [];
    assert.deepEqual(left, [], 'no sign-off file, whole or partial');
    assert.deepEqual(await waitForNoProcesses(tag, 3_000), [], 'no mock, proxy or browser left');
  });
}
