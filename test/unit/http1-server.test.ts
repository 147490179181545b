import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { Http1Server, type ProxyRequest, type ProxyResponse } from '../../proxy/http1/server.js';

/** What the test server saw: each request, and how each response ended. */
const seen: { method: string; url: string; body: string | null }[] = [];
const closes: string[] = [];
let server: Http1Server;
let port: number;

/**
 * /echo answers with what it read; /stream writes two chunks without a length and ends; /slow answers after
 * 300 ms; /hang never answers (for the disconnect test); /head-only answers 204.
 */
function handler(req: ProxyRequest, res: ProxyResponse): void {
  res.on('close', () => closes.push(`${req.url} ${res.writableFinished ? 'finished' : 'cut'}`));
  req.readBody((body) => {
    seen.push({ method: req.method, url: req.url, body: body === undefined ? null : body.toString() });
    if (req.url === '/echo')
      return void res
        .writeHead(200, { 'Content-Type': 'text/plain' })
        .end(`${req.method} ${body === undefined ? 'TOO LARGE' : body.toString()}`);
    if (req.url === '/stream') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.flushHeaders();
      res.write('data: 1\n\n');
      res.write(Buffer.from('data: 2\n\n'));
      return void res.end();
    }
    if (req.url === '/slow') return void setTimeout(() => res.writeHead(200).end('slow'), 300);
    if (req.url === '/no-content') return void res.writeHead(204).end();
    if (req.url === '/passed')
      // An upstream's head passed on: its hop-by-hop fields left out, its Date kept, a field set here winning.
      return void res
        .writeHeadFrom(
          201,
          {
            'content-type': 'application/json',
            connection: 'close',
            'keep-alive': 'timeout=5',
            date: 'Wed, 02 Dec 2026 00:00:00 GMT',
            'set-cookie': ['a=1', 'b=2'],
            'x-from': 'upstream',
          },
          new Set(['connection', 'keep-alive']),
        )
        .setHeader('x-from', 'proxy')
        .end('{}');
    if (req.url === '/undefined-field')
      // What a JavaScript caller may pass: an undefined value is no field (and a Date is still written).
      return void res
        .writeHead(200, { 'x-gone': undefined, date: undefined } as unknown as Record<string, string>)
        .end('ok');
    if (req.url === '/hang') return;
    res.writeHead(404).end('no');
  });
}

before(async () => {
  server = new Http1Server({ maxBodyBytes: 64, requestTimeoutMs: 600, keepAliveTimeoutMs: 600, sweepMs: 100 }, handler);
  await new Promise<void>((resolve) => server.net.listen(0, '127.0.0.1', resolve));
  port = (server.net.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(resolve));
});

/** Sends raw bytes (in pieces, if given several) and collects everything until the server closes or `until` matches. */
function talk(
  pieces: (string | Buffer)[],
  until?: (text: string) => boolean,
  gapMs = 0,
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    const done = (closed: boolean): void => {
      socket.destroy();
      resolve({ text, closed });
    };
    socket.on('data', (d) => {
      text += d.toString('latin1');
      if (until?.(text)) done(false);
    });
    socket.on('close', () => done(true));
    socket.on('error', reject);
    void (async () => {
      for (const piece of pieces) {
        socket.write(piece);
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
    })();
  });
}

const count = (text: string, what: string): number => text.split(what).length - 1;
const STATUS = /^HTTP\/1\.1 (\d{3}) /;

test('keep-alive: two requests on one connection, each framed by Content-Length', async () => {
  const req = 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello';
  const { text, closed } = await talk([req, req.replace('hello', 'world')], (t) => count(t, 'POST ') === 2);
  assert.equal(closed, false, 'the connection stays open');
  assert.equal(count(text, 'HTTP/1.1 200 OK'), 2);
  assert.match(text, /content-length: 10\r\n/);
  assert.match(text, /\r\n\r\nPOST hello/);
  assert.match(text, /\r\n\r\nPOST world/);
  assert.match(text, /date: /);
});

test('pipelined requests are answered in order, even when the first is slower', async () => {
  const { text } = await talk(
    ['GET /slow HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi'],
    (t) => t.includes('POST hi'),
  );
  assert.ok(text.indexOf('slow') < text.indexOf('POST hi'), text);
});

test('a chunked request body arrives whole, sent a few bytes at a time', async () => {
  const wire =
    'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4;x=y\r\ndefg\r\n0\r\n\r\n';
  const pieces = wire.match(/[\s\S]{1,7}/g)!;
  const { text } = await talk(pieces, (t) => t.includes('POST abcdefg'), 2);
  assert.match(text, STATUS);
  assert.match(text, /POST abcdefg$/);
});

