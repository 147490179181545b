/** `mcp-perf mock <kind>`: a fake MCP server as its own process. */
import type { Command } from '../core/runtime/command.js';
import {
  choiceFlag,
  HELP_FLAG,
  intFlag,
  listenFlag,
  numberFlag,
  parseFlags,
  renderOptions,
  type FlagSpecs,
  wrapHelp,
} from '../core/runtime/flags.js';
import { adaptiveTimers } from '../core/runtime/clock.js';
import { tierUpSooner } from '../core/runtime/tier-up.js';
import { ConfigError, ExitCode } from '../core/runtime/errors.js';
import { serveUntilStopped } from '../core/runtime/service.js';
import { startHttpMock } from './http.js';
import { serveStdioMock } from './stdio.js';
import { startLegacySseMock } from './legacy-sse.js';
import { parseLatency, parseStall } from './knobs.js';

const MOCK_FLAGS: FlagSpecs = {
  host: { type: 'string', value: 'HOST', help: 'loopback address to bind', default: '127.0.0.1' },
  port: { type: 'string', value: 'N', help: 'port, 0 for a free one', default: 0 },
  'latency-ms': { type: 'string', value: 'MS', help: 'delay before each tools/call answer', default: 0 },
  latency: {
    type: 'string',
    value: 'SPEC',
    help: 'a distribution instead: fixed:MS | uniform:MIN-MAX | lognormal:MEDIAN:SIGMA',
  },
  stall: {
    type: 'string',
    value: 'PAUSE/EVERY',
    help: 'hold every call arriving in the last PAUSE ms of each EVERY ms (e.g. 200/2000)',
  },
  'error-rate': { type: 'string', value: 'P', help: 'fail this fraction (0..1) of tools/call', default: 0 },
  'error-kind': {
    type: 'string',
    value: 'KIND',
    help: 'rpc (a JSON-RPC error) | http500 | drop (connection closed; stdio: no answer)',
  },
  seed: { type: 'string', value: 'N', help: 'seed for latency and error draws', default: 1 },
  'notify-rate': { type: 'string', value: 'N', help: 'sequenced notifications per second per open stream', default: 0 },
  'notify-pattern': {
    type: 'string',
    value: 'broadcast|spread',
    help: 'http, sse: every stream in the same tick, or each stream in its own phase of the period',
    default: 'broadcast',
  },
  progress: {
    type: 'string',
    value: 'N',
    help: 'send N notifications/progress during each call that has a progressToken',
    default: 0,
  },
  'cross-answers': {
    type: 'string',
    value: 'N',
    help: "every Nth echo answer carries the previous echo call's text (a crossed answer, to test a client's check)",
    default: 0,
  },
  'payload-bytes': { type: 'string', value: 'N', help: 'size of the echo payload', default: 64 },
  response: {
    type: 'string',
    value: 'json|sse',
    help: 'http: answer POSTs with a JSON body or a one-event SSE stream',
    default: 'json',
  },
  'max-line-bytes': { type: 'string', value: 'N', help: 'stdio: longer lines are refused', default: 4_194_304 },
  name: {
    type: 'string',
    value: 'NAME',
    help: 'serverInfo.name in the initialize answer, to tell mocks apart',
    default: 'mcp-perf-mock',
  },
  'keep-alive-ms': {
    type: 'string',
    value: 'MS',
    help: 'http, sse: close a connection idle this long (its Keep-Alive header says so)',
    default: 30_000,
  },
  control: {
    type: 'boolean',
    help: 'http: serve POST /control, whose JSON body {"latencyMs":N,"errorRate":P,"errorKind":K}\nchanges those knobs while the mock runs (faults on and off mid-run; loopback only)',
  },
  help: HELP_FLAG,
};

const help = wrapHelp(`Usage: mcp-perf mock http [options]
       mcp-perf mock stdio [options]
       mcp-perf mock sse [options]

A fake MCP server.
  http    Streamable HTTP (revisions 2025-11-25 and 2025-06-18) at /mcp. It prints one JSON ready line, e.g.
          {"event":"ready","kind":"mock-http","url":"http://127.0.0.1:41234/mcp","pid":123}, and runs until
          SIGTERM/SIGINT or until the pipe on its stdin closes.
  stdio   newline-delimited JSON-RPC on stdin/stdout, as an MCP client spawns a server. No ready line (stdout is
          the MCP channel); it ends when stdin closes. Pipelined requests are answered as each completes.
  sse     legacy HTTP+SSE (2024-11-05): GET /sse, then POST /messages?sessionId=…; ready line like http.

Tools: echo — answers after the latency with its argument text followed by a payload of --payload-bytes
(a call may override both with the arguments latencyMs and payloadBytes); mcp-perf's load puts a token unique
to each call in text and checks the answer starts with it;
sample — asks the client for a completion (sampling/createMessage) and returns its text;
elicit — asks the client for input (elicitation/create) and returns its answer.
Over HTTP, what a call sends the client travels on the POST's stream with --response sse, else on the
session's GET stream.
2026-07-28: an echo call with task: true from a client that declares io.modelcontextprotocol/tasks gets a
task handle at once; tasks/get, tasks/cancel and tasks/update follow it (docs/mocks.md).
Cancel: notifications/cancelled (and in 2026-07-28 a closed response stream) stops a call, unanswered;
the method mcp-perf/stats answers {calls, cancelled, inFlight} for this process.
Notifications: with --notify-rate N, every open stream (an HTTP GET stream; stdout for stdio, after
notifications/initialized) gets N notifications/message per second whose data is {"seq":n,"sentAtUs":t}:
seq counts from 1 per stream without gaps, t is the send time in µs since the epoch. --notify-pattern
broadcast (default) notifies every stream in the same tick; spread gives each stream its own phase of
the period (~1 ms slots), as independent sessions' notifications arrive.

${renderOptions(MOCK_FLAGS)}`);

