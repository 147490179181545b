/** Help is generated from the flag specs: every flag a command parses is in its --help, with its default. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HELP_WIDTH, parseFlags, renderOptions, wrapHelp, type FlagSpecs } from '../../core/runtime/flags.js';
import { runCli } from '../../harness/cli.js';
import { ConfigError } from '../../core/runtime/errors.js';
import { RUN_FLAGS } from '../../harness/config/run-config.js';
import { PROXY_FLAGS } from '../../proxy/config.js';
import { proxyCommand } from '../../proxy/main.js';
import { runCommand } from '../../harness/commands/run.js';

test('renderOptions lists each flag once, with its short form, value, help and default', () => {
  const specs: FlagSpecs = {
    rate: { type: 'string', short: 'r', value: 'N', help: 'requests per second', default: 1000 },
    json: { type: 'boolean', help: 'print JSON\nand nothing else' },
  };
  assert.equal(
    renderOptions(specs),
    [
      'Options:',
      '  -r, --rate N  requests per second (default 1000)',
      '      --json    print JSON and nothing else',
      '',
    ].join('\n'),
  );
});

test('help fits a terminal: a long flag help wraps under its column, with its default whole', () => {
  const long = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
  const text = renderOptions({
    rate: { type: 'string', value: 'N', help: long, default: 'twice the length of the run plus a minute or so' },
  });
  const lines = text.split('\n').slice(1, -1);
  assert.ok(lines.length >= 3, text);
  assert.ok(
    lines.every((l) => l.length <= HELP_WIDTH),
    text,
  );
  assert.ok(
    lines
      .slice(1)
      .every((l) => l.startsWith(' '.repeat('      --rate N'.length + 2) + 'word') || l.includes('(default')),
  );
  assert.ok(text.includes('(default twice the length of the run plus a minute or so)'), 'the default on one line');
  assert.equal(text.replace(/\s+/g, ' ').includes(long), true, 'every word kept, in order');
  // Prose: lines that fit are left as written; one that does not is broken at spaces, keeping its indent.
  assert.equal(wrapHelp('short\n  kept'), 'short\n  kept');
  const wrapped = wrapHelp(`  ${long}`, 60).split('\n');
  assert.ok(wrapped.length > 1 && wrapped.every((l) => l.length <= 60 && l.startsWith('  word')), wrapped.join('\n'));
});

test("every command's --help fits in 120 columns", async () => {
  for (const command of [
    'run',
    'compare',
    'compare-trust',
    'calibrate',
    'release',
    'trend',
    'report',
    'mock',
    'proxy',
    'proxy-bench',
    'relay',
  ]) {
    let out = '';
    const io = {
      stdout: { write: (s: string) => ((out += s), true) },
      stderr: { write: () => true },
      cwd: process.cwd(),
      env: process.env,
    };
    await runCli([command, '--help'], io as never);
    const wide = out.split('\n').filter((l) => l.length > HELP_WIDTH);
    assert.deepEqual(wide, [], `mcp-perf ${command} --help`);
  }
});

test('parseFlags reads what the specs declare and refuses the rest with a ConfigError naming the command', () => {
  const specs: FlagSpecs = { rate: { type: 'string', short: 'r', help: 'x' }, all: { type: 'boolean', help: 'y' } };
  assert.deepEqual({ ...parseFlags('t', ['-r', '5', '--all'], specs).values }, { rate: '5', all: true });
  assert.throws(
    () => parseFlags('t', ['--nope'], specs),
    (err: unknown) => err instanceof ConfigError && /see `mcp-perf t --help`/.test(err.message),
  );
});

test('every flag of run and proxy is in its --help text', () => {
  for (const [specs, help] of [
    [RUN_FLAGS, runCommand.help],
    [PROXY_FLAGS, proxyCommand.help],
  ] as const) {
    for (const [name, spec] of Object.entries(specs)) {
      assert.ok(help.includes(`--${name}`), `--${name} in help`);
      if (spec.default !== undefined)
        assert.ok(help.includes(`(default ${spec.default})`), `--${name}'s default in help`);
    }
  }
});
