/**
 * A proxy stage that throws — at once, from the body's arrival after the head, from a deferred `next`, or by
 * rejecting a promise — fails that request alone with 500 and a JSON-RPC error, says so to onError, and the server
 * carries on serving the next request. (Before: a throw from a body that arrived after its head escaped the HTTP/1.1
 * parser's loop and took the process down.)
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { compose, newExchange, type Handler, type Stage } from '../../proxy/exchange.js';
import { Http1Server } from '../../proxy/http1/server.js';

const errors: string[] = [];
let server: Http1Server;
let port: number;

/** Throws in the way its path names, else passes on. */
const throwing: Stage = (next) => (ex) => {
  switch (ex.req.url) {
    case '/sync':
      throw new Error('sync');
    case '/after-body':
      return ex.req.readBody(() => {
        throw new Error('after-body');
      });
    case '/deferred':
      return void setTimeout(() => next(ex), 5);
    default:
      return next(ex);
  }
};
const rejecting: Stage = (next) => async (ex) => {
  if (ex.req.url === '/async') throw new Error('async');
  next(ex);
};
const terminal: Handler = (ex) => {
  if (ex.req.url === '/deferred') throw new Error('deferred');
  ex.res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
};

before(async () => {
  const handle = compose([throwing, rejecting], terminal, (e) => errors.push((e as Error).message));
  server = new Http1Server(
    { maxBodyBytes: 1024, onError: (e) => errors.push(`server: ${(e as Error).message}`) },
    (req, res) => handle(newExchange(req, res)),
  );
  await new Promise<void>((resolve) => server.net.listen(0, '127.0.0.1', resolve));
  port = (server.net.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(resolve));
});

/** Sends the pieces with a pause between them and resolves with everything read until `until` matches. */
function exchange(pieces: string[], until: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    socket.on('data', (d) => {
      got += String(d);
      if (until.test(got)) {
        socket.destroy();
        resolve(got);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(got));
    void (async () => {
      for (const piece of pieces) {
        socket.write(piece);
        await new Promise((r) => setTimeout(r, 40));
      }
    })();
  });
}

const post = (path: string, body = '{}'): string =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;

for (const path of ['/sync', '/deferred', '/async']) {
  test(`a stage that throws (${path.slice(1)}) fails its request with 500 and a JSON-RPC error`, async () => {
    const before = errors.length;
    const answer = await exchange([`${post(path)}{}`], /\}$/);
    assert.match(answer, /^HTTP\/1\.1 500 /);
    assert.match(answer, /"code":-32603/);
    assert.ok(errors.slice(before).includes(path.slice(1)), `onError heard it: ${errors.join(', ')}`);
  });
}

test('a throw from a body that arrives after its head fails that request, not the process', async () => {
  const before = errors.length;
  const answer = await exchange([post('/after-body'), '{}'], /\}$/);
  assert.match(answer, /^HTTP\/1\.1 500 /);
  assert.ok(
    errors.slice(before).some((e) => e.endsWith('after-body')),
    errors.join(', '),
  );
});

test('after all of them the server still answers', async () => {
  const answer = await exchange([`${post('/fine')}{}`], /ok$/);
  assert.match(answer, /^HTTP\/1\.1 200 [\s\S]*ok$/);
});