export const mockCommand: Command = {
  help,
  async run(argv, io) {
    const { values, positionals } = parseFlags('mock', argv, MOCK_FLAGS, true);
    if (values.help) {
      io.stdout.write(help);
      return ExitCode.OK;
    }
    // A mock process's timers adapt their lead and spin (core/runtime/clock.ts): ~30% less CPU per call answered one
    // at a time, which on 2 cores is headroom for the proxy and the generator; its precision serves every target alike.
    adaptiveTimers();
    tierUpSooner();
    const kind = positionals[0];
    if (kind !== 'http' && kind !== 'stdio' && kind !== 'sse') {
      throw new ConfigError(
        kind === undefined
          ? 'name a kind: `mcp-perf mock http`, `stdio` or `sse`'
          : `unknown kind "${kind}"; available: http, stdio, sse`,
      );
    }
    if (values.latency !== undefined && values['latency-ms'] !== undefined)
      throw new ConfigError('give --latency-ms or --latency, not both');
    const behaviour = {
      latencyMs: numberFlag('latency-ms', values['latency-ms'], 0, 0, 600_000),
      payloadBytes: intFlag('payload-bytes', values['payload-bytes'], 64, 0, 64 * 1024 * 1024),
      latency: values.latency === undefined ? undefined : parseLatency(String(values.latency)),
      stall: values.stall === undefined ? undefined : parseStall(String(values.stall)),
      errorRate: numberFlag('error-rate', values['error-rate'], 0, 0, 1),
      errorKind: choiceFlag('error-kind', values['error-kind'], 'rpc', ['rpc', 'http500', 'drop'] as const),
      seed: intFlag('seed', values.seed, 1, 0, 2 ** 32 - 1),
      notifyRate: numberFlag('notify-rate', values['notify-rate'], 0, 0, 100_000),
      notifyPattern: choiceFlag('notify-pattern', values['notify-pattern'], 'broadcast', [
        'broadcast',
        'spread',
      ] as const),
      progress: intFlag('progress', values.progress, 0, 0, 10_000),
      name: values.name === undefined ? undefined : nameFlag(String(values.name)),
      crossEvery: intFlag('cross-answers', values['cross-answers'], 0, 0, 1_000_000),
    };
    if (values.control === true && kind !== 'http')
      throw new ConfigError('--control is served by `mcp-perf mock http` only');
    if (values['keep-alive-ms'] !== undefined && kind === 'stdio')
      throw new ConfigError('--keep-alive-ms is for the HTTP mocks (`mcp-perf mock http` or `sse`)');
    const keepAliveMs = intFlag('keep-alive-ms', values['keep-alive-ms'], 30_000, 100, 3_600_000);
    if (kind === 'stdio') {
      await serveStdioMock(
        { ...behaviour, maxLineBytes: intFlag('max-line-bytes', values['max-line-bytes'], 4 * 1024 * 1024, 64) },
        process.stdin,
        io.stdout,
      );
      return ExitCode.OK;
    }
    const port = intFlag('port', values.port, 0, 0, 65535);
    const { host } = listenFlag('host', `${values.host ?? '127.0.0.1'}:${port}`, '127.0.0.1:0');
    if (kind === 'sse') {
      const legacy = await startLegacySseMock({ host, port, keepAliveMs, ...behaviour });
      await serveUntilStopped('mock-sse', legacy, io);
      return ExitCode.OK;
    }
    const mock = await startHttpMock({
      host,
      port,
      ...behaviour,
      keepAliveMs,
      response: choiceFlag('response', values.response, 'json', ['json', 'sse'] as const),
      control: values.control === true,
    });
    await serveUntilStopped('mock-http', mock, io);
    return ExitCode.OK;
  },
};

function nameFlag(name: string): string {
  if (!/^[\w.@-]{1,64}$/.test(name))
    throw new ConfigError(`--name must be 1–64 letters, digits, ".", "@", "-" or "_", got "${name}"`);
  return name;
}