test('what a connection keeps between reads (half a head, half a body, a pipelined request) survives other connections reading', async () => {
  // Every connection reads into one shared buffer: anything kept past a read must have been copied out of it.
  const a = net.connect(port, '127.0.0.1');
  let text = '';
  a.on('data', (d) => (text += d.toString('latin1')));
  const sent = (piece: string): Promise<void> => new Promise((resolve) => a.write(piece, () => resolve()));
  const pause = (): Promise<void> => new Promise((r) => setTimeout(r, 50));
  const other = (): Promise<{ text: string }> =>
    talk([`POST /echo HTTP/1.1\r\nHost: zzzz\r\nContent-Length: 40\r\n\r\n${'Z'.repeat(40)}`], (t) =>
      t.includes('Z'.repeat(40)),
    );
  try {
    const answered = async (what: string): Promise<void> => {
      for (let i = 0; i < 100 && !text.includes(what); i++) await pause();
    };
    await sent('POST /echo HTTP/1.1\r\nHost: x\r\nCont');
    await pause();
    await other();
    await sent('ent-Length: 5\r\n\r\nhello');
    await answered('POST hello');
    await sent('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nwor');
    await pause();
    await other();
    await sent('ld');
    await answered('POST world');
    await sent('GET /slow HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi');
    await pause();
    await other(); // while /slow is answered, the pipelined request waits in the connection
    await answered('POST hi');
    assert.match(text, /\r\n\r\nPOST hello/);
    assert.match(text, /\r\n\r\nPOST world/);
    assert.ok(text.indexOf('slow') < text.indexOf('POST hi'), text);
    assert.doesNotMatch(text, /Z/);
  } finally {
    a.destroy();
  }
});

