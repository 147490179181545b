/** `mcp-perf run`: measure, write results.json, diff against the baseline, render the report, choose the exit code. */
import { join } from 'node:path';
import type { Command } from '../../core/runtime/command.js';
import { diffAgainstBaseline } from '../baseline/diff.js';
import { readRunConfig, RUN_FLAGS } from '../config/run-config.js';
import { renderOptions, wrapHelp } from '../../core/runtime/flags.js';
import { ConfigError, ExitCode, InterruptedError, McpPerfError, ResultsFileError } from '../../core/runtime/errors.js';
import { createProgress } from '../output/progress.js';
import { renderDiff, renderSummary } from '../output/summary.js';
import { writeResults } from '../results/io.js';
import {
  describe,
  findTestbed,
  readBaselineStore,
  withTestbed,
  writeBaselineStore,
  type BaselineStore,
} from '../baseline/store.js';
import type { BaselineComparison, ResultsFile } from '../results/schema.js';
import { ProcessGroup } from '../runner/children.js';
import { runScenarios } from '../runner/run.js';
import { TARGETS } from '../../scenarios/targets.js';
import { kindOf } from '../runner/kinds.js';
import { SCENARIOS } from '../config/scenarios.js';

const help = wrapHelp(`Usage: mcp-perf run [scenario…] [options]

Runs scenarios (all of them when none is named, but for those that run only when named: ${[...SCENARIOS.values()]
  .filter((s) => s.onlyWhenNamed === true)
  .map((s) => s.name)
  .join(', ')}), writes results.json and report.html, and diffs the
run against the baseline, printing metric / baseline / now / delta / verdict.

Scenarios: ${[...SCENARIOS.keys()].join(', ')}

${renderOptions(RUN_FLAGS)}
Exit codes: 0 all thresholds passed; 99 a threshold failed or a scenario failed; 2 bad flags or a bad
baseline file; 130 interrupted (Ctrl-C / SIGTERM); 1 anything unexpected.
Every process the run starts is ended on every path out, including Ctrl-C and the timeout.
`);

