/** Bad input at the command line gets a clear message and exit code 2, starts nothing and prints no stack trace. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { newTag, PACKAGE_ROOT, processesWithTag, runCli } from '../helpers/cli.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcp-perf-cli-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const NO_STACK = /^\s+at .+\(.*:\d+:\d+\)$/m;

function usageError(r: { code: number; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 2, `exit code 2 expected, got ${r.code}; stderr: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, NO_STACK, 'no stack trace');
}

test('every command has --help that exits 0 and names its options', async () => {
  for (const [command, option] of [
    ['run', '--profile'],
    ['report', '--out'],
    ['mock', '--latency-ms'],
    ['proxy', '--upstream-timeout-ms'],
    ['relay', '--listen'],
    ['proxy-bench', '--ms'],
  ] as const) {
    const r = await runCli([command, '--help']);
    assert.equal(r.code, 0, command);
    assert.match(r.stdout, new RegExp(`^Usage: mcp-perf ${command}`), command);
    assert.ok(r.stdout.includes(option), `${command} --help mentions ${option}`);
  }
  const top = await runCli(['--help']);
  assert.equal(top.code, 0);
  for (const c of ['run', 'report', 'mock', 'proxy', 'relay']) assert.match(top.stdout, new RegExp(`^  ${c} `, 'm'));
  const version = await runCli(['--version']);
  assert.match(version.stdout, /^\d+\.\d+\.\d+$/);
});

test('no command prints usage and exits 2; an unknown command names itself', async () => {
  const none = await runCli([]);
  assert.equal(none.code, 2);
  assert.match(none.stdout, /^Usage: mcp-perf <command>/);
  usageError(await runCli(['benchmark']), /unknown command "benchmark"/);
});

test('bad flags name the flag and say why', async () => {
  usageError(
    await runCli(['run', '--profile', 'fast']),
    /--profile must be one of smoke, quick, nightly, release, got "fast"/,
  );
  const unknown = await runCli(['run', '--frobnicate']);
  usageError(unknown, /^mcp-perf run: Unknown option '--frobnicate' \(see `mcp-perf run --help`\)$/m);
  usageError(await runCli(['run', '--timeout-s', 'soon']), /--timeout-s must be a whole number/);
  usageError(
    await runCli(['run', 'no-such-scenario']),
    /unknown scenario "no-such-scenario"; available: components, concurrency, direct-vs-proxied,/,
  );
  usageError(await runCli(['mock', 'http', '--latency-ms=-1']), /--latency-ms must be a number from 0/);
  usageError(
    await runCli(['mock', 'http', '--latency-ms', '-1']),
    /Option '--latency-ms' argument is ambiguous \(see `mcp-perf mock --help`\)/,
  );
  usageError(await runCli(['mock', 'http', '--response', 'xml']), /--response must be one of json, sse/);
  usageError(await runCli(['mock', 'ftp']), /unknown kind "ftp"; available: http, stdio, sse/);
  usageError(
    await runCli(['mock', 'stdio', '--keep-alive-ms', '500']),
    /--keep-alive-ms is for the HTTP mocks \(`mcp-perf mock http` or `sse`\)/,
  );
  usageError(await runCli(['mock', 'http', '--cross-answers', 'some']), /--cross-answers must be a whole number/);
  usageError(
    await runCli(['proxy', '--upstream', 'http://127.0.0.1:1/mcp', '--keep-alive-ms', '5']),
    /--keep-alive-ms must be a whole number from 100/,
  );
  usageError(await runCli(['proxy']), /--upstream is required/);
  usageError(await runCli(['proxy', '--upstream', 'not a url']), /--upstream is not a valid URL/);
  usageError(
    await runCli(['relay', '--upstream', 'http://127.0.0.1:1/mcp', '--listen', '127.0.0.1:99999']),
    /port 99999 is out of range/,
  );
});

test('a corrupted baseline stops the run before it starts anything, with a clear message', async () => {
  const baseline = join(dir, 'corrupt.json');
  await writeFile(baseline, '{"schema":"mcp-perf/results","schemaVersion":1,"run":');
  const tag = newTag();
  const r = await runCli(['run', '--profile', 'smoke', '--baseline', baseline, '--out', join(dir, 'out')], { tag });
  usageError(r, /baseline .*corrupt\.json is not valid JSON/);
  assert.match(r.stderr, /--update-baseline/, 'it says how to recover');
  assert.doesNotMatch(r.stdout, /started mock/, 'no process was started');
  assert.deepEqual(processesWithTag(tag), []);
});

test('a baseline that is valid JSON but not a results file is named as such', async () => {
  const baseline = join(dir, 'other.json');
  await writeFile(baseline, '{"benchmarks":[]}');
  usageError(await runCli(['run', '--baseline', baseline]), /is not an mcp-perf results file: "schema" is undefined/);
});

test('report: a missing or bad results file is a clear error', async () => {
  usageError(await runCli(['report']), /give exactly one results\.json/);
  usageError(await runCli(['report', join(dir, 'missing.json')]), /results file not found: .*missing\.json/);
  const bad = join(dir, 'bad.json');
  await writeFile(bad, 'hello');
  usageError(await runCli(['report', bad]), /is not valid JSON/);
});

test('the scripts under scripts/ have --help, and refuse a bad flag with their usage before starting anything', async () => {
  for (const [script, option, badValue] of [
    ['ab-reverse', '--base', ['--rounds', 'x']],
    ['ab-route-on-headers', '--rounds', ['--rounds', '0']],
    ['fuzz-http1', '--seed', ['--minutes', 'x']],
    ['framing-forwarder', '--layers', ['--upstream', 'http://10.0.0.1/mcp']],
    ['framing-forwarder', 'bytes', ['--upstream', 'http://127.0.0.1:9/mcp', '--layers', 'bytes,parse']],
    ['instructions', '--base', ['--calls', '5']],
    ['instructions-bench', '--seat', ['--seat', 'relay']],
    ['instructions-bench', '--via', ['--seat', 'external', '--upstream-port', '5000', '--via', 'http://10.0.0.1/mcp']],
    ['instructions', '--nginx', ['--nginx=yes']],
  ] as const) {
    const path = join(PACKAGE_ROOT, 'dist/scripts', `${script}.js`);
    const help = await execa(process.execPath, [path, '--help'], { reject: false, stdin: 'ignore' });
    assert.equal(help.exitCode, 0, script);
    assert.match(String(help.stdout), /^usage: /, script);
    assert.ok(String(help.stdout).includes(option), `${script} --help mentions ${option}`);
    for (const args of [['--bogus'], badValue]) {
      const tag = newTag();
      const bad = await execa(process.execPath, [path, ...args], {
        reject: false,
        stdin: 'ignore',
        env: { MCP_PERF_TEST_TAG: tag },
      });
      usageError({ code: bad.exitCode ?? -1, stderr: String(bad.stderr) }, new RegExp(`^${script}: .+\\nusage: `));
      assert.deepEqual(await processesWithTag(tag), [], `${script} ${args.join(' ')} started nothing`);
    }
  }
});

test('instructions --nginx: without nginx it says what to install, before starting anything', async () => {
  const tag = newTag();
  const result = await execa(process.execPath, [join(PACKAGE_ROOT, 'dist/scripts/instructions.js'), '--nginx'], {
    reject: false,
    stdin: 'ignore',
    env: { PATH: '', MCP_PERF_TEST_TAG: tag },
  });
  usageError(
    { code: result.exitCode ?? -1, stderr: String(result.stderr) },
    /^instructions: nginx is not installed \(apt-get install nginx-light/,
  );
  assert.deepEqual(await processesWithTag(tag), [], 'started nothing');
});

test('instructions: without valgrind it says what to install, before starting anything', async () => {
  const tag = newTag();
  const result = await execa(process.execPath, [join(PACKAGE_ROOT, 'dist/scripts/instructions.js')], {
    reject: false,
    stdin: 'ignore',
    env: { PATH: '', MCP_PERF_TEST_TAG: tag },
  });
  usageError(
    { code: result.exitCode ?? -1, stderr: String(result.stderr) },
    /^instructions: valgrind is not installed/,
  );
  assert.deepEqual(await processesWithTag(tag), [], 'started nothing');
});
