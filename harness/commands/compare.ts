/**
 * `mcp-perf compare`: is head slower than base, beyond noise? Either from results already on disk
 * (`compare A B`, each a results.json or a directory of them), or by building both sides from git and running their
 * trials interleaved (`compare --base REF [--head REF] [scenario…]`). Writes compare.json, compare.md and
 * compare-junit.xml; prints the table; exits 98 when a metric regressed.
 */
import { mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from '../../core/runtime/command.js';
import { COMPARE_DEFAULTS, compareRuns, type Comparison } from '../compare/analyse.js';
import { renderCompareJUnit, renderCompareMarkdown, renderCompareTable } from '../compare/render.js';
import { runTrials } from '../compare/trials.js';
import { Workspace, type Side } from '../compare/worktrees.js';
import {
  choiceFlag,
  HELP_FLAG,
  intFlag,
  numberFlag,
  parseFlags,
  renderOptions,
  type FlagSpecs,
  wrapHelp,
} from '../../core/runtime/flags.js';
import { ConfigError, ExitCode, InterruptedError } from '../../core/runtime/errors.js';
import { readResults } from '../results/io.js';
import type { ResultsFile } from '../results/schema.js';
import { PACKAGE_ROOT } from '../version.js';
import { PROFILES } from '../../scenarios/define.js';
import { SCENARIOS } from '../config/scenarios.js';

const COMPARE_FLAGS: FlagSpecs = {
  base: { type: 'string', value: 'REF', help: 'build and run base from this git ref' },
  head: { type: 'string', value: 'REF', help: 'build and run head from this git ref (default: the working tree)' },
  trials: {
    type: 'string',
    short: 'n',
    value: 'N',
    help: 'runs per side (fewer than 5 cannot reach significance)',
    default: 10,
  },
  profile: { type: 'string', short: 'p', value: 'NAME', help: PROFILES.join(' | '), default: 'quick' },
  alpha: { type: 'string', value: 'A', help: 'significance level across the metrics', default: COMPARE_DEFAULTS.alpha },
  'noise-floor': {
    type: 'string',
    value: 'PCT',
    help: 'changes smaller than this % of base are "~"',
    default: COMPARE_DEFAULTS.noiseFloorPct,
  },
  metrics: { type: 'string', value: 'gated|all', help: 'which metrics to compare', default: 'gated' },
  metric: { type: 'string', multiple: true, value: 'NAME', help: 'compare this metric too (repeatable)' },
  'base-proxy-args': {
    type: 'string',
    value: '"FLAGS"',
    help: 'extra flags for base\'s proxies, e.g. --base-proxy-args="--inject-latency-ms 0.5"',
  },
  'head-proxy-args': {
    type: 'string',
    value: '"FLAGS"',
    help: 'the same for head (experiments: a known regression the comparison must catch)',
  },
  out: {
    type: 'string',
    short: 'o',
    value: 'DIR',
    help: 'where to write compare.json, compare.md, compare-junit.xml and the runs\n(default reports/compare-<timestamp>)',
  },
  json: { type: 'boolean', help: 'print compare.json on stdout; everything else goes to stderr' },
  help: HELP_FLAG,
};

const help = wrapHelp(`Usage: mcp-perf compare BASE HEAD [options]
       mcp-perf compare --base REF [--head REF] [scenario…] [options]

Decides, metric by metric, whether head is faster, slower or the same as base, beyond noise.

  compare BASE HEAD       from results already measured: each of BASE and HEAD is a results.json or a
                          directory holding results.json files (searched recursively); every file is one sample
  compare --base REF      builds REF (a commit, branch or tag) in a git worktree and head (--head REF, or the
                          working tree as it is, uncommitted changes included) in another, then runs the
                          scenarios (all when none is named) alternately, base head base head …, --trials times
                          each on this machine; every run is one sample

Per metric: the medians, the Hodges–Lehmann change with its 95% confidence interval, the Mann–Whitney U test,
Holm–Bonferroni across the metrics compared. A change is reported only if it is significant AND at least the
noise floor; otherwise "~". Compared: the metrics the scenarios' thresholds and goals name (--metrics all for
every metric), plus any --metric. Thresholds are judged too: absolute ones on head's median, relative ones on the
change.

${renderOptions(COMPARE_FLAGS)}
Exit codes: 0 no regression and thresholds met; 98 a metric regressed; 99 no regression but a threshold failed;
2 bad flags, refs or files; 130 interrupted (worktrees and processes are cleaned up on every path out).
`);

export const compareCommand: Command = {
  help,
  async run(argv, io) {
    const { values, positionals } = parseFlags('compare', argv, COMPARE_FLAGS, true);
    if (values.help) {
      io.stdout.write(help);
      return ExitCode.OK;
    }
    const options = {
      alpha: numberFlag('alpha', values.alpha, COMPARE_DEFAULTS.alpha, 0.0001, 0.5),
      noiseFloorPct: numberFlag('noise-floor', values['noise-floor'], COMPARE_DEFAULTS.noiseFloorPct, 0, 1_000),
      metrics: choiceFlag('metrics', values.metrics, COMPARE_DEFAULTS.metrics, ['gated', 'all'] as const),
      extraMetrics: (values.metric as string[] | undefined) ?? [],
    };
    const stamp = new Date()
      .toISOString()
      .replace(/:/g, '-')
      .replace(/\.\d+Z$/, 'Z');
    const outDir = resolve(io.cwd, typeof values.out === 'string' ? values.out : join('reports', `compare-${stamp}`));
    const info = values.json ? io.stderr : io.stdout;

    let base: ResultsFile[];
    let head: ResultsFile[];
    let title: string;
    if (values.base === undefined) {
      if (values.head !== undefined) throw new ConfigError('--head needs --base');
      for (const flag of ['trials', 'profile', 'base-proxy-args', 'head-proxy-args'] as const) {
        if (values[flag] !== undefined)
          throw new ConfigError(`--${flag} is for building and running (--base REF); comparing files takes none`);
      }
      if (positionals.length !== 2)
        throw new ConfigError(
          'give two results (files or directories): mcp-perf compare BASE HEAD — or --base REF to build and run',
        );
      base = await readSamples(resolve(io.cwd, positionals[0]!));
      head = await readSamples(resolve(io.cwd, positionals[1]!));
      title = `mcp-perf: ${positionals[1]} vs ${positionals[0]}`;
    } else {
      const scenarios = positionals.map((name) => {
        if (!SCENARIOS.has(name))
          throw new ConfigError(`unknown scenario "${name}"; available: ${[...SCENARIOS.keys()].join(', ')}`);
        return name;
      });
      const trials = intFlag('trials', values.trials, 10, 1, 1_000);
      const profile = choiceFlag('profile', values.profile, 'quick', PROFILES);
      ({ base, head, title } = await buildAndRun({
        baseRef: String(values.base),
        headRef: values.head === undefined ? undefined : String(values.head),
        scenarios,
        trials,
        profile,
        outDir,
        proxyArgs: { base: String(values['base-proxy-args'] ?? ''), head: String(values['head-proxy-args'] ?? '') },
        info,
      }));
    }

    const comparison = compareRuns(base, head, options);
    const markdown = renderCompareMarkdown(comparison, title);
    await writeOutputs(outDir, comparison, markdown);
    info.write(`\n${renderCompareTable(comparison)}`);
    info.write(`\nwritten: ${join(outDir, 'compare.json')}, compare.md, compare-junit.xml\n`);
    if (values.json) io.stdout.write(JSON.stringify(comparison, null, 2) + '\n');
    if (comparison.regressed > 0) return ExitCode.REGRESSED;
    return comparison.thresholdsFailed > 0 ? ExitCode.THRESHOLDS_FAILED : ExitCode.OK;
  },
};

/** A results.json, or every results.json under a directory (sorted, so samples keep their run order). */
async function readSamples(path: string): Promise<ResultsFile[]> {
  const s = await stat(path).catch(() => undefined);
  if (s === undefined) throw new ConfigError(`${path} does not exist`);
  if (s.isFile()) return [await readResults(path)];
  const files = (await readdir(path, { recursive: true }))
    .filter((f) => f === 'results.json' || f.endsWith('/results.json'))
    .sort();
  if (files.length === 0) throw new ConfigError(`no results.json under ${path}`);
  return Promise.all(files.map((f) => readResults(join(path, f))));
}

async function writeOutputs(outDir: string, comparison: Comparison, markdown: string): Promise<void> {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'compare.json'), JSON.stringify(comparison, null, 2) + '\n');
  await writeFile(join(outDir, 'compare.md'), markdown);
  await writeFile(join(outDir, 'compare-junit.xml'), renderCompareJUnit(comparison));
}

