/**
 * The load scripts/instructions.ts counts under cachegrind: in ONE process, a raw loopback upstream answering every
 * POST at once, the reverse proxy of a built checkout (its `startHttpProxy`, as `mcp-perf proxy` runs it) in front of
 * it, and raw keep-alive clients calling tools/call through one session, one call at a time each. Everything but the
 * proxy — clients, upstream, this script — costs the same whichever build is in the seat, and `--seat direct` (the
 * clients on the upstream, no proxy) prices it alone.
 *
 * `--seat external` puts a proxy of another process in the seat — nginx, or `mcp-perf proxy` — listening at `--via`
 * and forwarding to this bench's upstream at `--upstream-port`: instructions.ts counts that process alone under
 * valgrind and runs this bench outside it, so a proxy in any language is counted the same way.
 *
 *   node --single-threaded dist/scripts/instructions-bench.js [--dist DIR] [--seat proxy|direct] [--warm N] [--calls N]
 *   node dist/scripts/instructions-bench.js --seat external --upstream-port P --via http://127.0.0.1:Q/mcp [...]
 *
 * Not meant to be run by hand (it prints only how long the calls took); instructions.ts runs it under valgrind.
 * Loopback only; it ends by itself after its calls.
 */
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fail, scriptArgs } from './args.js';

const USAGE = `usage: node --single-threaded dist/scripts/instructions-bench.js [--dist DIR] [--seat proxy|direct|external] [--warm N] [--calls N]
  --dist DIR          the built dist/ whose proxy takes the seat (default: this one)
  --seat S            proxy (default); direct: the clients on the upstream, no proxy; external: a proxy of its own
                      process at --via, forwarding to this bench's upstream at --upstream-port
  --upstream-port P   external: the loopback port the upstream listens on
  --via URL           external: the proxy's URL, on loopback (it may still be starting: it is retried for 3 minutes)
  --warm N            calls before the counted ones, for the JIT (default 8000)
  --calls N           calls counted (default 2000)`;
const values = scriptArgs('instructions-bench', USAGE, {
  dist: { type: 'string' },
  seat: { type: 'string' },
  warm: { type: 'string' },
  calls: { type: 'string' },
  'upstream-port': { type: 'string' },
  via: { type: 'string' },
});
const count = (flag: string, value: string | undefined, fallback: number): number => {
  const n = Number(value ?? fallback);
  if (!Number.isInteger(n) || n < 0 || n > 10_000_000)
    fail('instructions-bench', `--${flag} must be a whole number from 0 to 10000000, not ${value}`, USAGE);
  return n;
};
const warm = count('warm', values.warm, 8000);
const calls = count('calls', values.calls, 2000);
const seat = values.seat ?? 'proxy';
if (seat !== 'proxy' && seat !== 'direct' && seat !== 'external')
  fail('instructions-bench', `--seat must be proxy, direct or external, not ${seat}`, USAGE);
const upstreamPort = count('upstream-port', values['upstream-port'], 0);
if (seat === 'external') {
  if (values.via === undefined || values['upstream-port'] === undefined || upstreamPort > 65_535)
    fail('instructions-bench', '--seat external needs --upstream-port (1 to 65535) and --via', USAGE);
  const via = URL.canParse(values.via) ? new URL(values.via) : undefined;
  if (via?.hostname !== '127.0.0.1' || via.protocol !== 'http:')
    fail('instructions-bench', `--via must be an http:// URL on 127.0.0.1, not ${values.via}`, USAGE);
}
const dist = values.dist ?? fileURLToPath(new URL('..', import.meta.url));

const SESSION = 'b3f1c2a4-5d6e-4f70-8a9b-0c1d2e3f4a5b';
const RESULT = Buffer.from(
  `{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"${'x'.repeat(100)}"}],"isError":false}}`,
);
const INITIALIZED = Buffer.from(
  '{"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-11-25","capabilities":{},"serverInfo":{"name":"b","version":"1"}}}',
);

/**
 * Calls back with each message's head and body as Content-Length frames them (all this load sends). Not core's
 * parser: the bench's own cost must not move with the code it is there to count.
 */
