/**
 * `mcp-perf release` refuses what would make a sign-off worthless before any load starts, each with a clear
 * message and exit 2: a tree with uncommitted changes, a directory that is no checkout, a --previous that is missing
 * or not an mcp-perf results file, a scenario no gate reads, a browser that is not there.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../helpers/cli.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcp-perf-release-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8' });

test('a tree with uncommitted changes is refused unless --allow-dirty, and nothing is written', async () => {
  const repo = join(dir, 'repo');
  await rm(repo, { recursive: true, force: true });
  execFileSync('mkdir', ['-p', repo]);
  git(repo, 'init', '-q');
  await writeFile(join(repo, 'a.txt'), 'one\n');
  git(repo, 'add', 'a.txt');
  git(repo, 'commit', '-qm', 'one');
  await writeFile(join(repo, 'a.txt'), 'two\n');
  const out = join(dir, 'dirty-out');
  const r = await runCli(['release', '--profile', 'smoke', '--out', out], { cwd: repo });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /the tree has 1 uncommitted change\(s\) \(a\.txt\).*--allow-dirty/);
  assert.equal(existsSync(out), false, 'no load, no output');
});

test('a directory that is not a git checkout is refused: the sign-off records a commit', async () => {
  const plain = await mkdtemp(join(tmpdir(), 'mcp-perf-release-plain-'));
  try {
    const r = await runCli(['release', '--profile', 'smoke'], { cwd: plain });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /is not a git checkout/);
  } finally {
    await rm(plain, { recursive: true, force: true });
  }
});

test('a missing --previous and one that is not an mcp-perf results file are refused', async () => {
  const missing = await runCli(['release', '--allow-dirty', '--previous', join(dir, 'nowhere')]);
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /--previous: no results file at .*nowhere/);

  const other = join(dir, 'other.json');
  await writeFile(other, JSON.stringify({ schema: 'someone-else/results', schemaVersion: 1 }));
  const wrong = await runCli(['release', '--allow-dirty', '--previous', other]);
  assert.equal(wrong.code, 2, wrong.stderr);
  assert.match(wrong.stderr, /--previous: .*other\.json/);
});

test('a scenario no gate reads, and a browser that is not there, are refused', async () => {
  const only = await runCli(['release', '--allow-dirty', '--only', 'shootout']);
  assert.equal(only.code, 2, only.stderr);
  assert.match(only.stderr, /--only shootout: no gate reads shootout; the gates read components, /);

  const browser = await runCli(['release', '--allow-dirty', '--chromium', join(dir, 'no-such-chromium')]);
  assert.equal(browser.code, 2, browser.stderr);
  assert.match(browser.stderr, /no browser at --chromium .*no-such-chromium/);
});

test('--help says what a release runs, writes and refuses, from the flag specs', async () => {
  const r = await runCli(['release', '--help']);
  assert.equal(r.code, 0);
  for (const flag of ['--version V', '--previous DIR|FILE', '--allow-dirty', '--only SCENARIOS', '--chromium PATH'])
    assert.ok(r.stdout.includes(flag), flag);
  assert.match(r.stdout, /sign-off\.html and sign-off\.pdf/);
});
