import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { Http1Pool, UpstreamError, type ResponseHandler, type UpstreamRequest } from '../../proxy/http1/client.js';
import type { Headers } from '../../core/protocol/http1-parse.js';

let server: http.Server;
let origin: URL;
let connections = 0;
const serverSaw: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
const serverClosed: string[] = [];
let secondChunkWritten = false;

before(async () => {
  server = http.createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      serverSaw.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      res.on('close', () => serverClosed.push(req.url!));
      switch (req.url) {
        case '/json':
          return void res
            .writeHead(200, { 'Content-Type': 'application/json', 'Mcp-Session-Id': 'abc' })
            .end(`{"echo":${JSON.stringify(body)}}`);
        case '/sse':
          res.writeHead(200, { 'Content-Type': 'text/event-stream' });
          res.write('data: 1\n\n');
          return void setTimeout(() => {
            secondChunkWritten = true;
            res.end('data: 2\n\n');
          }, 100);
        case '/close':
          return void res.writeHead(200, { Connection: 'close', 'Content-Length': '2' }).end('ok');
        case '/short-keepalive':
          return void res.writeHead(200, { 'Keep-Alive': 'timeout=1', 'Content-Length': '2' }).end('ok');
        case '/big':
          return void res
            .writeHead(200, { 'Content-Type': 'application/octet-stream' })
            .end(Buffer.alloc(1_000_000, 7));
        case '/silent':
          return; // never answers
        default:
          res.writeHead(404).end();
      }
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

interface Outcome {
  status: number;
  headers: Headers;
  body: Buffer;
  chunks: number;
  error?: UpstreamError;
}

function exchange(
  pool: Http1Pool,
  request: Partial<UpstreamRequest> & { path: string },
  hooks: Partial<ResponseHandler> = {},
): Promise<Outcome> {
  return new Promise((resolve) => {
    const out: Outcome = { status: 0, headers: {}, body: Buffer.alloc(0), chunks: 0 };
    const parts: Buffer[] = [];
    pool.dispatch(
      { method: 'GET', headers: {}, body: null, headersTimeoutMs: 5_000, ...request },
      {
        onResponseStart: (status, headers) => {
          out.status = status;
          out.headers = headers;
        },
        onResponseData: (chunk) => {
          parts.push(chunk);
          out.chunks++;
          return hooks.onResponseData?.(chunk) ?? true;
        },
        onResponseEnd: () => resolve({ ...out, body: Buffer.concat(parts) }),
        onResponseError: (error) => resolve({ ...out, body: Buffer.concat(parts), error }),
      },
    );
  });
}

test('a POST goes out with Host, Content-Length and its headers; the answer comes back; the connection is reused', async () => {
  const pool = new Http1Pool(origin);
  try {
    const before = connections;
    const first = await exchange(pool, {
      method: 'POST',
      path: '/json',
      headers: { 'content-type': 'application/json', 'x-multi': ['a', 'b'] },
      body: Buffer.from('{"a":1}'),
    });
    const second = await exchange(pool, { method: 'POST', path: '/json', body: Buffer.from('2') });
    assert.equal(first.status, 200);
    assert.equal(first.headers['mcp-session-id'], 'abc');
    assert.equal(first.body.toString(), '{"echo":"{\\"a\\":1}"}');
    assert.equal(second.body.toString(), '{"echo":"2"}');
    const saw = serverSaw.at(-2)!;
    assert.equal(saw.headers.host, origin.host);
    assert.equal(saw.headers['content-length'], '7');
    assert.equal(saw.headers['x-multi'], 'a, b');
    assert.equal(connections - before, 1, 'one connection for both requests');
    assert.equal(pool.idle, 1);
  } finally {
    pool.close();
  }
});

test('an SSE answer is handed on chunk by chunk, the first before the upstream has written the second', async () => {
  const pool = new Http1Pool(origin);
  try {
    secondChunkWritten = false;
    let firstSeenEarly: boolean | undefined;
    const out = await exchange(
      pool,
      { path: '/sse' },
      { onResponseData: () => ((firstSeenEarly ??= !secondChunkWritten), true) },
    );
    assert.equal(firstSeenEarly, true);
    assert.equal(out.body.toString(), 'data: 1\n\ndata: 2\n\n', 'chunked framing removed');
    assert.ok(out.chunks >= 2);
  } finally {
    pool.close();
  }
});

test('Connection: close and a keep-alive hint of 1 s both stop reuse', async () => {
  const pool = new Http1Pool(origin);
  try {
    const before = connections;
    for (const path of ['/close', '/close', '/short-keepalive', '/short-keepalive'])
      assert.equal((await exchange(pool, { path })).body.toString(), 'ok');
    assert.equal(connections - before, 4);
  } finally {
    pool.close();
  }
});

test('a large answer read with backpressure (pause, then resume) arrives whole', async () => {
  const pool = new Http1Pool(origin);
  try {
    let paused = 0;
    let ex: ReturnType<Http1Pool['dispatch']> | undefined;
    const out = await new Promise<Buffer>((resolve, reject) => {
      const parts: Buffer[] = [];
      ex = pool.dispatch(
        { method: 'GET', path: '/big', headers: {}, body: null, headersTimeoutMs: 5_000 },
        {
          onResponseStart: () => {},
          onResponseData: (chunk) => {
            parts.push(chunk);
            paused++;
            setTimeout(() => ex!.resume(), 1);
            return false;
          },
          onResponseEnd: () => resolve(Buffer.concat(parts)),
          onResponseError: reject,
        },
      );
    });
    assert.equal(out.length, 1_000_000);
    assert.ok(out.every((b) => b === 7));
    assert.ok(paused > 1);
  } finally {
    pool.close();
  }
});

test('failures are errors with codes: refused, no head in time, malformed, cut short', async () => {
  const closedPort = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const refused = new Http1Pool(new URL(`http://127.0.0.1:${closedPort}`));
  assert.equal((await exchange(refused, { path: '/' })).error?.code, 'ECONNREFUSED');
  refused.close();

  const pool = new Http1Pool(origin);
  const silent = await exchange(pool, { path: '/silent', headersTimeoutMs: 200 });
  assert.equal(silent.error?.code, 'HEADERS_TIMEOUT');
  for (let i = 0; i < 100 && !serverClosed.includes('/silent'); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(serverClosed.includes('/silent'), 'the timed-out connection was closed');
  pool.close();
  assert.equal((await exchange(pool, { path: '/json' })).error?.code, 'POOL_CLOSED');

  const raw = (reply: string) =>
    new Promise<{ pool: Http1Pool; server: net.Server }>((resolve) => {
      const s = net.createServer((socket) => socket.once('data', () => socket.end(reply)));
      s.listen(0, '127.0.0.1', () =>
        resolve({ server: s, pool: new Http1Pool(new URL(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)) }),
      );
    });
  const cases: [string, string | undefined, string][] = [
    ['HTTP/1.1 2x0 OK\r\n\r\n', 'BAD_RESPONSE', ''],
    ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc', 'CLOSED', 'abc'],
    ['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi', undefined, 'hi'],
    ['HTTP/1.1 200 OK\r\n\r\nuntil the end', undefined, 'until the end'],
  ];
  for (const [reply, code, body] of cases) {
    const { server: s, pool: p } = await raw(reply);
    const out = await exchange(p, { path: '/' });
    assert.equal(out.error?.code, code, JSON.stringify(reply));
    assert.equal(out.body.toString(), body, JSON.stringify(reply));
    p.close();
    await new Promise((r) => s.close(r));
  }
});

test(
  'one reused connection: its head timeout re-arms past answered requests and shortens for a shorter limit',
  { timeout: 20_000 },
  async () => {
    const pool = new Http1Pool(origin);
    try {
      const before = connections;
      // Answered calls spread over longer than their 200 ms limit: the connection's timer fires in between, finds a
      // later deadline, and must neither fail them nor lapse.
      for (let i = 0; i < 6; i++) {
        const out = await exchange(pool, {
          method: 'POST',
          path: '/json',
          body: Buffer.from('{}'),
          headersTimeoutMs: 200,
        });
        assert.equal(out.error, undefined);
        await new Promise((r) => setTimeout(r, 60));
      }
      assert.equal((await exchange(pool, { path: '/silent', headersTimeoutMs: 200 })).error?.code, 'HEADERS_TIMEOUT');
      // A long limit, then a short one on the same connection: the short one is not held to the long one's timer.
      assert.equal((await exchange(pool, { path: '/json', headersTimeoutMs: 60_000 })).error, undefined);
      assert.equal((await exchange(pool, { path: '/silent', headersTimeoutMs: 300 })).error?.code, 'HEADERS_TIMEOUT');
      assert.equal(connections - before, 2, 'the answered calls shared one connection; the timed-out one was closed');
    } finally {
      pool.close();
    }
  },
);

test('a handler with transientChunks is given views it must not keep; others get copies', async () => {
  const pool = new Http1Pool(origin);
  try {
    const kept: Buffer[] = [];
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) =>
      pool.dispatch(
        { method: 'GET', path: '/sse', headers: {}, body: null, headersTimeoutMs: 5_000 },
        {
          transientChunks: true,
          onResponseStart: () => {},
          onResponseData: (chunk) => (seen.push(chunk.toString()), kept.push(chunk), true),
          onResponseEnd: resolve,
          onResponseError: reject,
        },
      ),
    );
    assert.deepEqual(seen, ['data: 1\n\n', 'data: 2\n\n']);
    // Both chunks are views into one buffer larger than the slab small copies come from (Buffer.poolSize).
    assert.ok(kept[0]!.buffer === kept[1]!.buffer, 'views into one read buffer, not copies');
    assert.ok(kept[0]!.buffer.byteLength > Buffer.poolSize, 'the pool read buffer, not a slab of copies');
    const copied = await exchange(pool, { path: '/sse' });
    assert.equal(copied.body.toString(), 'data: 1\n\ndata: 2\n\n', 'a handler that keeps chunks keeps them intact');
  } finally {
    pool.close();
  }
});

test('abort closes the upstream connection and the handler hears nothing more', async () => {
  const pool = new Http1Pool(origin);
  try {
    let heard = 0;
    const sawBefore = serverSaw.length;
    const closedBefore = serverClosed.filter((u) => u === '/silent').length;
    const ex = pool.dispatch(
      { method: 'GET', path: '/silent', headers: {}, body: null, headersTimeoutMs: 0 },
      {
        onResponseStart: () => heard++,
        onResponseData: () => (heard++, true),
        onResponseEnd: () => heard++,
        onResponseError: () => heard++,
      },
    );
    for (let i = 0; i < 100 && serverSaw.length === sawBefore; i++) await new Promise((r) => setTimeout(r, 10));
    ex.abort();
    for (let i = 0; i < 100 && serverClosed.filter((u) => u === '/silent').length === closedBefore; i++)
      await new Promise((r) => setTimeout(r, 10));
    assert.equal(
      serverClosed.filter((u) => u === '/silent').length,
      closedBefore + 1,
      'the server saw the connection go',
    );
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(heard, 0);
    assert.equal(pool.connections, 0);
  } finally {
    pool.close();
  }
});
