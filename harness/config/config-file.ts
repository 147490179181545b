/**
 * The config file: found in the directory `mcp-perf run` starts in (or named with --config), loaded (JSON, an ES
 * module, or TypeScript transpiled with the project's own `typescript`), and checked field by field — an unknown
 * field, a scenario that does not exist or a threshold that does not parse is a ConfigError naming the file and the
 * field, before anything starts.
 */
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { splitCommand } from '../../core/runtime/argv.js';
import { ConfigError } from '../../core/runtime/errors.js';
import { PROFILES, type ProfileName, type Scenario } from '../../scenarios/define.js';
import { parseThreshold } from '../../scenarios/thresholds.js';
import { TARGETS, targetFromTemplate, type TargetName, type TargetSpec } from '../../scenarios/targets.js';
import type { McpPerfConfig } from './define-config.js';

/** The names looked for, in this order; finding two is an error (which one was meant?). */
export const CONFIG_NAMES = Object.freeze([
  'mcp-perf.config.ts',
  'mcp-perf.config.mjs',
  'mcp-perf.config.js',
  'mcp-perf.config.json',
]);

/** A config file, checked: paths resolved against its directory, targets as rows of the targets table. */
export interface LoadedConfig {
  readonly path: string;
  readonly scenarios?: readonly string[];
  readonly profile?: ProfileName;
  readonly targets: Readonly<Record<string, TargetSpec>>;
  readonly thresholds: Readonly<Record<string, readonly string[]>>;
  readonly goals: Readonly<Record<string, readonly string[]>>;
  readonly seats?: readonly string[];
  readonly baseline?: string;
  readonly out?: string;
  readonly history?: string;
}

/** The config file to use: the one named (which must exist), else the one in `cwd`, else none. */
export function findConfigFile(cwd: string, named: string | undefined): string | undefined {
  if (named !== undefined) {
    const path = resolve(cwd, named);
    if (!existsSync(path)) throw new ConfigError(`--config ${named}: no such file`);
    return path;
  }
  const found = CONFIG_NAMES.filter((name) => existsSync(join(cwd, name)));
  if (found.length > 1)
    throw new ConfigError(
      `${found.join(' and ')} are both in ${cwd}: keep one, or name it with --config (the others are ignored then)`,
    );
  return found.length === 0 ? undefined : join(cwd, found[0]!);
}

/** Reads, evaluates and checks a config file. */
export async function loadConfigFile(path: string, scenarios: ReadonlyMap<string, Scenario>): Promise<LoadedConfig> {
  return checkConfig(await evaluate(path), path, scenarios);
}

async function evaluate(path: string): Promise<unknown> {
  const fail = (why: string): never => {
    throw new ConfigError(`config ${path}: ${why}`);
  };
  if (path.endsWith('.json')) {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as unknown;
    } catch (err) {
      return fail(`not valid JSON (${(err as Error).message})`);
    }
  }
  if (!/\.(m?js|ts)$/.test(path)) return fail('a config file is .json, .mjs, .js or .ts');
  let url = pathToFileURL(path).href;
  let transpiled: string | undefined;
  if (path.endsWith('.ts')) {
    // Node 20 cannot import TypeScript: the project's own compiler transpiles it to a module beside the file (so
    // its imports resolve as they would from there), which is removed once imported.
    const ts = await typescriptFrom(path).catch(() =>
      fail('a .ts config needs the `typescript` package in this project (npm i -D typescript), or write it as .mjs'),
    );
    const source = await readFile(path, 'utf8');
    const out = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      fileName: basename(path),
    });
    transpiled = join(dirname(path), `.${basename(path, '.ts')}.${process.pid}.${Date.now()}.mjs`);
    await writeFile(transpiled, out.outputText);
    url = pathToFileURL(transpiled).href;
  }
  try {
    const module = (await import(url)) as { default?: unknown };
    if (module.default === undefined) return fail('it has no default export (export default defineConfig({ … }))');
    return module.default;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    return fail(`it failed to load: ${(err as Error).message}`);
  } finally {
    if (transpiled !== undefined) await rm(transpiled, { force: true });
  }
}

interface TypeScriptApi {
  transpileModule(
    source: string,
    options: { compilerOptions: Record<string, unknown>; fileName: string },
  ): { outputText: string };
  ModuleKind: { ESNext: unknown };
  ScriptTarget: { ES2022: unknown };
}

async function typescriptFrom(path: string): Promise<TypeScriptApi> {
  let resolved: string;
  try {
    resolved = createRequire(path).resolve('typescript');
  } catch {
    resolved = createRequire(import.meta.url).resolve('typescript');
  }
  const module = (await import(pathToFileURL(resolved).href)) as { default?: TypeScriptApi } & TypeScriptApi;
  return module.default ?? module;
}

const FIELDS: ReadonlySet<keyof McpPerfConfig> = new Set([
  'scenarios',
  'profile',
  'targets',
  'thresholds',
  'goals',
  'seats',
  'baseline',
  'out',
  'history',
]);

