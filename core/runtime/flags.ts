/** Parsing of command-line flags into validated values; every failure is a ConfigError naming the flag. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from './errors.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/**
 * One flag, once: how parseArgs reads it and how `--help` shows it (citty's defineCommand habit). The help line is
 * written for the reader; `value` names what a string flag takes (MS, URL); `default` is shown as "(default …)".
 */
export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** The placeholder in help for a string flag's value. @default 'VALUE' */
  readonly value?: string;
  /** What the flag does: one paragraph, wrapped to the terminal's width in help (a `\n` is read as a space). */
  readonly help: string;
  readonly default?: string | number;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** The `-h, --help` flag every command has. */
export const HELP_FLAG: FlagSpec = Object.freeze({ type: 'boolean', short: 'h', help: 'this text' });

/** parseArgs options for the specs. */
export function parseOptions(specs: FlagSpecs): OptionSpec {
  const out: OptionSpec = {};
  for (const [name, spec] of Object.entries(specs)) {
    out[name] = {
      type: spec.type,
      ...(spec.short === undefined ? {} : { short: spec.short }),
      ...(spec.multiple ? { multiple: true } : {}),
    };
  }
  return out;
}

/** Help is read in a terminal: no line of it wider than this. */
export const HELP_WIDTH = 120;

/**
 * `text` with every line wider than `width` broken at spaces, each continuation indented as its line is. Lines that
 * fit are left as written.
 */
export function wrapHelp(text: string, width = HELP_WIDTH): string {
  return text
    .split('\n')
    .flatMap((line) => wrapLine(line, width))
    .join('\n');
}

function wrapLine(line: string, width: number, indent = /^ */.exec(line)![0]): string[] {
  const out: string[] = [];
  let rest = line;
  while (rest.length > width) {
    const cut = rest.lastIndexOf(' ', width);
    if (cut <= indent.length) break; // one word wider than the line: left whole
    out.push(rest.slice(0, cut).trimEnd());
    rest = indent + rest.slice(cut + 1).trimStart();
  }
  out.push(rest);
  return out;
}

/** The Options section of a command's help, generated from its specs: one entry per flag, help aligned. */
export function renderOptions(specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const flag = `${spec.short === undefined ? '    ' : `-${spec.short}, `}--${name}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`;
    // "(default …)" is never split: a no-break space holds it together through the wrapping.
    const text =
      spec.default === undefined
        ? spec.help
        : `${spec.help} (default\u00a0${String(spec.default).replaceAll(' ', '\u00a0')})`;
    return [flag, text.split('\n')] as const;
  });
  const width = Math.min(30, Math.max(...rows.map(([flag]) => flag.length)));
  const lines = ['Options:'];
  for (const [flag, given] of rows) {
    const pad = ' '.repeat(width + 4);
    // One paragraph, wrapped to the help column's width: a continuation lines up under the help, not the flag.
    const text = wrapLine(given.join(' '), HELP_WIDTH - pad.length, '').map((l) => l.replaceAll('\u00a0', ' '));
    if (flag.length > width) lines.push(`  ${flag}`, ...text.map((t) => `${pad}${t}`));
    else lines.push(`  ${flag.padEnd(width)}  ${text[0]}`, ...text.slice(1).map((t) => `${pad}${t}`));
  }
  return `${lines.join('\n')}\n`;
}

export interface Parsed {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

/** node:util parseArgs in strict mode, with its errors turned into ConfigErrors that point at the command's help. */
export function parseFlags(
  command: string,
  argv: readonly string[],
  specs: FlagSpecs,
  allowPositionals = false,
): Parsed {
  const options = parseOptions(specs);
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, strict: true, allowPositionals });
    return { values: values as Parsed['values'], positionals };
  } catch (err) {
    // Keep parseArgs' first sentence; its advice about '--' and '--opt=-x' is for programmers, not for our users.
    const message =
      err instanceof Error ? err.message.split(/\.?\s*(?:To specify|Did you forget)/)[0]!.trim() : String(err);
    throw new ConfigError(`${message} (see \`mcp-perf ${command} --help\`)`);
  }
}

export function intFlag(
  name: string,
  raw: unknown,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`--${name} must be a whole number from ${min} to ${max}, got "${String(raw)}"`);
  }
  return value;
}

export function numberFlag(name: string, raw: unknown, fallback: number, min: number, max = Number.MAX_VALUE): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`--${name} must be a number from ${min} to ${max}, got "${String(raw)}"`);
  }
  return value;
}

export function choiceFlag<T extends string>(name: string, raw: unknown, fallback: T, choices: readonly T[]): T {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !(choices as readonly string[]).includes(raw)) {
    throw new ConfigError(`--${name} must be one of ${choices.join(', ')}, got "${String(raw)}"`);
  }
  return raw as T;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|::1|\[::1\])$/;

/** `host:port` where host must be loopback unless `allowAny`. Port 0 picks a free one. */
export function listenFlag(
  name: string,
  raw: unknown,
  fallback: string,
  allowAny = false,
): { host: string; port: number } {
  const text = raw === undefined ? fallback : String(raw);
  const match = /^(\[[^\]]+\]|[^:]+|::1):(\d+)$/.exec(text);
  if (!match) throw new ConfigError(`--${name} must look like 127.0.0.1:8080 (host:port), got "${text}"`);
  const host = match[1]!.replace(/^\[|\]$/g, '');
  const port = Number(match[2]);
  if (port > 65535) throw new ConfigError(`--${name}: port ${port} is out of range 0-65535`);
  if (!allowAny && !LOOPBACK.test(host)) {
    throw new ConfigError(`--${name}: ${host} is not a loopback address; mcp-perf binds 127.0.0.1 or ::1 only`);
  }
  return { host, port };
}

/** An http(s) URL to a loopback host: load never leaves this machine. */
export function loopbackUrlFlag(name: string, raw: unknown): URL {
  if (typeof raw !== 'string' || raw === '')
    throw new ConfigError(`--${name} is required (an http://127.0.0.1:PORT/... URL)`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`--${name} is not a valid URL: "${raw}"`);
  }
  if (url.protocol !== 'http:') throw new ConfigError(`--${name} must be an http:// URL, got ${url.protocol}`);
  if (!LOOPBACK.test(url.hostname)) {
    throw new ConfigError(
      `--${name}: ${url.hostname} is not a loopback address; mcp-perf only sends traffic to 127.0.0.0/8 or ::1`,
    );
  }
  return url;
}
