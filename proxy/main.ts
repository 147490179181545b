/** `mcp-perf proxy` and `mcp-perf relay`: the systems under test, each as its own process. */
import type { Command } from '../harness/command.js';
import { intFlag, listenFlag, loopbackUrlFlag, parseFlags } from '../harness/config/flags.js';
import { ExitCode, type ExitCodeValue } from '../harness/errors.js';
import { serveUntilStopped } from '../harness/runner/service.js';
import { PROXY_DEFAULTS, validateProxyConfig } from './config.js';
import { startHttpProxy } from './front/http.js';
import { runStdioForward } from './front/stdio.js';
import { runStdioToHttp } from './front/stdio-http.js';
import { createLogger } from './log.js';
import { startTcpRelay } from './tcp-relay.js';

const d = PROXY_DEFAULTS;
const proxyHelp = `Usage: mcp-perf proxy --upstream URL [--upstream URL…] [options]
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

Options:
  --listen HOST:PORT          where to listen (default ${d.listen}; loopback only)
  --path PATH                 the MCP endpoint (default ${d.path})
  --upstream-timeout-ms MS    wait this long for an upstream answer, in every mode (default ${d.upstreamTimeoutMs})
  --health-interval-ms MS     probe upstreams this often, 0 = never (default ${d.healthIntervalMs})
  --max-body-bytes N          larger HTTP bodies get 413 (default ${d.maxBodyBytes})
  --max-line-bytes N          larger stdio lines are refused (default ${d.maxLineBytes})
  --max-sessions N            more sessions get 503 (default ${d.maxSessions})
  --session-idle-ms MS        end sessions idle this long, 0 = never (default ${d.sessionIdleMs})
  --stdio-pool N              keep N stdio children pre-spawned for new sessions (default ${d.stdioPool})
  --auth-token TOKEN          accept this bearer token (repeatable; compared in constant time)
  --auth-hs256-secret SECRET  accept HS256 JWTs signed with SECRET
  --auth-jwks FILE            accept RS256 JWTs signed by a key in this JWKS file
  --auth-audience AUD         require this "aud" claim in JWTs
  --rate-limit N              at most N requests/s per client (token bucket; 429 with Retry-After)
  --rate-limit-burst N        bucket size (default: N of --rate-limit)
  --allow-origin ORIGIN       allow browser requests from ORIGIN (repeatable; loopback origins always are)
  --allow-host HOST[:PORT]    answer requests whose Host is HOST (repeatable; loopback names always are; any
                              other Host gets 403, against DNS rebinding)
  --upstream-header "N: V"    send this header with every upstream request (repeatable), e.g. the upstream's
                              own credentials; the client's Authorization and Cookie are never forwarded
  --metrics-auth              GET /metrics needs a valid token too (with --auth-*; default: open on loopback)
  --max-queue-bytes N         server → client messages held per bridged session while no GET stream is open or
                              its reader lags; older ones are dropped and counted (default ${d.maxQueueBytes})
  --inject-latency-ms MS      chaos: delay every POST by MS before forwarding
  --inject-error-rate P       chaos: answer this fraction (0..1) of POSTs with an injected 503
  --log-level LEVEL           error | warn | info | debug, JSON lines on stderr (default ${d.logLevel})
  --debug-memory              serve GET /debug/memory: forces a full GC, then answers process.memoryUsage()
                              as JSON (the memory scenarios use it; off by default, a GC pauses the proxy)
  -h, --help                  this text
`;

const relayHelp = `Usage: mcp-perf relay --upstream URL [--listen HOST:PORT]

A raw TCP relay (a byte pipe, no HTTP parsing): the floor any proxy can reach. Used by the
direct-vs-proxied scenario as the third target. Same ready line and lifecycle as the proxy.

Options:
  --upstream URL        where to relay bytes to (loopback only)
  --listen HOST:PORT    where to listen (default 127.0.0.1:0)
  -h, --help            this text
`;

export const proxyCommand: Command = {
  name: 'proxy',
  summary: 'run the MCP proxy under test (HTTP reverse proxy, HTTP → stdio bridge, stdio forward)',
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

const benchHelp = `Usage: mcp-perf proxy-bench [--ms N]

Micro-benchmarks of the proxy's stages in this process: the bearer-token check, HS256 JWT verification, the
rate-limit bucket, the session-table lookup (10,000 sessions), JSON-RPC parsing and stdio line framing. Each is
timed in batches for --ms milliseconds (default 500) after a warm-up; prints one JSON line of per-operation
percentiles in nanoseconds. The components scenario runs it.

Options:
  --ms N       how long to time each component (default 500)
  -h, --help   this text
`;

export const proxyBenchCommand: Command = {
  name: 'proxy-bench',
  summary: "micro-benchmark the proxy's stages (auth, rate limit, sessions, parsing, framing)",
  help: benchHelp,
  async run(argv, io) {
    const { values } = parseFlags('proxy-bench', argv, { ms: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
    if (values.help) {
      io.stdout.write(benchHelp);
      return ExitCode.OK;
    }
    const { benchmarkComponents } = await import('./bench.js');
    io.stdout.write(JSON.stringify({ event: 'components', results: await benchmarkComponents(intFlag('ms', values.ms, 500, 10, 600_000)) }) + '\n');
    return ExitCode.OK;
  },
};

export const relayCommand: Command = {
  name: 'relay',
  summary: 'run a raw TCP relay (the floor any proxy can reach)',
  help: relayHelp,
  async run(argv, io) {
    const { values } = parseFlags('relay', argv, {
      upstream: { type: 'string' },
      listen: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
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
