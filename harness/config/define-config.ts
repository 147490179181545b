/**
 * What a config file (`mcp-perf.config.{ts,mjs,js,json}` in the directory `mcp-perf run` starts in, or `--config
 * FILE`) may say, typed: `import { defineConfig } from 'mcp-perf'` gives an editor the fields and their docs. Every
 * field is optional; a flag on the command line wins over the file. Read and checked by config-file.ts.
 */
import type { ProfileName } from '../../scenarios/define.js';
import type { TemplateOptions } from '../../scenarios/targets.js';

/**
 * A target: what `--target NAME=…` takes — a command line with {port} and one upstream placeholder ({upstream_url},
 * or {upstream_cmd} / {upstream_argv}), or the loopback URL of one already running — as a string; or the same with
 * more said about it; or a preset by name (supergateway, supergateway-stateless, mcp-proxy, nginx, proxied, relay,
 * bridged).
 */
export type TargetConfig =
  | string
  | { readonly preset: string }
  | ({
      /** The command: one line (split as a shell would, never run by one) or argv words. */
      readonly command: string | readonly string[];
    } & TemplateOptions);

export interface McpPerfConfig {
  /** Scenarios a plain `mcp-perf run` runs, in this order (default: every scenario). Names on the command line win. */
  readonly scenarios?: readonly string[];
  /** @default 'quick' */
  readonly profile?: ProfileName;
  /** Targets seated in every comparison and shootout, by name (a name the scenario already has takes that seat). */
  readonly targets?: Readonly<Record<string, TargetConfig>>;
  /**
   * Gates per scenario, replacing the scenario's own (grammar: docs/thresholds.md), e.g.
   * `{ 'direct-vs-proxied': ['mine.latency.p50_us < 2000', 'mine.errors < 1'] }`.
   */
  readonly thresholds?: Readonly<Record<string, readonly string[]>>;
  /** Goals per scenario (shown, never gating), replacing the scenario's own. */
  readonly goals?: Readonly<Record<string, readonly string[]>>;
  /**
   * Only these seats of each comparison and shootout (`--seats`): the reference, `direct`, and every target above
   * always run, e.g. `['bridged', 'mcp-proxy']`. `--seats` on the command line wins.
   */
  readonly seats?: readonly string[];
  /** Paths, relative to the config file: the baseline store, the output directory, the history directory. */
  readonly baseline?: string;
  readonly out?: string;
  readonly history?: string;
}

/** Returns its argument: it exists so that an editor checks the file against McpPerfConfig. */
export function defineConfig(config: McpPerfConfig): McpPerfConfig {
  return config;
}
