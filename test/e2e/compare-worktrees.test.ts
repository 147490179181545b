/**
 * `mcp-perf compare --base REF`: both sides built in directories of their own (a git worktree; the working tree
 * copied), trials alternating base and head, and everything made along the way removed — on success, on a bad ref,
 * and on Ctrl-C.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { BIN, PACKAGE_ROOT, newTag, processesWithTag, runCli, waitForNoProcesses } from '../helpers/cli.js';

const tag = newTag();
let dir: string;
const worktrees = async (): Promise<string> =>
  String((await execa('git', ['-C', PACKAGE_ROOT, 'worktree', 'list', '--porcelain'])).stdout);
const scratch = (): string[] => readdirSync(tmpdir()).filter((d) => d.startsWith('mcp-perf-compare-'));
let worktreesBefore: string;
let scratchBefore: string[];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcp-perf-cmptest-'));
  worktreesBefore = await worktrees();
  scratchBefore = scratch();
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('HEAD against the working tree: alternating trials, outputs written, worktrees and copies removed', async () => {
  const out = join(dir, 'ok');
  const r = await runCli(
    ['compare', '--base', 'HEAD', '--trials', '2', '--profile', 'smoke', 'direct-vs-proxied', '--out', out],
    { tag, timeoutMs: 240_000 },
  );
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^base: git worktree of HEAD \([0-9a-f]{10}\)$/m);
  assert.match(r.stdout, /^head: copy of the working tree$/m);
  const order = [...r.stdout.matchAll(/^trial (\d)\/2 (base|head)/gm)].map((m) => `${m[1]}${m[2]}`);
  assert.deepEqual(order, ['1base', '1head', '2base', '2head']);
  for (const side of ['base', 'head']) assert.deepEqual(await readdir(join(out, side)), ['run-01', 'run-02']);
  const json = JSON.parse(await readFile(join(out, 'compare.json'), 'utf8')) as {
    samples: { base: number; head: number };
  };
  assert.deepEqual(json.samples, { base: 2, head: 2 });
  assert.match(
    await readFile(join(out, 'compare.md'), 'utf8'),
    /^### mcp-perf: working tree vs HEAD \([0-9a-f]{10}\)$/m,
  );
  assert.equal(await worktrees(), worktreesBefore, 'the base worktree is gone');
  assert.deepEqual(scratch(), scratchBefore, 'the scratch directory is gone');
});

test('an unknown ref is a usage error, and leaves nothing behind', async () => {
  const r = await runCli(
    ['compare', '--base', 'no-such-ref-anywhere', '--trials', '2', 'direct-vs-proxied', '--out', join(dir, 'bad')],
    { tag },
  );
  assert.equal(r.code, 2);
  assert.match(r.stderr, /"no-such-ref-anywhere" is not a commit, branch or tag/);
  assert.equal(await worktrees(), worktreesBefore);
  assert.deepEqual(scratch(), scratchBefore);
});

// Interrupted while the sides build (npm and tsc running in the worktree and the copy): the hardest moment to leave
// nothing behind, and the cheapest to reach. That an interrupt during the trials ends the run in progress is
// run-interrupted-leaves-nothing's (compare runs its trials through the same `mcp-perf run`).
test('Ctrl-C while the sides build: exit 130, the builds end, worktrees and copies removed', async () => {
  const proc = execa(
    process.execPath,
    [
      BIN,
      'compare',
      '--base',
      'HEAD',
      '--trials',
      '5',
      '--profile',
      'smoke',
      'direct-vs-proxied',
      '--out',
      join(dir, 'int'),
    ],
    {
      reject: false,
      env: { MCP_PERF_TEST_TAG: tag, CI: 'true' },
      stdin: 'ignore',
    },
  );
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += String(d)));
  // Until both sides' compilers run (a tagged tsc in each side's directory), so the interrupt lands mid-build. The
  // compiler is the process whose argv holds the tsc script; the `sh -c "… && tsc …"` npm starts it from names tsc
  // too, and is not counted.
  const compilers = (): number => {
    const sides = new Set<string>();
    for (const pid of processesWithTag(tag)) {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        if (argv.some((a) => /[/\\]tsc$/.test(a))) sides.add(readlinkSync(`/proc/${pid}/cwd`));
      } catch {
        // gone between the listing and the read
      }
    }
    return sides.size;
  };
  const deadline = Date.now() + 60_000;
  while (compilers() < 2 && proc.exitCode === null && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  assert.equal(compilers(), 2, `both sides compiling when interrupted\n${out}`);
  proc.kill('SIGINT');
  const r = await proc;
  assert.equal(r.exitCode, 130, out + String(r.stderr));
  assert.match(out, /(base|head): building/);
  assert.doesNotMatch(out, /trial 1\/5/, 'it stopped before any trial');
  assert.deepEqual(await waitForNoProcesses(tag, 10_000), [], 'no npm, tsc or run left');
  assert.equal(await worktrees(), worktreesBefore);
  assert.deepEqual(scratch(), scratchBefore);
});
