/** `mcp-perf calibrate`: known answers on this machine, in under a minute (harness/calibrate/checks.ts). */
import type { Command } from '../../core/runtime/command.js';
import { ExitCode, InterruptedError } from '../../core/runtime/errors.js';
import { HELP_FLAG, parseFlags, renderOptions, type FlagSpecs, wrapHelp } from '../../core/runtime/flags.js';
import { calibrate, CHECK_KEYS, type Check, type CheckKey } from '../calibrate/checks.js';
import { ConfigError } from '../../core/runtime/errors.js';
import { table } from '../output/format.js';
import { ProcessGroup } from '../runner/children.js';

const FLAGS: FlagSpecs = {
  'mock-args': {
    type: 'string',
    value: '"FLAGS"',
    help: 'extra flags for the known-answer mocks (not the 0 ms reference), e.g. --mock-args="--latency-ms 7":\na knob deliberately wrong must make calibrate fail (that is how its own checks are tested)',
  },
  only: {
    type: 'string',
    value: 'CHECKS',
    help: `run only these checks, comma-separated: ${CHECK_KEYS.join(', ')}`,
  },
  json: { type: 'boolean', help: 'print the checks as JSON on stdout; progress goes to stderr' },
  help: HELP_FLAG,
};

const help = wrapHelp(`Usage: mcp-perf calibrate [options]

Proves the instrument on this machine in under a minute: measures what has a known answer and says how far
each measurement is from it — the timer's precision (send lateness p50/p90), this machine's speed figures (the
key of its baseline's testbed), a mock answering in 5 ms (its p50 5 ms above the same mock at 0 ms), a mock holding every call in the last 200 ms of
each second (p90 100 ms, p99 190 ms by theory), and the generator's ceiling measured by our closed model and by
autocannon's request counts (they must agree within 10%).

${renderOptions(FLAGS)}
Exit codes: 0 every known answer holds (a disagreement of the two ceilings is a warning); 99 a known answer is
off (the reason is printed); 2 bad flags; 130 interrupted. Every process it starts is ended on every path out.
`);

const MARK: Record<Check['state'], string> = { ok: '✔ ok', off: '✘ OFF', warn: '⚠ warn', info: '' };

export const calibrateCommand: Command = {
  help,
  async run(argv, io) {
    const { values } = parseFlags('calibrate', argv, FLAGS);
    if (values.help) {
      io.stdout.write(help);
      return ExitCode.OK;
    }
    const only = onlyFlag(values.only);
    const info = values.json ? io.stderr : io.stdout;
    const group = new ProcessGroup();
    const controller = new AbortController();
    const onSignal = (signal: NodeJS.Signals): void => controller.abort(new InterruptedError(signal));
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let checks: Check[];
    try {
      info.write('mcp-perf calibrate: known answers on this machine (about 25 s)\n');
      checks = await calibrate({
        group,
        signal: controller.signal,
        mockArgs: typeof values['mock-args'] === 'string' ? values['mock-args'] : '',
        ...(only === undefined ? {} : { only }),
        onCheck: (name) => info.write(`  ${name}…\n`),
      });
    } finally {
      await group.stopAll();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    if (controller.signal.aborted) throw controller.signal.reason;

    info.write(
      '\n' +
        table(
          ['check', 'measured', 'expected', 'verdict'],
          checks.map((c) => [c.name, c.measured, c.expected, MARK[c.state]]),
        ),
    );
    for (const c of checks)
      if (c.note !== undefined) info.write(`${c.state === 'off' ? '✘' : '⚠'} ${c.name}: ${c.note}\n`);
    if (values.json) io.stdout.write(JSON.stringify({ checks }, null, 2) + '\n');
    const off = checks.filter((c) => c.state === 'off');
    info.write(
      off.length === 0
        ? 'calibrated: every known answer holds on this machine\n'
        : `calibration FAILED: ${off.map((c) => c.name).join(', ')} off — do not trust this machine's figures until it holds\n`,
    );
    return off.length === 0 ? ExitCode.OK : ExitCode.THRESHOLDS_FAILED;
  },
};

function onlyFlag(value: unknown): ReadonlySet<CheckKey> | undefined {
  if (value === undefined) return undefined;
  const keys = String(value)
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  const unknown = keys.filter((k) => !(CHECK_KEYS as readonly string[]).includes(k));
  if (keys.length === 0 || unknown.length > 0)
    throw new ConfigError(`--only takes checks from ${CHECK_KEYS.join(', ')}; got "${String(value)}"`);
  return new Set(keys as CheckKey[]);
}
