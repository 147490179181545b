/**
 * Targets as data: what can sit in a comparison's seat, each a row of one table. A row says how the target starts
 * (an `mcp-perf` command line with placeholders, or nothing: the upstream itself), what it fronts, which transport
 * it serves, how readiness is known and which process's CPU the seat is charged. The runner knows no target by name;
 * a new target is a new row.
 *
 * Placeholders in `argv`, filled by the runner:
 *   {upstream_url}   the Streamable HTTP mock's URL
 *   {upstream_cmd}   the stdio mock's command line, quoted for --upstream-cmd (core/runtime/argv.ts)
 *   {max_sessions}   twice the scenario's sessions: room for every session a target's load opens
 */

export interface TargetSpec {
  /** One line for help and reports. */
  readonly description: string;
  /** The process as it appears in progress lines ("proxy", "relay"); absent for the upstream itself. */
  readonly process?: string;
  /** `mcp-perf` arguments that start it; absent when the seat is the upstream itself. */
  readonly argv?: readonly string[];
  /** Which mock it fronts: the Streamable HTTP mock or the stdio mock (same behaviour, other transport). */
  readonly upstream: 'http' | 'stdio';
  /** What its clients speak to it. */
  readonly transport: 'streamable-http';
  /** How readiness is known: the JSON ready line on stdout (core/runtime/service.ts). */
  readonly ready: 'ready-line';
  /** Whose CPU a request costs: the process started for the seat, or the upstream mock (direct). */
  readonly charge: 'self' | 'upstream';
}

export const TARGETS = Object.freeze({
  direct: {
    description: 'the HTTP mock itself: the reference every other seat is measured against',
    upstream: 'http',
    transport: 'streamable-http',
    ready: 'ready-line',
    charge: 'upstream',
  },
  proxied: {
    description: 'our reverse proxy in front of the HTTP mock',
    process: 'proxy',
    argv: ['proxy', '--upstream', '{upstream_url}'],
    upstream: 'http',
    transport: 'streamable-http',
    ready: 'ready-line',
    charge: 'self',
  },
  relay: {
    description: 'a raw TCP relay in front of the HTTP mock: the floor any proxy can reach',
    process: 'relay',
    argv: ['relay', '--upstream', '{upstream_url}'],
    upstream: 'http',
    transport: 'streamable-http',
    ready: 'ready-line',
    charge: 'self',
  },
  bridged: {
    description: 'our HTTP → stdio bridge in front of the stdio mock, one child per session',
    process: 'bridge',
    argv: ['proxy', '--upstream-cmd', '{upstream_cmd}', '--max-sessions', '{max_sessions}'],
    upstream: 'stdio',
    transport: 'streamable-http',
    ready: 'ready-line',
    charge: 'self',
  },
} satisfies Record<string, TargetSpec>);

export type TargetName = keyof typeof TARGETS;

/** A target's argv with its placeholders filled; an unknown placeholder is an error, not a literal. */
export function expandArgv(argv: readonly string[], values: Readonly<Record<string, string>>): string[] {
  return argv.map((word) =>
    word.replace(/\{([a-z_]+)\}/g, (_, key: string) => {
      const value = values[key];
      if (value === undefined) throw new Error(`target argv: no value for placeholder {${key}}`);
      return value;
    }),
  );
}
