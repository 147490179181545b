/** `mcp-perf report <results.json>`: re-render report.html from a results file alone. */
import { dirname, join, resolve } from 'node:path';
import type { Command } from '../../core/runtime/command.js';
import { HELP_FLAG, parseFlags, renderOptions, type FlagSpecs, wrapHelp } from '../../core/runtime/flags.js';
import { ConfigError, ExitCode } from '../../core/runtime/errors.js';
import { readResults } from '../results/io.js';

const REPORT_FLAGS: FlagSpecs = {
  out: {
    type: 'string',
    short: 'o',
    value: 'FILE',
    help: 'where to write the report (default: report.html next to results.json)',
  },
  help: HELP_FLAG,
};

const help = wrapHelp(`Usage: mcp-perf report <results.json> [--out FILE]

Renders the self-contained HTML report (charts, summary, baseline diff, environment) from a results file
alone. By default it writes report.html beside the results file.

${renderOptions(REPORT_FLAGS)}`);

export const reportCommand: Command = {
  help,
  async run(argv, io) {
    const { values, positionals } = parseFlags('report', argv, REPORT_FLAGS, true);
    if (values.help) {
      io.stdout.write(help);
      return ExitCode.OK;
    }
    if (positionals.length !== 1) throw new ConfigError('give exactly one results.json (see `mcp-perf report --help`)');
    const input = resolve(io.cwd, positionals[0]!);
    const results = await readResults(input);
    const { writeReport } = await import('../../reports/render.js');
    const out = typeof values.out === 'string' ? resolve(io.cwd, values.out) : join(dirname(input), 'report.html');
    io.stdout.write(`${await writeReport(results, out)}\n`);
    return ExitCode.OK;
  },
};
