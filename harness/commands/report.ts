/** `mcp-perf report <results.json>`: re-render report.html from a results file alone. */
import { dirname, join, resolve } from 'node:path';
import type { Command } from '../command.js';
import { parseFlags } from '../config/flags.js';
import { ConfigError, ExitCode } from '../errors.js';
import { readResults } from '../results/io.js';

const help = `Usage: mcp-perf report <results.json> [--out FILE]

Renders the self-contained HTML report (charts, summary, baseline diff, environment) from a results file
alone. By default it writes report.html beside the results file.

Options:
  -o, --out FILE   where to write the report (default: report.html next to results.json)
  -h, --help       this text
`;

export const reportCommand: Command = {
  name: 'report',
  summary: 'render report.html from a results.json',
  help,
  async run(argv, io) {
    const { values, positionals } = parseFlags('report', argv, { out: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } }, true);
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
