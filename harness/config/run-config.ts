/** `mcp-perf run` configuration: defaults in one frozen place, validated once at the edge. */
import { isAbsolute, join, resolve } from 'node:path';
import { PROFILES, type ProfileName, type Scenario } from '../../scenarios/define.js';
import { SCENARIOS } from '../../scenarios/index.js';
import { ConfigError } from '../errors.js';
import { PACKAGE_ROOT } from '../version.js';
import { choiceFlag, intFlag, parseFlags, type OptionSpec } from './flags.js';

export interface RunConfig {
  readonly scenarios: readonly Scenario[];
  readonly profile: ProfileName;
  /** Directory for results.json and report.html. */
  readonly outDir: string;
  /** Print the results JSON on stdout (progress goes to stderr). */
  readonly json: boolean;
  readonly baselinePath: string;
  readonly updateBaseline: boolean;
  readonly report: boolean;
  /** Hard limit for the whole run; 0 means derive it from the scenarios' expected length. */
  readonly timeoutMs: number;
  /** Extra flags for every `mcp-perf proxy` the run starts (experiments: an injected latency, a different limit). */
  readonly proxyArgs: readonly string[];
  readonly help: boolean;
}

export const RUN_DEFAULTS = Object.freeze({
  /** @default 'quick' — a first run of every scenario takes under 3 minutes. */
  profile: 'quick' as ProfileName,
  /** @default reports/<timestamp> under the current directory */
  outRoot: 'reports',
  /** @default baseline/measurements.json in the mcp-perf package */
  baselinePath: join(PACKAGE_ROOT, 'baseline', 'measurements.json'),
  json: false,
  updateBaseline: false,
  report: true,
  timeoutMs: 0,
});

export const RUN_OPTIONS: OptionSpec = {
  profile: { type: 'string', short: 'p' },
  out: { type: 'string', short: 'o' },
  json: { type: 'boolean' },
  baseline: { type: 'string' },
  'update-baseline': { type: 'boolean' },
  'no-report': { type: 'boolean' },
  'timeout-s': { type: 'string' },
  'proxy-args': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

export function validateRunConfig(argv: readonly string[], cwd: string, now: Date = new Date()): Readonly<RunConfig> {
  const { values, positionals } = parseFlags('run', argv, RUN_OPTIONS, true);
  const scenarios = positionals.length === 0 ? [...SCENARIOS.values()] : positionals.map((name) => {
    const scenario = SCENARIOS.get(name);
    if (scenario === undefined) throw new ConfigError(`unknown scenario "${name}"; available: ${[...SCENARIOS.keys()].join(', ')}`);
    return scenario;
  });
  const stamp = now.toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const out = values.out;
  if (out !== undefined && (typeof out !== 'string' || out.trim() === '')) throw new ConfigError('--out needs a directory');
  const baseline = values.baseline;
  return Object.freeze({
    scenarios,
    profile: choiceFlag('profile', values.profile, RUN_DEFAULTS.profile, PROFILES),
    outDir: resolve(cwd, typeof out === 'string' ? out : join(RUN_DEFAULTS.outRoot, stamp)),
    json: values.json === true,
    baselinePath: typeof baseline === 'string' ? (isAbsolute(baseline) ? baseline : resolve(cwd, baseline)) : RUN_DEFAULTS.baselinePath,
    updateBaseline: values['update-baseline'] === true,
    report: values['no-report'] !== true,
    timeoutMs: intFlag('timeout-s', values['timeout-s'], RUN_DEFAULTS.timeoutMs, 1, 24 * 3600) * 1000,
    proxyArgs: proxyArgsFlag(values['proxy-args']),
    help: values.help === true,
  });
}

/** `--proxy-args="--inject-latency-ms 0.5"`: flags only, split on whitespace (no quoting: no value needs a space). */
function proxyArgsFlag(value: unknown): readonly string[] {
  if (value === undefined) return [];
  const args = String(value).trim().split(/\s+/).filter(Boolean);
  if (args.length === 0 || !args[0]!.startsWith('--')) throw new ConfigError(`--proxy-args takes proxy flags, e.g. --proxy-args="--inject-latency-ms 0.5"; got "${String(value)}"`);
  return args;
}