test('Expect: 100-continue gets its interim answer before the body is sent', async () => {
  const socket = net.connect(port, '127.0.0.1');
  const got: string[] = [];
  await new Promise<void>((resolve) => {
    socket.on('data', (d) => {
      got.push(d.toString());
      const all = got.join('');
      if (all.includes('HTTP/1.1 100 Continue\r\n\r\n') && !all.includes('POST ')) socket.write('12345');
      if (all.includes('POST 12345')) resolve();
    });
    socket.write('POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n');
  });
  socket.destroy();
  assert.match(got.join(''), /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
});

test('a streamed answer is chunked on the wire; a 204 has no body; HTTP/1.0 gets no chunks and a closed connection', async () => {
  const stream = await talk(['GET /stream HTTP/1.1\r\nHost: x\r\n\r\n'], (t) => t.endsWith('0\r\n\r\n'));
  assert.match(stream.text, /transfer-encoding: chunked\r\n/);
  assert.match(stream.text, /\r\n\r\n9\r\ndata: 1\n\n\r\n9\r\ndata: 2\n\n\r\n0\r\n\r\n$/);
  const empty = await talk(['GET /no-content HTTP/1.1\r\nHost: x\r\n\r\n'], (t) => t.includes('\r\n\r\n'));
  assert.match(empty.text, /^HTTP\/1\.1 204 No Content\r\n/);
  assert.doesNotMatch(empty.text, /content-length|transfer-encoding/);
  const old = await talk(['GET /stream HTTP/1.0\r\n\r\n']);
  assert.equal(old.closed, true);
  assert.doesNotMatch(old.text, /transfer-encoding/);
  assert.match(old.text, /connection: close\r\n/);
  assert.match(old.text, /\r\n\r\ndata: 1\n\ndata: 2\n\n$/);
});

test('writeHeadFrom passes a parsed head on less the fields named, keeps its Date, and lets fields set here win', async () => {
  // Two requests on one connection: the upstream's Connection: close was its own, so the client's stays open.
  const request = 'GET /passed HTTP/1.1\r\nHost: x\r\n\r\n';
  const { text } = await talk([request + request], (t) => count(t, '{}') === 2);
  assert.equal(count(text, 'HTTP/1.1 201 Created'), 2, text);
  assert.match(text, /^HTTP\/1\.1 201 Created\r\n/);
  assert.match(text, /\r\ncontent-type: application\/json\r\n/);
  assert.match(text, /\r\nset-cookie: a=1\r\nset-cookie: b=2\r\n/);
  assert.match(text, /\r\ndate: Wed, 02 Dec 2026 00:00:00 GMT\r\n/);
  assert.equal(count(text, 'date:'), 2, 'no second Date in either answer');
  assert.equal(count(text, 'x-from:'), 2);
  assert.match(text, /\r\nx-from: proxy\r\n/);
  assert.doesNotMatch(text, /connection: close|keep-alive: timeout/, "the upstream's hop-by-hop fields stay behind");
  assert.match(text, /\r\ncontent-length: 2\r\n\r\n\{\}HTTP/);
});

test('a field set to undefined is not written, and does not stand in for a Date', async () => {
  const { text } = await talk(['GET /undefined-field HTTP/1.1\r\nHost: x\r\n\r\n'], (t) => t.endsWith('ok'));
  assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
  assert.doesNotMatch(text, /x-gone|undefined/, text);
  assert.equal(count(text, 'date:'), 1, text);
});

test('bad requests get a JSON-RPC error with the right status, then the connection closes', async () => {
  const cases: [string, number][] = [
    ['GET / HTTP/1.1\r\nHost: x\r\nBad Header: x\r\n\r\n', 400],
    ['POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n', 400],
    ['POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n', 501],
    ['GET / HTTP/1.2\r\n\r\n', 505],
    [`GET / HTTP/1.1\r\nHost: x\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    [`GET / HTTP/1.1\r\nHost: x\r\n${'a\r\n'.repeat(5_000)}\r\n`, 431], // more lines than the scan's table, in 15 KB
    ['POST /echo HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\nContent-Length: 1\r\n\r\nx', 417],
    ['POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400],
  ];
  for (const [wire, status] of cases) {
    const { text, closed } = await talk([wire]);
    assert.equal(STATUS.exec(text)?.[1], String(status), wire.slice(0, 60));
    assert.equal(closed, true, `${status}: connection closed`);
    assert.match(text, /"jsonrpc":"2\.0"/);
  }
});

test('a body over maxBodyBytes is read and reported as too large, not kept', async () => {
  const body = 'x'.repeat(100);
  const { text } = await talk(
    [`POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`],
    (t) => t.includes('TOO LARGE'),
  );
  assert.match(text, /POST TOO LARGE$/);
  assert.equal(seen.at(-1)?.body, null);
});

test('a client that goes away mid-answer: the response hears "close" without finishing', async () => {
  const socket = net.connect(port, '127.0.0.1');
  socket.write('GET /hang HTTP/1.1\r\nHost: x\r\n\r\n');
  for (let i = 0; i < 100 && !seen.some((s) => s.url === '/hang'); i++) await new Promise((r) => setTimeout(r, 10));
  socket.destroy();
  for (let i = 0; i < 100 && !closes.includes('/hang cut'); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(closes.includes('/hang cut'), closes.join());
});

test('a head that never completes gets 408 after the request timeout; an idle connection is closed after keep-alive', async () => {
  const t0 = Date.now();
  const slow = await talk(['GET /echo HTTP/1.1\r\nHost: x\r\nX-Half: ']);
  assert.equal(STATUS.exec(slow.text)?.[1], '408');
  assert.ok(Date.now() - t0 >= 600, 'not before the timeout');
  const idle = await talk(['GET /echo HTTP/1.1\r\nHost: x\r\n\r\n']);
  assert.equal(idle.closed, true, 'closed by the server, not by the test');
  for (let i = 0; i < 100 && server.connections > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(server.connections, 0, 'the server forgot both connections');
});

test('keep-alive applies once a connection is used: a new one waits for its first request as long as a request may take', async () => {
  // Keep-alive 100 ms, request timeout 5 s: a connection that has sent nothing yet for 400 ms (past three sweeps) is
  // still served. Judged by keep-alive from the accept, it was destroyed — under load, with its request already sent
  // and unread, which its client saw as ECONNRESET.
  const quick = new Http1Server(
    { maxBodyBytes: 64, requestTimeoutMs: 5_000, keepAliveTimeoutMs: 100, sweepMs: 100 },
    handler,
  );
  await new Promise<void>((resolve) => quick.net.listen(0, '127.0.0.1', resolve));
  try {
    const socket = net.connect((quick.net.address() as AddressInfo).port, '127.0.0.1');
    let text = '';
    let closed = false;
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('close', () => (closed = true));
    socket.on('error', () => {});
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(closed, false, 'not closed before its first request');
    socket.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi');
    for (let i = 0; i < 100 && !text.includes('POST hi'); i++) await new Promise((r) => setTimeout(r, 10));
    assert.match(text, /^HTTP\/1\.1 200 /);
    // Used now: the keep-alive limit applies, and the sweep closes it.
    for (let i = 0; i < 200 && !closed; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(closed, true, 'closed once idle after its answer');
  } finally {
    quick.closeAllConnections();
    await new Promise<void>((resolve) => quick.close(resolve));
  }
});
