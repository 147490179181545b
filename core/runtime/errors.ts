/**
 * One error base with stable codes (undici's `UND_ERR_*` habit) and named exit codes (k6's habit).
 * Only the CLI entry turns these into text and an exit status.
 */

export const ExitCode = Object.freeze({
  OK: 0,
  /** Something unexpected: a bug, or the environment failed us. */
  ERROR: 1,
  /** Bad flags, a bad scenario name, a bad file given on the command line. */
  USAGE: 2,
  /** `mcp-perf compare`: at least one metric regressed, head against base. */
  REGRESSED: 98,
  /** The run completed but at least one threshold failed (k6 uses 99 too). */
  THRESHOLDS_FAILED: 99,
  /** Ctrl-C / SIGTERM: the run was interrupted and cleaned up. */
  INTERRUPTED: 130,
});
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorCode =
  | 'MCP_PERF_CONFIG'
  | 'MCP_PERF_RESULTS_INVALID'
  | 'MCP_PERF_BASELINE_MISSING'
  | 'MCP_PERF_BASELINE_INVALID'
  | 'MCP_PERF_THRESHOLD_SYNTAX'
  | 'MCP_PERF_CHILD_START'
  | 'MCP_PERF_CHILD_EXIT'
  | 'MCP_PERF_INTERRUPTED'
  | 'MCP_PERF_TIMEOUT'
  /** The system under test answered a set-up or probe request in a way the scenario cannot go on from. */
  | 'MCP_PERF_TARGET'
  /** git, npm or a side's build failed while `mcp-perf compare` prepared base or head. */
  | 'MCP_PERF_COMPARE_SETUP'
  /** A report (the sign-off PDF) could not be written. */
  | 'MCP_PERF_REPORT';

export class McpPerfError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCodeValue;

  constructor(code: ErrorCode, message: string, options: { exitCode?: ExitCodeValue; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = options.exitCode ?? ExitCode.ERROR;
  }
}

/** Bad user input: the message names the option and says why. */
export class ConfigError extends McpPerfError {
  constructor(message: string) {
    super('MCP_PERF_CONFIG', message, { exitCode: ExitCode.USAGE });
  }
}

/** A results or baseline file that cannot be read or does not validate. */
export class ResultsFileError extends McpPerfError {
  constructor(
    code: 'MCP_PERF_RESULTS_INVALID' | 'MCP_PERF_BASELINE_MISSING' | 'MCP_PERF_BASELINE_INVALID',
    message: string,
  ) {
    super(code, message, { exitCode: ExitCode.USAGE });
  }
}

export class InterruptedError extends McpPerfError {
  constructor(signal: string) {
    super('MCP_PERF_INTERRUPTED', `interrupted by ${signal}`, { exitCode: ExitCode.INTERRUPTED });
  }
}
