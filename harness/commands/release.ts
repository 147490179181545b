/**
 * `mcp-perf release`: the sign-off. Checks first what would make a sign-off worthless (a dirty tree, a previous
 * release that cannot be read, no Chromium to print with), then runs every scenario the gates read as `mcp-perf run`
 * does (same progress, clean-up and Ctrl-C), and writes sign-off.html and sign-off.pdf beside results.json and
 * report.html. Page one holds every gate; the exit code says whether the release passed them all.
 */
import { existsSync, rmSync, statSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from '../../core/runtime/command.js';
import { ConfigError, ExitCode, InterruptedError, McpPerfError } from '../../core/runtime/errors.js';
import {
  HELP_FLAG,
  choiceFlag,
  parseFlags,
  renderOptions,
  type FlagSpecs,
  wrapHelp,
} from '../../core/runtime/flags.js';
import { PROFILES, type ProfileName } from '../../scenarios/define.js';
import { evaluateGates, GATE_SCENARIOS, signedOff, type GateRow } from '../release/gates.js';
import { readResults } from '../results/io.js';
import type { ResultsFile } from '../results/schema.js';
import { formatFigure, table } from '../output/format.js';
import { VERSION } from '../version.js';
import { git } from '../measure/environment.js';
import { runCommand } from './run.js';

export const RELEASE_FLAGS: FlagSpecs = {
  version: {
    type: 'string',
    value: 'V',
    help: 'the version being signed off, shown on every page (default: the package version)',
  },
  previous: {
    type: 'string',
    value: 'DIR|FILE',
    help: "the previous release's results.json (or its directory): page one shows the change since,\njudged as `mcp-perf compare` judges where there are trials",
  },
  profile: {
    type: 'string',
    short: 'p',
    value: 'NAME',
    help: `${PROFILES.join(' | ')}; release takes about 50 minutes (30 of them the soak), smoke seconds`,
    default: 'release',
  },
  out: {
    type: 'string',
    short: 'o',
    value: 'DIR',
    help: 'where to write results.json, report.html, sign-off.html and .pdf\n(default reports/release-<version>-<time>)',
  },
  only: {
    type: 'string',
    value: 'SCENARIOS',
    help: `a partial sign-off: only these scenarios (comma-separated), the other gates "not measured"\n(default all the gates read: ${GATE_SCENARIOS.join(', ')})`,
  },
  'allow-dirty': { type: 'boolean', help: 'sign off a tree with uncommitted changes (the pages say so)' },
  'proxy-args': {
    type: 'string',
    value: '"FLAGS"',
    help: 'extra flags for every proxy the run starts (as `mcp-perf run --proxy-args`)',
  },
  chromium: {
    type: 'string',
    value: 'PATH',
    help: 'the Chromium that prints the PDF (default $CHROMIUM_PATH, then /usr/bin/chromium …)',
  },
  'timeout-s': {
    type: 'string',
    value: 'N',
    help: 'abort after N seconds (default: twice the expected length plus a minute)',
  },
  help: HELP_FLAG,
};

const help = wrapHelp(`Usage: mcp-perf release [--version V] [--previous DIR|FILE] [--profile release] [options]

Signs a release off: runs every scenario the sign-off's gates read (${GATE_SCENARIOS.join(', ')}) in the
release profile, then writes sign-off.html and sign-off.pdf (A4, printed by Chromium) beside results.json and
report.html. Page one is the verdict: every gate from the proxy teams' plans and mcp-perf's own goals, with its
source, goal, figure, pass / fail / not measured, and the change since --previous. Then the comparison with that
release, a flame graph of the proxy under steady load with its top functions, the long runs as charts, and the
environment. Refuses, before anything starts: a tree with uncommitted changes (unless --allow-dirty), a --previous
that is missing or not an mcp-perf results file, and a machine without Chromium.

${renderOptions(RELEASE_FLAGS)}
Exit codes: 0 signed off (every gate passed); 99 a gate failed or was not measured; 2 bad flags, a dirty tree, a bad
--previous or no Chromium; 130 interrupted (nothing half-written is left); 1 anything unexpected.
`);

export const releaseCommand: Command = {
  help,
  async run(argv, io) {
    const { values } = parseFlags('release', argv, RELEASE_FLAGS);
    if (values.help) {
      io.stdout.write(help);
      return ExitCode.OK;
    }
    const profile = choiceFlag('profile', values.profile, 'release', PROFILES) as ProfileName;
    const version = typeof values.version === 'string' && values.version !== '' ? values.version : VERSION;
    if (!/^[\w.+-]+$/.test(version)) throw new ConfigError(`--version ${version}: letters, digits and . + - _ only`);
    const scenarios = onlyFlag(values.only);

    // Everything that would make the sign-off worthless is refused before a minute of load is spent.
    if (values['allow-dirty'] !== true) refuseDirtyTree(io.cwd);
    const previous =
      typeof values.previous === 'string' ? await readPrevious(resolve(io.cwd, values.previous)) : undefined;
    const { findChromium } = await import('../../reports/pdf.js');
    const chromium = findChromium(
      typeof values.chromium === 'string' ? resolve(io.cwd, values.chromium) : undefined,
      io.env,
    );

    const stamp = new Date()
      .toISOString()
      .replace(/[:.]/g, '-')
      .replace(/-\d+Z$/, 'Z');
    const outDir = resolve(
      io.cwd,
      typeof values.out === 'string' ? values.out : join('reports', `release-${version}-${stamp}`),
    );
    io.stdout.write(`mcp-perf release ${version}: profile ${profile}, scenarios ${scenarios.join(', ')} → ${outDir}\n`);
    const runArgs = [
      ...scenarios,
      '--profile',
      profile,
      '--out',
      outDir,
      ...(typeof values['proxy-args'] === 'string' ? [`--proxy-args=${values['proxy-args']}`] : []),
      ...(typeof values['timeout-s'] === 'string' ? ['--timeout-s', values['timeout-s']] : []),
    ];
    // The run's own thresholds are shown as a run shows them; the release is decided by the gates below.
    await runCommand.run(runArgs, io);

    const results = await readResults(join(outDir, 'results.json'));
    const rows = evaluateGates(results, previous?.results);
    io.stdout.write(`\n${renderGates(rows)}`);
    const tag = gitTag(io.cwd);
    const written = await writeSignOff(
      outDir,
      { results, rows, version, previous, ...(tag !== undefined ? { tag } : {}) },
      chromium,
      io,
    );
    const ok = signedOff(rows);
    io.stdout.write(
      `\n${ok ? 'SIGNED OFF' : 'NOT SIGNED OFF'}: ${rows.filter((r) => r.verdict === 'pass').length} passed, ${rows.filter((r) => r.verdict === 'fail').length} failed, ${rows.filter((r) => r.verdict === 'not measured').length} not measured\nsign-off: ${written.html}\n          ${written.pdf}\n`,
    );
    return ok ? ExitCode.OK : ExitCode.THRESHOLDS_FAILED;
  },
};

function onlyFlag(value: unknown): string[] {
  if (typeof value !== 'string') return [...GATE_SCENARIOS];
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !GATE_SCENARIOS.includes(n));
  if (names.length === 0 || unknown.length > 0)
    throw new ConfigError(
      `--only ${value}: ${unknown.length > 0 ? `no gate reads ${unknown.join(', ')}` : 'name at least one scenario'}; the gates read ${GATE_SCENARIOS.join(', ')}`,
    );
  return names;
}