export const runCommand: Command = {
  help,
  async run(argv, io) {
    const config = await readRunConfig(argv, io.cwd);
    if (config.help) {
      io.stdout.write(help);
      return ExitCode.OK;
    }
    // Read the baseline before measuring: a corrupted one is a clear error now, not after a minute of load.
    const { store, unavailable } = await loadBaseline(config.baselinePath, config.updateBaseline);

    const info = config.json ? io.stderr : io.stdout;
    // Targets from --target join the table; each takes the seat of its name, or a new one in every comparison.
    const targets = { ...TARGETS, ...config.targets };
    const scenarios = config.scenarios.map((s) =>
      s.kind === 'comparison' || s.kind === 'shootout'
        ? { ...s, targets: [...s.targets, ...Object.keys(config.targets).filter((t) => !s.targets.includes(t))] }
        : s,
    );
    // Every scenario's kind is found and its data checked before anything starts.
    let expectedMs = 0;
    for (const scenario of scenarios) {
      const kind = await kindOf(scenario);
      try {
        kind.check?.(scenario, targets);
      } catch (err) {
        throw new ConfigError((err as Error).message);
      }
      expectedMs += kind.estimateMs(scenario, config.profile);
    }
    const timeoutMs = config.timeoutMs > 0 ? config.timeoutMs : expectedMs * 2 + 60_000;
    const progress = createProgress(info, Boolean((info as { isTTY?: boolean }).isTTY) && !io.env.CI, expectedMs);
    const group = new ProcessGroup({ proxyArgs: config.proxyArgs });
    const controller = new AbortController();

    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      signals++;
      if (signals === 1) {
        info.write(`\n${signal}: stopping the run and its processes (again to force)…\n`);
        controller.abort(new InterruptedError(signal));
      } else {
        group.killAllNow();
        process.exit(ExitCode.INTERRUPTED);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const watchdog = setTimeout(() => {
      controller.abort(
        new McpPerfError(
          'MCP_PERF_TIMEOUT',
          `the run exceeded its time limit of ${Math.round(timeoutMs / 1000)} s and was stopped`,
        ),
      );
    }, timeoutMs);
    watchdog.unref();

    let results: ResultsFile;
    try {
      if (config.configPath !== undefined) info.write(`config: ${config.configPath}\n`);
      info.write(
        `mcp-perf run: ${scenarios.map((s) => s.name).join(', ')} — profile ${config.profile}, about ${Math.round(expectedMs / 1000)} s\n`,
      );
      results = await runScenarios({
        scenarios,
        targets,
        // Without a baseline to find or write, or a history to keep, nothing reads them.
        measureSpeed: store !== undefined || config.updateBaseline || config.historyDir !== undefined,
        profile: config.profile,
        cwd: io.cwd,
        group,
        signal: controller.signal,
        emit: progress.sink,
      });
    } finally {
      progress.stop();
      clearTimeout(watchdog);
      await group.stopAll();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }

    const resultsPath = join(config.outDir, 'results.json');
    if (results.run.interrupted) {
      await writeResults(resultsPath, results);
      const partial = results.scenarios.filter((s) => s.state === 'completed' && s.partial === true).length;
      if (results.scenarios.length > 0) info.write(renderSummary(results));
      info.write(
        `partial results (${results.scenarios.length - partial} completed scenario(s), ${partial} cut short) written to ${resultsPath}\n`,
      );
      throw controller.signal.reason instanceof McpPerfError ? controller.signal.reason : new InterruptedError('abort');
    }

    // Absolute figures compare only with this machine's own baseline (its testbed); without one, relative
    // thresholds are skipped and same-run ones still decide.
    const found = store === undefined ? undefined : findTestbed(store, results.environment);
    const diff: BaselineComparison =
      found?.baseline == null
        ? {
            ...diffAgainstBaseline(results, null, config.baselinePath, found?.why),
            unavailable:
              unavailable ??
              `no baseline for this machine yet: \`npx mcp-perf run --update-baseline\` records one; relative thresholds are skipped, same-run ones still gate (${found?.why ?? 'no baseline file'})`,
          }
        : diffAgainstBaseline(results, found.baseline, config.baselinePath, found.why);
    results = { ...results, baseline: diff };
    await writeResults(resultsPath, results);

    let reportPath: string | undefined;
    if (config.report) {
      const { writeReport } = await import('../../reports/render.js');
      reportPath = await writeReport(results, join(config.outDir, 'report.html'));
    }

    info.write(renderSummary(results));
    info.write(renderDiff(diff));
    if (diff.unavailable !== undefined) info.write(renderDiff({ ...diff, unavailable: undefined }));
    info.write(`\nresults: ${resultsPath}\n${reportPath !== undefined ? `report:  ${reportPath}\n` : ''}`);
    if (config.json) io.stdout.write(JSON.stringify(results, null, 2) + '\n');

    if (config.historyDir !== undefined) {
      const stamp = results.run.startedAt.replace(/[:.]/g, '-');
      const file = join(
        config.historyDir,
        `${stamp}-${results.environment.gitCommit?.slice(0, 10) ?? 'nocommit'}.json`,
      );
      await writeResults(file, results);
      info.write(`history: ${file}\n`);
    }

    let failed = diff.failed;
    if (config.updateBaseline) failed = await updateBaseline(results, store, config.baselinePath, info);
    return failed === 0 ? ExitCode.OK : ExitCode.THRESHOLDS_FAILED;
  },
};

async function loadBaseline(
  path: string,
  replacing: boolean,
): Promise<{ store: BaselineStore | undefined; unavailable?: string }> {
  try {
    const store = await readBaselineStore(path);
    if (store !== undefined) return { store };
    return {
      store: undefined,
      unavailable: `no baseline at ${path}; relative thresholds are skipped. Create one with \`mcp-perf run --update-baseline\`.`,
    };
  } catch (err) {
    if (!(err instanceof ResultsFileError)) throw err;
    if (replacing) return { store: undefined, unavailable: `${err.message} — it will be replaced` };
    throw new ResultsFileError(
      'MCP_PERF_BASELINE_INVALID',
      `${err.message}\nFix or restore it (git checkout ${path}), point --baseline elsewhere, or rewrite it with --update-baseline.`,
    );
  }
}

/**
 * Records the run as this machine's baseline (its testbed's entry replaced, other machines' kept); returns the
 * failures left when relative thresholds compare the run with itself.
 */
async function updateBaseline(
  results: ResultsFile,
  store: BaselineStore | undefined,
  path: string,
  info: NodeJS.WritableStream,
): Promise<number> {
  const failedScenarios = results.scenarios.filter((s) => s.state === 'failed').map((s) => s.name);
  if (failedScenarios.length > 0) {
    throw new McpPerfError(
      'MCP_PERF_BASELINE_INVALID',
      `not updating the baseline: scenario(s) ${failedScenarios.join(', ')} failed`,
      { exitCode: ExitCode.THRESHOLDS_FAILED },
    );
  }
  const next = withTestbed(store, results);
  await writeBaselineStore(path, next);
  const self = diffAgainstBaseline(results, results, path);
  info.write(
    `baseline updated for this machine (${describe(results.environment)}; ${next.testbeds.length} testbed(s) in the file): ${path}${self.failed > 0 ? ` (${self.failed} absolute threshold(s) fail even so)` : ''}\n`,
  );
  return self.failed;
}
