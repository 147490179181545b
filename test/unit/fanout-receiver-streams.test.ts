/**
 * The fan-out receiver reads its streams from raw sockets with the HTTP/1.1 parser: sequenced events are counted
 * whatever the read boundaries and line endings, a refused stream fails its open with the status, and a stream whose
 * body turns malformed is ended and counted as dropped — never an exception out of the socket's read callback.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, test } from 'node:test';
import { FanoutReceiver } from '../../harness/load/sse-streams.js';
import type { SessionTarget } from '../../harness/load/mcp-session.js';
import type { McpHttpSession } from '../../harness/load/mcp-session.js';

const servers: net.Server[] = [];
after(() => servers.forEach((s) => s.close()));

/** A server that answers every connection with `reply(socket)` once the request head is in. */
async function serve(reply: (socket: net.Socket) => void): Promise<SessionTarget> {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true); // small writes leave as they are written: the reads split where the test cuts
    let head = '';
    socket.on('data', (d) => {
      head += String(d);
      if (head.includes('\r\n\r\n')) reply(socket);
    });
    socket.on('error', () => {});
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return { url: new URL(`http://127.0.0.1:${port}/mcp`) } as SessionTarget;
}

const session = { sessionId: 's1' } as McpHttpSession;
const event = (seq: number, eol = '\n'): string =>
  `event: message${eol}data: ${JSON.stringify({ jsonrpc: '2.0', method: 'n', params: { data: { seq, sentAtUs: 1 } } })}${eol}${eol}`;
const chunk = (text: string): string => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
const HEAD = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n';
const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
};

test('events split anywhere, LF or CRLF lines: every one counted once, in order', async () => {
  const text = event(1) + event(2, '\r\n') + event(3);
  const target = await serve((socket) => {
    const wire = HEAD + chunk(text.slice(0, 50)) + chunk(text.slice(50));
    // One byte at a time: head, chunk lines, events and each CRLF cut mid-way.
    for (const byte of wire) socket.write(byte);
  });
  const r = new FanoutReceiver();
  r.startCounting();
  await r.open(target, session);
  await until(() => r.tally.received === 3);
  assert.equal(r.tally.received, 3);
  assert.deepEqual([r.tally.lost(), r.tally.duplicated, r.tally.reordered, r.tally.dropped], [0, 0, 0, 0]);
  r.close();
});

test('a refused stream fails its open with the status; a malformed body ends the stream as dropped', async () => {
  const refused = await serve((socket) => socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n'));
  const r = new FanoutReceiver();
  await assert.rejects(r.open(refused, session), /GET stream answered HTTP 404/);
  // A bare LF in the head: refused by the scan that finds its end, as the proxy's client refuses it.
  const bare = await serve((socket) => socket.write('HTTP/1.1 200 OK\ncontent-type: text/event-stream\r\n\r\n'));
  await assert.rejects(r.open(bare, session), /GET stream: a malformed response head/);
  const broken = await serve((socket) => socket.write(HEAD + chunk(event(1)) + 'zz\r\n'));
  r.startCounting();
  await r.open(broken, session);
  await until(() => r.tally.dropped === 1);
  assert.equal(r.tally.received, 1, 'the event before the bad chunk');
  assert.equal(r.tally.dropped, 1, 'the stream ended, counted');
  r.close();
});
