/** `mcp-perf proxy` and `mcp-perf relay`: the systems under test, each as its own process. */
import type { Command } from '../harness/command.js';
import { intFlag, listenFlag, loopbackUrlFlag, parseFlags } from '../harness/config/flags.js';
import { ExitCode } from '../harness/errors.js';
import { serveUntilStopped } from '../harness/runner/service.js';
import { startReverseProxy } from './http-reverse.js';
import { startTcpRelay } from './tcp-relay.js';

const proxyHelp = `Usage: mcp-perf proxy --upstream URL [options]

An MCP Streamable HTTP reverse proxy: POST/GET/DELETE are forwarded with their MCP headers over pooled
keep-alive connections; SSE responses are streamed through chunk by chunk. Upstream refused → 502,
upstream slower than --upstream-timeout-ms → 504, both with a JSON-RPC error body.
Prints one JSON ready line with its URL, runs until SIGTERM/SIGINT or until the pipe on its stdin closes.

Options:
  --upstream URL              the MCP server to forward to (loopback only), e.g. http://127.0.0.1:3000/mcp
  --listen HOST:PORT          where to listen (default 127.0.0.1:0; loopback only)
  --upstream-timeout-ms MS    wait for upstream response headers at most this long (default 30000)
  --max-body-bytes N          larger request bodies get 413 (default 4194304)
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
  summary: 'run the MCP reverse proxy under test',
  help: proxyHelp,
  async run(argv, io) {
    const { values } = parseFlags('proxy', argv, {
      upstream: { type: 'string' },
      listen: { type: 'string' },
      'upstream-timeout-ms': { type: 'string' },
      'max-body-bytes': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout.write(proxyHelp);
      return ExitCode.OK;
    }
    const proxy = await startReverseProxy({
      ...listenFlag('listen', values.listen, '127.0.0.1:0'),
      upstream: loopbackUrlFlag('upstream', values.upstream),
      upstreamTimeoutMs: intFlag('upstream-timeout-ms', values['upstream-timeout-ms'], 30_000, 1, 3_600_000),
      maxBodyBytes: intFlag('max-body-bytes', values['max-body-bytes'], 4 * 1024 * 1024, 1, 1024 * 1024 * 1024),
    });
    await serveUntilStopped('proxy-http', proxy, io);
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
