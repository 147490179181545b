/** Help is generated from the flag specs: every flag a command parses is in its --help, with its default. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFlags, renderOptions, type FlagSpecs } from '../../core/runtime/flags.js';
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
      '      --json    print JSON',
      '                and nothing else',
      '',
    ].join('\n'),
  );
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
