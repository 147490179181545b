/** What every CLI command is: help text and a run function over injected argv and output. */
import type { ExitCodeValue } from './errors.js';

export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** A command's name and one-line summary live in the CLI's table (harness/cli.ts), which loads commands lazily. */
export interface Command {
  /** The `--help` text; its Options section is generated from the command's flag specs. */
  readonly help: string;
  run(argv: readonly string[], io: CliIo): Promise<ExitCodeValue>;
}
