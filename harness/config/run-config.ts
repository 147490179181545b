/** `mcp-perf run` configuration: defaults in one frozen place, validated once at the edge. */
import { isAbsolute, join, resolve } from 'node:path';
import { forProfile, PROFILES, type ProfileName, type Scenario } from '../../scenarios/define.js';
import { SCENARIOS } from './scenarios.js';
import { TARGETS, targetFromTemplate, type TargetName, type TargetSpec } from '../../scenarios/targets.js';
import { splitCommand } from '../../core/runtime/argv.js';
import { ConfigError } from '../../core/runtime/errors.js';
import { PACKAGE_ROOT } from '../version.js';
import { choiceFlag, HELP_FLAG, intFlag, parseFlags, type FlagSpecs } from '../../core/runtime/flags.js';
import { findConfigFile, loadConfigFile, type LoadedConfig } from './config-file.js';
import { seatsFlag, selectSeats } from './seats.js';

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
  /** Targets given with --target NAME=TEMPLATE: seats added to every comparison (or replacing one of that name). */
  readonly targets: Readonly<Record<string, TargetSpec>>;
  /** Where to keep a copy of every completed run's results, one file each, for `mcp-perf trend`; none when absent. */
  readonly historyDir: string | undefined;
  /** The config file read, if any (its path, shown in the run's first line). */
  readonly configPath: string | undefined;
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

/** Every flag of `mcp-perf run`, once: parseArgs reads these and `--help` is generated from them. */
export const RUN_FLAGS: FlagSpecs = {
  profile: {
    type: 'string',
    short: 'p',
    value: 'NAME',
    help: `${PROFILES.join(' | ')}; quick takes about 4 minutes for every scenario`,
    default: RUN_DEFAULTS.profile,
  },
  out: {
    type: 'string',
    short: 'o',
    value: 'DIR',
    help: `where to write results.json and report.html (default ${RUN_DEFAULTS.outRoot}/<timestamp>)`,
  },
  json: { type: 'boolean', help: 'print the results JSON on stdout; progress and tables go to stderr' },
  baseline: {
    type: 'string',
    value: 'FILE',
    help: 'the baseline to diff against (default baseline/measurements.json of this package)',
  },
  'update-baseline': {
    type: 'boolean',
    help: 'write this run as the new baseline (relative thresholds then compare it with itself)',
  },
  'no-report': { type: 'boolean', help: 'skip report.html' },
  target: {
    type: 'string',
    multiple: true,
    value: 'NAME=TEMPLATE',
    help: "another proxy in every comparison and shootout (repeatable): a preset (supergateway, mcp-proxy,\nnginx, supergateway-stateless), or a command with {port} and {upstream_url} (or {upstream_cmd}),\ne.g. mine='node my-proxy.js --port {port} --upstream {upstream_url}', or the URL of one already\nrunning; a NAME the scenario has (proxied) takes that seat",
  },
  seats: {
    type: 'string',
    value: 'A,B',
    help: 'run only these seats of each comparison and shootout, e.g. --seats bridged,mcp-proxy (the reference,\ndirect, always runs, and so does every --target); their gates go with the seats left out',
  },
  history: {
    type: 'string',
    value: 'DIR',
    help: "also keep this run's results in DIR, one file per run (<time>-<commit>.json), for `mcp-perf trend DIR`",
  },
  'timeout-s': {
    type: 'string',
    value: 'N',
    help: 'abort the run after N seconds (default: twice the expected length plus a minute)',
  },
  'proxy-args': {
    type: 'string',
    value: '"FLAGS"',
    help: 'extra flags for every proxy the run starts, e.g. --proxy-args="--inject-latency-ms 0.5"\n(with "=": experiments, such as a known regression a comparison must catch)',
  },
  config: {
    type: 'string',
    value: 'FILE',
    help: 'read targets, scenarios and thresholds from FILE (default: mcp-perf.config.{ts,mjs,js,json} here, if\nthere is one; flags win over it; docs/config.md)',
  },
  help: HELP_FLAG,
};

/** `mcp-perf run`'s configuration: the config file (named, or found in cwd) under the flags. */
export async function readRunConfig(argv: readonly string[], cwd: string): Promise<Readonly<RunConfig>> {
  const { values } = parseFlags('run', argv, RUN_FLAGS, true);
  if (values.help === true) return validateRunConfig(argv, cwd);
  const named = values.config;
  if (named !== undefined && (typeof named !== 'string' || named.trim() === ''))
    throw new ConfigError('--config needs a file');
  const path = findConfigFile(cwd, named as string | undefined);
  return validateRunConfig(
    argv,
    cwd,
    new Date(),
    path === undefined ? undefined : await loadConfigFile(path, SCENARIOS),
  );
}