/** Checks an evaluated config, field by field; every complaint names the file and the field. */
export function checkConfig(raw: unknown, path: string, scenarios: ReadonlyMap<string, Scenario>): LoadedConfig {
  const fail = (field: string, why: string): never => {
    throw new ConfigError(`config ${path}: ${field}: ${why}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ConfigError(`config ${path}: expected an object ({ targets, scenarios, thresholds, … })`);
  const config = raw as Record<string, unknown>;
  for (const key of Object.keys(config))
    if (!FIELDS.has(key as keyof McpPerfConfig)) fail(key, `unknown field; the fields are ${[...FIELDS].join(', ')}`);

  const strings = (field: string, value: unknown): string[] =>
    Array.isArray(value) && value.every((v) => typeof v === 'string')
      ? value
      : fail(field, 'expected a list of strings');
  const record = (field: string, value: unknown): Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : fail(field, 'expected an object');
  const known = (field: string, name: string): void => {
    if (!scenarios.has(name)) fail(field, `no scenario "${name}"; available: ${[...scenarios.keys()].join(', ')}`);
  };
  const path_ = (field: string): string | undefined => {
    const value = config[field];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.trim() === '') return fail(field, 'expected a path');
    return resolve(dirname(path), value);
  };

  let selected: string[] | undefined;
  if (config['scenarios'] !== undefined) {
    selected = strings('scenarios', config['scenarios']);
    if (selected.length === 0) fail('scenarios', 'an empty list runs nothing; leave the field out to run them all');
    for (const name of selected) known('scenarios', name);
  }
  const profile = config['profile'];
  if (profile !== undefined && !PROFILES.includes(profile as ProfileName))
    fail('profile', `"${String(profile)}" is not one of ${PROFILES.join(', ')}`);

  const gates = (field: 'thresholds' | 'goals'): Record<string, readonly string[]> => {
    const out: Record<string, readonly string[]> = {};
    if (config[field] === undefined) return out;
    for (const [scenario, list] of Object.entries(record(field, config[field]))) {
      known(`${field}.${scenario}`, scenario);
      out[scenario] = Object.freeze(
        strings(`${field}.${scenario}`, list).map((text) => {
          try {
            parseThreshold(text);
          } catch (err) {
            fail(`${field}.${scenario}`, (err as Error).message);
          }
          return text;
        }),
      );
    }
    return out;
  };

  let seats: string[] | undefined;
  if (config['seats'] !== undefined) {
    seats = strings('seats', config['seats']);
    if (seats.length === 0 || seats.some((n) => n.trim() === ''))
      fail('seats', 'expected seat names, e.g. ["bridged", "mcp-proxy"]; leave the field out to run every seat');
  }

  const targets: Record<string, TargetSpec> = {};
  if (config['targets'] !== undefined)
    for (const [name, value] of Object.entries(record('targets', config['targets'])))
      targets[name] = targetFromConfig(name, value, (why) => fail(`targets.${name}`, why));

  return Object.freeze({
    path,
    ...(selected === undefined ? {} : { scenarios: Object.freeze(selected) }),
    ...(profile === undefined ? {} : { profile: profile as ProfileName }),
    targets: Object.freeze(targets),
    thresholds: Object.freeze(gates('thresholds')),
    goals: Object.freeze(gates('goals')),
    ...(seats === undefined ? {} : { seats: Object.freeze(seats) }),
    ...optional('baseline', path_('baseline')),
    ...optional('out', path_('out')),
    ...optional('history', path_('history')),
  });
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

const TARGET_FIELDS = new Set(['command', 'description', 'url', 'ready', 'readyTimeoutMs']);

function targetFromConfig(name: string, value: unknown, fail: (why: string) => never): TargetSpec {
  const attempt = (build: () => TargetSpec): TargetSpec => {
    try {
      return build();
    } catch (err) {
      return fail((err as Error).message.replace(/^target "[^"]*": /, ''));
    }
  };
  if (typeof value === 'string') return attempt(() => targetFromTemplate(name, value, splitCommand));
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return fail('expected a command line, { preset }, or { command, url?, ready?, readyTimeoutMs?, description? }');
  const spec = value as Record<string, unknown>;
  if ('preset' in spec) {
    const preset = spec['preset'];
    if (Object.keys(spec).length !== 1) fail('a preset takes no other fields');
    if (typeof preset !== 'string' || !Object.hasOwn(TARGETS, preset))
      fail(`no preset "${String(preset)}"; presets: ${Object.keys(TARGETS).join(', ')}`);
    return TARGETS[preset as TargetName];
  }
  for (const key of Object.keys(spec))
    if (!TARGET_FIELDS.has(key)) fail(`unknown field "${key}"; a target has ${[...TARGET_FIELDS].join(', ')}`);
  const command = spec['command'];
  if (!(typeof command === 'string' || (Array.isArray(command) && command.every((w) => typeof w === 'string'))))
    fail('command: expected a command line or a list of words');
  const ready = spec['ready'];
  if (
    ready !== undefined &&
    ready !== 'port' &&
    !(typeof ready === 'object' && ready !== null && typeof (ready as { http?: unknown }).http === 'string')
  )
    fail('ready: expected "port" or { "http": "/path" }');
  const timeout = spec['readyTimeoutMs'];
  if (timeout !== undefined && !(typeof timeout === 'number' && Number.isInteger(timeout) && timeout > 0))
    fail('readyTimeoutMs: expected a whole number of ms > 0');
  for (const key of ['url', 'description'] as const)
    if (spec[key] !== undefined && typeof spec[key] !== 'string') fail(`${key}: expected a string`);
  return attempt(() =>
    targetFromTemplate(name, command as string | string[], splitCommand, {
      ...(spec['description'] === undefined ? {} : { description: spec['description'] as string }),
      ...(spec['url'] === undefined ? {} : { url: spec['url'] as string }),
      ...(ready === undefined ? {} : { ready: ready as 'port' | { http: string } }),
      ...(timeout === undefined ? {} : { readyTimeoutMs: timeout as number }),
    }),
  );
}