function refuseDirtyTree(cwd: string): void {
  const status = git(cwd, ['status', '--porcelain', '--untracked-files=no']);
  if (status === null)
    throw new ConfigError(
      `${cwd} is not a git checkout: a sign-off records the commit it measured. Run it in the release's checkout, or give --allow-dirty`,
    );
  // Porcelain lines are "XY path"; the output is trimmed, so the first may have lost its leading space.
  const changed = status
    .split('\n')
    .filter(Boolean)
    .map((l) => l.trim().replace(/^\S+\s+/, ''));
  if (changed.length > 0)
    throw new ConfigError(
      `the tree has ${changed.length} uncommitted change(s) (${changed.slice(0, 3).join(', ')}${changed.length > 3 ? ', …' : ''}): a sign-off must measure a commit. Commit or stash them, or give --allow-dirty`,
    );
}

/** The tag on the checked-out commit, if any. */
function gitTag(cwd: string): string | undefined {
  return git(cwd, ['describe', '--tags', '--exact-match', 'HEAD']) || undefined;
}

async function readPrevious(path: string): Promise<{ path: string; results: ResultsFile }> {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'results.json') : path;
  if (!existsSync(file)) throw new ConfigError(`--previous: no results file at ${file}`);
  try {
    return { path: file, results: await readResults(file) };
  } catch (err) {
    throw new ConfigError(`--previous: ${(err as Error).message}`);
  }
}

