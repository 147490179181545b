/**
 * The one entry point. It parses the command word, runs the command, and is the only place that prints errors and
 * chooses the exit status (citty's runMain habit). Commands are imported lazily so `mcp-perf proxy` does not load
 * the harness, and `mcp-perf run` does not load the proxy.
 */
import type { CliIo, Command } from '../core/runtime/command.js';
import { ExitCode, McpPerfError, type ExitCodeValue } from '../core/runtime/errors.js';

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  run: {
    summary: 'run scenarios, diff against the baseline, write results.json and report.html',
    load: async () => (await import('./commands/run.js')).runCommand,
  },
  compare: {
    summary: 'compare head with base (git refs or results): Mann–Whitney, Holm–Bonferroni, noise floor',
    load: async () => (await import('./commands/compare.js')).compareCommand,
  },
  'compare-trust': {
    summary: 'prove compare on this machine: A/A flags nothing, an injected +10% latency is caught',
    load: async () => (await import('./commands/compare-trust.js')).compareTrustCommand,
  },
  calibrate: {
    summary: 'prove the instrument on this machine: timer, known answers, the generator ceiling two ways',
    load: async () => (await import('./commands/calibrate.js')).calibrateCommand,
  },
  release: {
    summary: 'sign a release off: every gate on page one, flame graph, long runs; sign-off.html and .pdf',
    load: async () => (await import('./commands/release.js')).releaseCommand,
  },
  trend: {
    summary: 'draw a history directory (run --history DIR) as one page: gated metrics over commits',
    load: async () => (await import('./commands/trend.js')).trendCommand,
  },
  report: {
    summary: 'render report.html from a results.json',
    load: async () => (await import('./commands/report.js')).reportCommand,
  },
  mock: {
    summary: 'run a fake MCP server (Streamable HTTP or stdio) with latency and payload knobs',
    load: async () => (await import('../mock-upstreams/main.js')).mockCommand,
  },
  proxy: {
    summary: 'run the MCP proxy under test (HTTP reverse proxy, HTTP → stdio bridge, stdio forward)',
    load: async () => (await import('../proxy/main.js')).proxyCommand,
  },
  'proxy-bench': {
    summary: "micro-benchmark the proxy's stages (auth, rate limit, sessions, parsing, framing)",
    load: async () => (await import('../proxy/main.js')).proxyBenchCommand,
  },
  relay: {
    summary: 'run a raw TCP relay (the floor any proxy can reach)',
    load: async () => (await import('../proxy/main.js')).relayCommand,
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'Usage: mcp-perf <command> [options]',
    '',
    'A performance harness for MCP proxies.',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    "Run `mcp-perf <command> --help` (or `mcp-perf help <command>`) for a command's options.",
    '',
    'Exit codes: 0 ok, 1 unexpected error, 2 usage or input error, 98 compare found a regression,',
    '99 thresholds failed, 130 interrupted.',
    '',
  ].join('\n');
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCodeValue> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    io.stdout.write(usage());
    return name === undefined ? ExitCode.USAGE : ExitCode.OK;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${(await import('./version.js')).VERSION}\n`);
    return ExitCode.OK;
  }
  if (name === 'help' && rest.length > 0 && COMMANDS[rest[0]!] !== undefined) {
    io.stdout.write((await COMMANDS[rest[0]!]!.load()).help);
    return ExitCode.OK;
  }
  const entry = COMMANDS[name];
  if (entry === undefined) {
    io.stderr.write(`mcp-perf: unknown command "${name}"\n\n${usage()}`);
    return ExitCode.USAGE;
  }
  try {
    return await (await entry.load()).run(rest, io);
  } catch (err) {
    if (err instanceof McpPerfError) {
      io.stderr.write(`mcp-perf ${name}: ${err.message}\n`);
      return err.exitCode;
    }
    io.stderr.write(
      `mcp-perf ${name}: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return ExitCode.ERROR;
  }
}

export async function main(): Promise<void> {
  const code = await runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
  });
  // Let stdout drain before exiting: a piped consumer (a test, `| tee`) must get every line.
  process.exitCode = code;
  if (process.stdout.writableNeedDrain) await new Promise((r) => process.stdout.once('drain', r));
  process.exit(code);
}