/** The flags over the config file (if any) over the defaults; a config file's gates replace its scenarios' own. */
export function validateRunConfig(
  argv: readonly string[],
  cwd: string,
  now: Date = new Date(),
  file?: LoadedConfig,
): Readonly<RunConfig> {
  const { values, positionals } = parseFlags('run', argv, RUN_FLAGS, true);
  const names =
    positionals.length > 0
      ? positionals
      : (file?.scenarios ?? [...SCENARIOS.values()].filter((s) => s.onlyWhenNamed !== true).map((s) => s.name));
  const scenarios = names.map((name) => {
    const scenario = SCENARIOS.get(name);
    if (scenario === undefined)
      throw new ConfigError(`unknown scenario "${name}"; available: ${[...SCENARIOS.keys()].join(', ')}`);
    const thresholds = file?.thresholds[name];
    const goals = file?.goals[name];
    return thresholds === undefined && goals === undefined
      ? scenario
      : { ...scenario, thresholds: thresholds ?? scenario.thresholds, goals: goals ?? scenario.goals };
  });
  const stamp = now
    .toISOString()
    .replace(/:/g, '-')
    .replace(/\.\d+Z$/, 'Z');
  const out = values.out;
  if (out !== undefined && (typeof out !== 'string' || out.trim() === ''))
    throw new ConfigError('--out needs a directory');
  const baseline = values.baseline;
  const profile = choiceFlag('profile', values.profile, file?.profile ?? RUN_DEFAULTS.profile, PROFILES);
  const profiled = scenarios.map((s) => forProfile(s, profile));
  // A flag's target replaces the file's of the same name.
  const targets = Object.freeze({ ...file?.targets, ...targetFlags(values.target) });
  const flagSeats = seatsFlag(values.seats);
  const seats = flagSeats ?? file?.seats;
  return Object.freeze({
    scenarios:
      seats === undefined
        ? profiled
        : selectSeats(
            profiled,
            seats,
            Object.keys(targets),
            flagSeats === undefined ? `config ${file?.path}: seats` : '--seats',
          ),
    profile,
    outDir:
      typeof out === 'string'
        ? resolve(cwd, out)
        : file?.out !== undefined
          ? join(file.out, stamp)
          : resolve(cwd, join(RUN_DEFAULTS.outRoot, stamp)),
    json: values.json === true,
    baselinePath:
      typeof baseline === 'string'
        ? isAbsolute(baseline)
          ? baseline
          : resolve(cwd, baseline)
        : (file?.baseline ?? RUN_DEFAULTS.baselinePath),
    updateBaseline: values['update-baseline'] === true,
    report: values['no-report'] !== true,
    timeoutMs: intFlag('timeout-s', values['timeout-s'], RUN_DEFAULTS.timeoutMs, 1, 24 * 3600) * 1000,
    proxyArgs: proxyArgsFlag(values['proxy-args']),
    targets,
    historyDir: historyFlag(values.history, cwd) ?? file?.history,
    configPath: file?.path,
    help: values.help === true,
  });
}

/** `--proxy-args="--inject-latency-ms 0.5"`: flags only, split on whitespace (no quoting: no value needs a space). */
function proxyArgsFlag(value: unknown): readonly string[] {
  if (value === undefined) return [];
  const args = String(value).trim().split(/\s+/).filter(Boolean);
  if (args.length === 0 || !args[0]!.startsWith('--'))
    throw new ConfigError(
      `--proxy-args takes proxy flags, e.g. --proxy-args="--inject-latency-ms 0.5"; got "${String(value)}"`,
    );
  return args;
}

function historyFlag(value: unknown, cwd: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError('--history needs a directory');
  return resolve(cwd, value);
}

function targetFlags(value: unknown): Readonly<Record<string, TargetSpec>> {
  const out: Record<string, TargetSpec> = {};
  for (const raw of (value as string[] | undefined) ?? []) {
    const eq = raw.indexOf('=');
    // A bare NAME is a row of the table: a preset (supergateway, mcp-proxy, nginx, …) or one of ours.
    if (eq === -1 && Object.hasOwn(TARGETS, raw.trim())) {
      out[raw.trim()] = TARGETS[raw.trim() as TargetName];
      continue;
    }
    if (eq <= 0)
      throw new ConfigError(
        `--target takes NAME=TEMPLATE (e.g. mine='node my-proxy.js --port {port} --upstream {upstream_url}') or the name of a preset (${Object.keys(TARGETS).join(', ')}); got "${raw}"`,
      );
    const name = raw.slice(0, eq).trim();
    if (Object.hasOwn(out, name)) throw new ConfigError(`--target ${name} is given twice`);
    try {
      out[name] = targetFromTemplate(name, raw.slice(eq + 1), splitCommand);
    } catch (err) {
      throw new ConfigError(`--target: ${(err as Error).message}`);
    }
  }
  return Object.freeze(out);
}