interface BuildAndRun {
  readonly baseRef: string;
  readonly headRef: string | undefined;
  readonly scenarios: readonly string[];
  readonly trials: number;
  readonly profile: string;
  readonly outDir: string;
  readonly proxyArgs: { readonly base: string; readonly head: string };
  readonly info: NodeJS.WritableStream;
}

async function buildAndRun(plan: BuildAndRun): Promise<{ base: ResultsFile[]; head: ResultsFile[]; title: string }> {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    plan.info.write(`\n${signal}: stopping the comparison; cleaning up worktrees and processes…\n`);
    controller.abort(new InterruptedError(signal));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const say = (line: string): void => void plan.info.write(`${line}\n`);
  const workspace = await Workspace.open(
    PACKAGE_ROOT,
    await mkdtemp(join(tmpdir(), 'mcp-perf-compare-')),
    say,
    controller.signal,
  );
  try {
    const [baseSide, headSide]: [Side, Side] = await workspace.prepare({ base: plan.baseRef, head: plan.headRef });
    say(
      `running ${plan.trials} × 2 trials (${plan.profile}: ${plan.scenarios.length > 0 ? plan.scenarios.join(', ') : 'every scenario'}), base and head alternating`,
    );
    const paths = await runTrials({
      sides: [baseSide, headSide],
      trials: plan.trials,
      scenarios: plan.scenarios,
      profile: plan.profile,
      outDir: plan.outDir,
      proxyArgs: plan.proxyArgs,
      signal: controller.signal,
      progress: say,
    });
    const label = (s: Side): string => (s.commit !== null ? `${s.label} (${s.commit.slice(0, 10)})` : s.label);
    return {
      base: await Promise.all(paths.base.map((p) => readResults(p))),
      head: await Promise.all(paths.head.map((p) => readResults(p))),
      title: `mcp-perf: ${label(headSide)} vs ${label(baseSide)}`,
    };
  } catch (err) {
    throw controller.signal.aborted ? controller.signal.reason : err;
  } finally {
    await workspace.cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
