/** `mcp-perf mock <kind>`: a fake MCP server as its own process. */
import type { Command } from '../harness/command.js';
import { choiceFlag, intFlag, listenFlag, numberFlag, parseFlags } from '../harness/config/flags.js';
import { ConfigError, ExitCode } from '../harness/errors.js';
import { serveUntilStopped } from '../harness/runner/service.js';
import { startHttpMock } from './http.js';
import { serveStdioMock } from './stdio.js';

const help = `Usage: mcp-perf mock http [options]
       mcp-perf mock stdio [options]

A fake MCP server.
  http    Streamable HTTP (revisions 2025-11-25 and 2025-06-18) at /mcp. It prints one JSON ready line, e.g.
          {"event":"ready","kind":"mock-http","url":"http://127.0.0.1:41234/mcp","pid":123}, and runs until
          SIGTERM/SIGINT or until the pipe on its stdin closes.
  stdio   newline-delimited JSON-RPC on stdin/stdout, as an MCP client spawns a server. No ready line (stdout is
          the MCP channel); it ends when stdin closes. Pipelined requests are answered as each completes.

Tools: echo — answers after --latency-ms with a text payload of --payload-bytes
(a call may override both with the arguments latencyMs and payloadBytes).

Options:
  --host HOST            loopback address to bind (default 127.0.0.1)
  --port N               port, 0 for a free one (default 0)
  --latency-ms MS        delay before each tools/call answer (default 0)
  --payload-bytes N      size of the echo payload (default 64)
  --response json|sse    http: answer POSTs with a JSON body or a one-event SSE stream (default json)
  --max-line-bytes N     stdio: longer lines are refused (default 4194304)
  -h, --help             this text
`;

export const mockCommand: Command = {
  name: 'mock',
  summary: 'run a fake MCP server (Streamable HTTP or stdio) with latency and payload knobs',
  help,
  async run(argv, io) {
    const { values, positionals } = parseFlags(
      'mock',
      argv,
      {
        host: { type: 'string' },
        port: { type: 'string' },
        'latency-ms': { type: 'string' },
        'payload-bytes': { type: 'string' },
        response: { type: 'string' },
        'max-line-bytes': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      true,
    );
    if (values.help) {
      io.stdout.write(help);
      return ExitCode.OK;
    }
    const kind = positionals[0];
    if (kind !== 'http' && kind !== 'stdio') {
      throw new ConfigError(kind === undefined ? 'name a kind: `mcp-perf mock http` or `mcp-perf mock stdio`' : `unknown kind "${kind}"; available: http, stdio`);
    }
    const latencyMs = numberFlag('latency-ms', values['latency-ms'], 0, 0, 600_000);
    const payloadBytes = intFlag('payload-bytes', values['payload-bytes'], 64, 0, 64 * 1024 * 1024);
    if (kind === 'stdio') {
      await serveStdioMock({ latencyMs, payloadBytes, maxLineBytes: intFlag('max-line-bytes', values['max-line-bytes'], 4 * 1024 * 1024, 64) }, process.stdin, io.stdout);
      return ExitCode.OK;
    }
    const port = intFlag('port', values.port, 0, 0, 65535);
    const { host } = listenFlag('host', `${values.host ?? '127.0.0.1'}:${port}`, '127.0.0.1:0');
    const mock = await startHttpMock({
      host,
      port,
      latencyMs,
      payloadBytes,
      response: choiceFlag('response', values.response, 'json', ['json', 'sse'] as const),
    });
    await serveUntilStopped('mock-http', mock, io);
    return ExitCode.OK;
  },
};
