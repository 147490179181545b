/** `mcp-perf compare-trust`: the A/A and injected-regression experiment behind `mcp-perf compare` (docs/compare.md). */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from '../../core/runtime/command.js';
import { COMPARE_DEFAULTS } from '../compare/analyse.js';
import { runTrustExperiment } from '../compare/trust.js';
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
import { PROFILES } from '../../scenarios/define.js';
import { SCENARIOS } from '../config/scenarios.js';
import { seatsFlag, selectSeats } from '../config/seats.js';

const TRUST_FLAGS: FlagSpecs = {
  scenario: {
    type: 'string',
    value: 'NAME',
    help: 'the scenario to run (it must measure proxied.latency.p50_us)',
    default: 'direct-vs-proxied',
  },
  profile: { type: 'string', short: 'p', value: 'NAME', help: PROFILES.join(' | '), default: 'quick' },
  seats: {
    type: 'string',
    value: 'A,B',
    help: 'run only these seats in every run, as `run --seats` does (--seats proxied: direct and\nthe proxy, no relay — a third less time a run)',
  },
  'pool-a': { type: 'string', value: 'N', help: 'plain runs', default: 20 },
  'pool-b': { type: 'string', value: 'N', help: 'injected runs', default: 10 },
  'per-side': { type: 'string', value: 'N', help: 'runs per side of each comparison', default: 10 },
  comparisons: { type: 'string', value: 'N', help: 'A/A and A/B comparisons each', default: 20 },
  'inject-pct': {
    type: 'string',
    value: 'P',
    help: "injected latency, % of the first plain run's proxied p50",
    default: 10,
  },
  seed: { type: 'string', value: 'N', help: 'seed for drawing the comparisons', default: 1 },
  alpha: { type: 'string', value: 'A', help: 'as for compare', default: COMPARE_DEFAULTS.alpha },
  'noise-floor': { type: 'string', value: 'PCT', help: 'as for compare', default: COMPARE_DEFAULTS.noiseFloorPct },
  out: {
    type: 'string',
    short: 'o',
    value: 'DIR',
    help: 'where the runs and trust.json go (default reports/compare-trust-<timestamp>)',
  },
  help: HELP_FLAG,
};

const help = wrapHelp(`Usage: mcp-perf compare-trust [options]

Shows whether \`mcp-perf compare\` can be trusted on this machine. Makes a pool of plain runs (A) and a pool of
runs whose proxy adds a known latency (B: --inject-pct of the proxied p50), interleaved; then makes
--comparisons A/A comparisons (random disjoint halves of pool A) and as many A/B comparisons. A/A must flag
nothing; A/B must flag a regression (the bar: at least 95% of them).

${renderOptions(TRUST_FLAGS)}
Exit codes: 0 the bar is met (no A/A flag, ≥ 95% of A/B detected); 99 it is not; 2 bad flags; 130 interrupted.
With the defaults it makes 30 runs: about 25 minutes of direct-vs-proxied quick.
`);

export const compareTrustCommand: Command = {
  help,
  async run(argv, io) {
    const { values, positionals } = parseFlags('compare-trust', argv, TRUST_FLAGS);
    if (values.help) {
      io.stdout.write(help);
      return ExitCode.OK;
    }
    if (positionals.length > 0) throw new ConfigError(`unexpected argument "${positionals[0]}"`);
    const scenario = String(values.scenario ?? 'direct-vs-proxied');
    if (!SCENARIOS.has(scenario))
      throw new ConfigError(`unknown scenario "${scenario}"; available: ${[...SCENARIOS.keys()].join(', ')}`);
    const seats = seatsFlag(values.seats);
    // Checked here, before the first run, with the message `run` would give.
    if (seats !== undefined) selectSeats([SCENARIOS.get(scenario)!], seats, []);
    const stamp = new Date()
      .toISOString()
      .replace(/:/g, '-')
      .replace(/\.\d+Z$/, 'Z');
    const outDir = resolve(
      io.cwd,
      typeof values.out === 'string' ? values.out : join('reports', `compare-trust-${stamp}`),
    );
    const controller = new AbortController();
    const onSignal = (signal: NodeJS.Signals): void => controller.abort(new InterruptedError(signal));
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const result = await runTrustExperiment({
        scenario,
        profile: choiceFlag('profile', values.profile, 'quick', PROFILES),
        ...(seats === undefined ? {} : { seats }),
        poolA: intFlag('pool-a', values['pool-a'], 20, 2, 1_000),
        poolB: intFlag('pool-b', values['pool-b'], 10, 1, 1_000),
        perSide: intFlag('per-side', values['per-side'], 10, 1, 500),
        comparisons: intFlag('comparisons', values.comparisons, 20, 1, 10_000),
        injectPct: numberFlag('inject-pct', values['inject-pct'], 10, 0.1, 1_000),
        seed: intFlag('seed', values.seed, 1, 0, 2 ** 32 - 1),
        compare: {
          ...COMPARE_DEFAULTS,
          alpha: numberFlag('alpha', values.alpha, COMPARE_DEFAULTS.alpha, 0.0001, 0.5),
          noiseFloorPct: numberFlag('noise-floor', values['noise-floor'], COMPARE_DEFAULTS.noiseFloorPct, 0, 1_000),
        },
        outDir,
        signal: controller.signal,
        progress: (line) => void io.stdout.write(`${line}\n`),
      });
      await mkdir(outDir, { recursive: true });
      await writeFile(join(outDir, 'trust.json'), JSON.stringify(result, null, 2) + '\n');
      const n = result.plan.comparisons;
      const needed = Math.ceil(n * 0.95);
      io.stdout.write(`\nA/A: ${n - result.aaFlagged} of ${n} comparisons flagged nothing\n`);
      for (const [i, c] of result.aa.entries())
        if (c.flagged.length > 0) io.stdout.write(`  A/A ${i + 1}: ${c.flagged.join('; ')}\n`);
      io.stdout.write(
        `A/B (+${result.plan.injectPct}%, ${result.injectedMs} ms injected): ${result.abDetected} of ${n} flagged a regression (bar: ${needed})\n`,
      );
      io.stdout.write(`written: ${join(outDir, 'trust.json')}\n`);
      return result.aaFlagged === 0 && result.abDetected >= needed ? ExitCode.OK : ExitCode.THRESHOLDS_FAILED;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
