/**
 * Flags for the scripts under scripts/: `--help` prints the script's usage and exits 0; an unknown flag or a flag
 * without its value prints what was wrong and the usage, and exits 2 — before anything is started.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = Record<string, { type: 'string' | 'boolean' }>;
/** A flag's value: its text, or true for a switch given. */
type Values<O extends Options> = { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string };

export function scriptArgs<O extends Options>(name: string, usage: string, options: O): Values<O> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      options: { ...options, help: { type: 'boolean', short: 'h' } } as ParseArgsConfig['options'],
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    fail(name, (error as Error).message, usage);
  }
  if (parsed.values.help === true) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  return parsed.values as Values<O>;
}

/** A bad flag value: says which and why, then the usage; exit 2. */
export function fail(name: string, message: string, usage: string): never {
  process.stderr.write(`${name}: ${message}\n${usage}\n`);
  process.exit(2);
}