function messages(onMessage: (head: string, body: Buffer) => void): (chunk: Buffer) => void {
  let kept: Buffer | undefined;
  return (chunk) => {
    let buf = kept === undefined ? chunk : Buffer.concat([kept, chunk]);
    kept = undefined;
    for (;;) {
      const headEnd = buf.indexOf('\r\n\r\n');
      if (headEnd === -1) break;
      const head = buf.toString('latin1', 0, headEnd);
      const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      const end = headEnd + 4 + length;
      if (buf.length < end) break;
      onMessage(head, buf.subarray(headEnd + 4, end));
      buf = buf.subarray(end);
      if (buf.length === 0) return;
    }
    kept = Buffer.from(buf);
  };
}

const upstream = net.createServer({ noDelay: true }, (socket) => {
  socket.on(
    'data',
    messages((head, body) => {
      const initialize = body.includes('"initialize"');
      const answer = initialize ? INITIALIZED : RESULT;
      const session = initialize ? `mcp-session-id: ${SESSION}\r\n` : '';
      socket.write(
        `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n${session}content-length: ${answer.length}\r\n\r\n${answer.toString('latin1')}`,
        'latin1',
      );
    }),
  );
});
await new Promise<void>((resolve) => upstream.listen(upstreamPort, '127.0.0.1', resolve));
const upstreamUrl = `http://127.0.0.1:${(upstream.address() as net.AddressInfo).port}/mcp`;

let url = seat === 'external' ? values.via! : upstreamUrl;
if (seat === 'proxy') {
  const { validateProxyConfig } = (await import(join(dist, 'proxy/config.js'))) as typeof import('../proxy/config.js');
  const { startHttpProxy } = (await import(
    join(dist, 'proxy/front/http.js')
  )) as typeof import('../proxy/front/http.js');
  const { createLogger } = (await import(join(dist, 'proxy/log.js'))) as typeof import('../proxy/log.js');
  // No health checks: they come by the clock (every 5 s), and under valgrind a run takes long enough for a dozen of
  // them, each a whole exchange, more or fewer per run (with them, two runs of one build side by side read 8M of 5.1G
  // instructions apart; without, 0.5M of 4.5G).
  const { config } = validateProxyConfig([
    '--upstream',
    upstreamUrl,
    '--listen',
    '127.0.0.1:0',
    '--health-interval-ms',
    '0',
  ]);
  url = (await startHttpProxy(config, createLogger('error'))).url;
}
const { port } = new URL(url);
const post = (body: string, session?: string): string =>
  `POST /mcp HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\naccept: application/json, text/event-stream\r\n` +
  (session === undefined ? '' : `mcp-session-id: ${session}\r\nmcp-protocol-version: 2025-11-25\r\n`) +
  `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

const socket = await connect(Number(port));
let answered: ((head: string) => void) | undefined;
socket.on(
  'data',
  messages((head) => answered?.(head)),
);
const call = (text: string): Promise<string> =>
  new Promise((resolve) => {
    answered = resolve;
    socket.write(text, 'latin1');
  });

const initialize = await call(
  post(
    '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"b","version":"1"}}}',
  ),
);
const session = /mcp-session-id: *(\S+)/i.exec(initialize)?.[1] ?? SESSION;
const request = post(
  '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"}}}',
  session,
);
for (let i = 0; i < warm; i++) {
  const head = await call(request);
  if (!head.startsWith('HTTP/1.1 200')) {
    process.stderr.write(`instructions-bench: a call was answered ${head.split('\r\n')[0]}\n`);
    process.exit(1);
  }
}
const started = process.hrtime.bigint();
for (let i = 0; i < calls; i++) await call(request);
process.stdout.write(`${calls} calls in ${Number(process.hrtime.bigint() - started) / 1e6} ms\n`);
process.exit(0);

/**
 * A connection to the seat. An external one may still be starting under valgrind (node takes seconds there), so a
 * refused connection is retried every 200 ms for up to 3 minutes.
 */
async function connect(to: number): Promise<net.Socket> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const socket = net.connect({ port: to, host: '127.0.0.1', noDelay: true });
    const error = await new Promise<Error | undefined>((resolve) => {
      socket.once('connect', () => resolve(undefined));
      socket.once('error', resolve);
    });
    if (error === undefined) return socket;
    socket.destroy();
    if (seat !== 'external' || Date.now() > deadline) {
      process.stderr.write(`instructions-bench: cannot connect to 127.0.0.1:${to}: ${error.message}\n`);
      process.exit(1);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
