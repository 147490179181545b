/** `mcp-perf proxy` and `mcp-perf relay`: the systems under test, each as its own process. */
import type { Command } from '../core/runtime/command.js';
import {
  HELP_FLAG,
  intFlag,
  listenFlag,
  loopbackUrlFlag,
  parseFlags,
  renderOptions,
  type FlagSpecs,
  wrapHelp,
} from '../core/runtime/flags.js';
import { ExitCode, type ExitCodeValue } from '../core/runtime/errors.js';
import { serveUntilStopped } from '../core/runtime/service.js';
import { PROXY_DEFAULTS, PROXY_FLAGS, validateProxyConfig } from './config.js';
import { startHttpProxy } from './front/http.js';
import { runStdioForward } from './front/stdio.js';
import { runStdioToHttp } from './front/stdio-http.js';
import { createLogger } from './log.js';
import { startTcpRelay } from './tcp-relay.js';

const d = PROXY_DEFAULTS;
const proxyHelp = wrapHelp(`Usage: mcp-perf proxy --upstream URL [--upstream URL…] [options]
       mcp-perf proxy --upstream-cmd "COMMAND" [options]
       mcp-perf proxy --upstream-sse URL [options]
       mcp-perf proxy --stdio [options] -- COMMAND [ARGS…]
       mcp-perf proxy --stdio --upstream URL [options]

The MCP proxy under test, in one of five modes:

  --upstream URL         Streamable HTTP reverse proxy. POST/GET/DELETE forwarded with their MCP headers over
                         pooled keep-alive connections; SSE streamed through chunk by chunk. Repeat --upstream
                         for several: a session sticks to the upstream that created it; new sessions go
                         --balance round-robin | least-pending (default ${d.balance}) to healthy upstreams.
  --upstream-cmd "CMD"   HTTP → stdio bridge: serves a stdio MCP server over Streamable HTTP, one long-lived
                         child per session (spawned at initialize, ended on DELETE, idle expiry or shutdown).
  --upstream-sse URL     serves a legacy HTTP+SSE (2024-11-05) server over Streamable HTTP: one upstream SSE
                         session per MCP session.
  --stdio -- CMD ARGS…   stdio forward proxy: our stdin/stdout to one persistent child, both directions.
  --stdio --upstream URL stdio → Streamable HTTP: a stdio client reaches an HTTP server (what mcp-remote does).

The HTTP modes also serve legacy HTTP+SSE clients at GET /sse and POST /messages?sessionId=…, each with an
upstream session of its own. They print one JSON ready line with their URL, serve GET /metrics, and run until
SIGTERM/SIGINT or until the pipe on their stdin closes. Answers the proxy makes itself carry a JSON-RPC error:
unknown session 404, malformed JSON 400 (-32700), body too large 413, rate limited 429, bad token 401, bad
Origin or Host 403, session limit 503, upstream refused 502, upstream slower than the timeout 504.

With auth on, a session belongs to the token (or JWT issuer and subject) that opened it; any other gets 404. The
client's Authorization and Cookie headers are never passed upstream: --upstream-header sets what the upstream gets.

${renderOptions(PROXY_FLAGS)}`);

const RELAY_FLAGS: FlagSpecs = {
  upstream: { type: 'string', value: 'URL', help: 'where to relay bytes to (loopback only)' },
  listen: { type: 'string', value: 'HOST:PORT', help: 'where to listen', default: '127.0.0.1:0' },
  help: HELP_FLAG,
};

const relayHelp = wrapHelp(`Usage: mcp-perf relay --upstream URL [--listen HOST:PORT]

A raw TCP relay (a byte pipe, no HTTP parsing): the floor any proxy can reach. Used by the
direct-vs-proxied scenario as the third target. Same ready line and lifecycle as the proxy.

${renderOptions(RELAY_FLAGS)}`);

export const proxyCommand: Command = {
  help: proxyHelp,
  async run(argv, io): Promise<ExitCodeValue> {
    const { config, help } = validateProxyConfig(argv);
    if (help) {
      io.stdout.write(proxyHelp);
      return ExitCode.OK;
    }
    const log = createLogger(config.logLevel, io.stderr);
    if (config.mode === 'stdio-forward' || config.mode === 'stdio-http') {
      const run = config.mode === 'stdio-forward' ? runStdioForward : runStdioToHttp;
      const code = await run(config, log, { stdin: process.stdin, stdout: io.stdout });
      return code === 0 ? ExitCode.OK : ExitCode.ERROR;
    }
    const proxy = await startHttpProxy(config, log);
    await serveUntilStopped(`proxy-${config.mode}`, proxy, io);
    return ExitCode.OK;
  },
};

const BENCH_FLAGS: FlagSpecs = {
  ms: { type: 'string', value: 'N', help: 'how long to time each component, ms', default: 500 },
  help: HELP_FLAG,
};

const benchHelp = wrapHelp(`Usage: mcp-perf proxy-bench [--ms N]

Micro-benchmarks of the proxy's stages in this process: the bearer-token check, HS256 JWT verification, the
rate-limit bucket, the session-table lookup (10,000 sessions), JSON-RPC parsing and stdio line framing. Each is
timed in batches for --ms milliseconds after a warm-up; prints one JSON line of per-operation percentiles in
nanoseconds. The components scenario runs it.

${renderOptions(BENCH_FLAGS)}`);

export const proxyBenchCommand: Command = {
  help: benchHelp,
  async run(argv, io) {
    const { values } = parseFlags('proxy-bench', argv, BENCH_FLAGS);
    if (values.help) {
      io.stdout.write(benchHelp);
      return ExitCode.OK;
    }
    const { benchmarkComponents } = await import('./bench.js');
    io.stdout.write(
      JSON.stringify({
        event: 'components',
        results: await benchmarkComponents(intFlag('ms', values.ms, 500, 10, 600_000)),
      }) + '\n',
    );
    return ExitCode.OK;
  },
};

export const relayCommand: Command = {
  help: relayHelp,
  async run(argv, io) {
    const { values } = parseFlags('relay', argv, RELAY_FLAGS);
    if (values.help) {
      io.stdout.write(relayHelp);
      return ExitCode.OK;
    }
    const relay = await startTcpRelay({
      ...listenFlag('listen', values.listen, '127.0.0.1:0'),
      upstream: loopbackUrlFlag('upstream', values.upstream),
    });
    await serveUntilStopped('relay-tcp', relay, io);
    return ExitCode.OK;
  },
};