function renderGates(rows: readonly GateRow[]): string {
  const notes: string[] = [];
  const body = table(
    ['gate', 'goal', 'measured', 'verdict'],
    rows.map((r) => {
      if (r.why !== undefined) notes.push(`  ${r.gate.title}: ${r.why}`);
      return [
        r.gate.title,
        r.gate.goal === undefined ? 'reported' : `${r.gate.goal.op} ${formatFigure(r.gate.goal.value, r.gate.unit)}`,
        r.value === null ? '—' : formatFigure(r.value, r.gate.unit),
        r.verdict === 'pass' ? '✔ pass' : r.verdict === 'fail' ? '✘ FAIL' : r.verdict,
      ];
    }),
  );
  return notes.length === 0 ? body : `${body}not measured:\n${notes.join('\n')}\n`;
}

/**
 * sign-off.html, then sign-off.pdf printed from it; each written under a temporary name and renamed when whole, so an
 * interrupted release leaves no half-written page (Ctrl-C here closes the browser and removes both).
 */
async function writeSignOff(
  outDir: string,
  input: Parameters<typeof import('../../reports/sign-off.js').renderSignOff>[0],
  chromium: string,
  io: { readonly stdout: NodeJS.WritableStream },
): Promise<{ html: string; pdf: string }> {
  const { renderSignOff, signOffTitle } = await import('../../reports/sign-off.js');
  const { printPdf } = await import('../../reports/pdf.js');
  const html = join(outDir, 'sign-off.html');
  const pdf = join(outDir, 'sign-off.pdf');
  const partial = [`${html}.partial`, `${pdf}.partial`, html, pdf];
  const removeAll = (): void => {
    for (const f of partial) rmSync(f, { force: true });
  };
  let interrupted: NodeJS.Signals | undefined;
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupted = signal;
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    io.stdout.write('printing the sign-off (Chromium)…\n');
    // The page is whole before Chromium reads it (under an .html name: Chromium takes the type from it).
    const staging = join(outDir, 'sign-off.staging.html');
    partial.push(staging);
    await writeFile(staging, renderSignOff(input));
    const env = input.results.environment;
    await printPdf(staging, `${pdf}.partial`, {
      chromium,
      title: signOffTitle(input),
      commit: `${env.gitCommit?.slice(0, 10) ?? 'unknown'}${env.gitDirty ? ' (dirty)' : ''}`,
      date: input.results.run.startedAt.slice(0, 10),
      signal: controller.signal,
    });
    if (interrupted !== undefined) throw new InterruptedError(interrupted);
    await rename(staging, html);
    await rename(`${pdf}.partial`, pdf);
    return { html, pdf };
  } catch (err) {
    removeAll();
    if (interrupted !== undefined) throw new InterruptedError(interrupted);
    if (err instanceof McpPerfError) throw err;
    throw new McpPerfError('MCP_PERF_REPORT', `the sign-off could not be written: ${(err as Error).message}`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
