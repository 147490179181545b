/**
 * `mcp-perf trend DIR`: the history a nightly job keeps (`mcp-perf run --history DIR` writes one results file per
 * run there) drawn as one page — every gated metric over the runs, with its noise band and the changes
 * `mcp-perf compare` found (compare.json files anywhere under DIR).
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from '../../core/runtime/command.js';
import { ConfigError, ExitCode } from '../../core/runtime/errors.js';
import { HELP_FLAG, parseFlags, renderOptions, type FlagSpecs, wrapHelp } from '../../core/runtime/flags.js';
import { readResults } from '../results/io.js';
import type { ResultsFile } from '../results/schema.js';
import type { Comparison } from '../compare/analyse.js';

const FLAGS: FlagSpecs = {
  out: { type: 'string', short: 'o', value: 'FILE', help: 'where to write the page (default DIR/trend.html)' },
  help: HELP_FLAG,
};

const help = wrapHelp(`Usage: mcp-perf trend DIR [--out FILE]

Draws the history in DIR as one self-contained HTML page: each metric a threshold or goal names over the runs (oldest first, labelled
by commit and date), with its noise band, the runs that failed a threshold, and the commits where
\`mcp-perf compare\` found a change (compare.json files under DIR). DIR is what \`mcp-perf run --history DIR\`
fills: one results file per run.

${renderOptions(FLAGS)}
Exit codes: 0 written; 2 DIR missing, empty or holding a file that is not an mcp-perf results file.
`);

export const trendCommand: Command = {
  help,
  async run(argv, io) {
    const { values, positionals } = parseFlags('trend', argv, FLAGS, true);
    if (values.help) {
      io.stdout.write(help);
      return ExitCode.OK;
    }
    if (positionals.length !== 1)
      throw new ConfigError('give exactly one history directory (see `mcp-perf trend --help`)');
    const dir = resolve(io.cwd, positionals[0]!);
    let names: string[];
    try {
      names = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
    } catch {
      throw new ConfigError(`history directory not found: ${dir}`);
    }
    const runs: ResultsFile[] = [];
    for (const name of names) {
      try {
        runs.push(await readResults(join(dir, name)));
      } catch (err) {
        throw new ConfigError((err as Error).message);
      }
    }
    if (runs.length === 0)
      throw new ConfigError(`no results files in ${dir}: fill it with \`mcp-perf run --history ${positionals[0]}\``);
    const findings = await compareFindings(dir);
    const { renderTrend } = await import('../../reports/trend.js');
    const out = typeof values.out === 'string' ? resolve(io.cwd, values.out) : join(dir, 'trend.html');
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, renderTrend(runs, findings));
    io.stdout.write(`${out} (${runs.length} runs)\n`);
    return ExitCode.OK;
  },
};

/** Every change a compare.json under `dir` reports, at its head commit (from the head runs beside it). */
async function compareFindings(dir: string): Promise<import('../../reports/trend.js').CompareFinding[]> {
  const found: import('../../reports/trend.js').CompareFinding[] = [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (!e.isFile() || e.name !== 'compare.json') continue;
    const at = e.parentPath ?? (e as unknown as { path: string }).path;
    try {
      const comparison = JSON.parse(await readFile(join(at, e.name), 'utf8')) as Comparison;
      const head = await readResults(join(at, 'head', 'run-01', 'results.json'));
      const commit = head.environment.gitCommit;
      if (commit === null) continue;
      for (const row of comparison.rows)
        if (row.verdict !== '~')
          found.push({
            commit,
            scenario: row.scenario,
            metric: row.metric,
            verdict: row.verdict,
            changePct: row.changePct,
          });
    } catch {
      // a compare directory without its runs: nothing to place on the time line
    }
  }
  return found;
}
