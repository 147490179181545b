import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BodyDecoder,
  findHeadEnd,
  HOP_BY_HOP,
  HttpParseError,
  keepAlive,
  parseRequestHead,
  parseResponseHead,
  presentFields,
  REQUEST_ONLY,
  requestFraming,
  responseFraming,
  type Framing,
} from '../../core/protocol/http1-parse.js';
import { seeded } from '../helpers/random.js';

function request(text: string) {
  const buf = Buffer.from(text, 'latin1');
  const end = findHeadEnd(buf);
  assert.notEqual(end, -1, 'head is complete');
  return parseRequestHead(buf, 0, end);
}

function refused(text: string, status: number, what: RegExp): void {
  assert.throws(
    () => {
      const head = request(text);
      requestFraming(head);
    },
    (e: unknown) => e instanceof HttpParseError && e.status === status && what.test(e.message),
    JSON.stringify(text),
  );
}

test('a request head: method, target, version, lowercased names, trimmed values, repeats joined', () => {
  const head = request(
    'POST /mcp?x=1 HTTP/1.1\r\nHost: a\r\nContent-Type:  application/json \r\nAccept: a\r\naccept: b\r\nSet-Cookie: 1\r\nSet-Cookie: 2\r\nContent-Length: 5\r\n\r\nhello',
  );
  assert.equal(head.method, 'POST');
  assert.equal(head.url, '/mcp?x=1');
  assert.equal(head.minor, 1);
  assert.deepEqual(presentFields(head.headers), {
    host: 'a',
    'content-type': 'application/json',
    accept: 'a, b',
    'set-cookie': ['1', '2'],
    'content-length': '5',
  });
  assert.deepEqual(requestFraming(head), { kind: 'length', length: 5 });
  assert.equal(request('GET / HTTP/1.0\r\n\r\n').minor, 0);
  // Repeats read as node:http reads them: its single-valued fields keep the first, Cookie joins with "; ".
  assert.deepEqual(
    presentFields(request('GET * HTTP/1.1\r\nReferer: a\r\nReferer: b\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n').headers),
    {
      referer: 'a',
      cookie: 'a=1; b=2',
    },
  );
  assert.equal(request('GET http://a/mcp HTTP/1.1\r\n\r\n').url, 'http://a/mcp');
  assert.equal(request('M-SEARCH * HTTP/1.1\r\n\r\n').method, 'M-SEARCH');
  assert.deepEqual(presentFields(request('GET / HTTP/1.1\r\n\r\n').headers), {});
});

test('every name read into its own place: the names every head has a place for, and others, each with its value', () => {
  // The names parseFields stores by a switch of named stores (Fields): a case that stored into the wrong place fails.
  const names = [
    'Host',
    'Content-Length',
    'Transfer-Encoding',
    'Connection',
    'Keep-Alive',
    'Expect',
    'Content-Type',
    'Accept',
    'User-Agent',
    'Date',
    'Origin',
    'Authorization',
    'Mcp-Session-Id',
    'MCP-Protocol-Version',
    'Mcp-Method',
    'Mcp-Name',
    'Last-Event-ID',
    'X-Other',
    'Cookie',
  ];
  const random = seeded(7);
  for (let round = 0; round < 20; round++) {
    const order = [...names]
      .sort(() => random() - 0.5)
      .filter((name) => name !== 'Transfer-Encoding' || round % 2 === 0);
    const value = (name: string) => (name === 'Content-Length' ? String(name.length + round) : `v-${name}-${round}`);
    const text = `POST / HTTP/1.1\r\n${order.map((name) => `${name}: ${value(name)}\r\n`).join('')}\r\n`;
    if (order.includes('Transfer-Encoding')) {
      refused(text, 400, /both Transfer-Encoding and Content-Length/);
      continue;
    }
    const expected = Object.fromEntries(order.map((name) => [name.toLowerCase(), value(name)]));
    assert.deepEqual(presentFields(request(text).headers), expected, text);
  }
});

test("the field lines a proxy passes on: as they came, less the hop-by-hop ones (and a request's framing, Expect and credentials)", () => {
  const head = request(
    'POST /mcp HTTP/1.1\r\nHost: a\r\nContent-Type:  application/json \r\nAuthorization: Bearer t\r\nAccept: a\r\naccept: b\r\nCONNECTION: keep-alive\r\nMcp-Session-Id: s\r\nContent-Length: 2\r\n\r\n{}',
  );
  assert.equal(head.forwarded, 'Content-Type:  application/json \r\nAccept: a\r\naccept: b\r\nMcp-Session-Id: s\r\n');
  assert.equal(request('GET / HTTP/1.1\r\n\r\n').forwarded, '');
  assert.equal(request('GET / HTTP/1.1\r\nHost: a\r\nCookie: c\r\n\r\n').forwarded, '');
  assert.equal(request('GET / HTTP/1.1\r\nX-A: 1\r\nHost: a\r\n\r\n').forwarded, 'X-A: 1\r\n');
  const response = (text: string) => {
    const buf = Buffer.from(text, 'latin1');
    return parseResponseHead(buf, 0, findHeadEnd(buf));
  };
  // An answer's Content-Length is its own (the proxy passes the body as it came); its hop-by-hop fields are not.
  assert.equal(
    response(
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\nSet-Cookie: a\r\nSet-Cookie: b\r\n\r\n',
    ).forwarded,
    'Content-Length: 2\r\nSet-Cookie: a\r\nSet-Cookie: b\r\n',
  );
  // Generated heads against the rule read line by line: names of every kind, in any case, anywhere in the head.
  const rand = seeded(4120);
  const NAMES = [
    'Host',
    'accept',
    'X-Trace',
    'Content-Length',
    'cookie',
    'TE',
    'Upgrade',
    'mcp-session-id',
    'Via',
    'Expect',
    'Keep-Alive',
  ];
  for (let c = 0; c < 2_000; c++) {
    const lines: string[] = [];
    const count = Math.floor(rand() * 8);
    for (let k = 0; k < count; k++) {
      const name = [...NAMES[Math.floor(rand() * NAMES.length)]!]
        .map((ch) => (rand() < 0.3 ? ch.toUpperCase() : ch))
        .join('');
      // Host and Content-Length once at most (a repeat is refused), and a Content-Length that fits no body here.
      if (
        /^(host|content-length)$/i.test(name) &&
        lines.some((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
      )
        continue;
      lines.push(`${name}:${rand() < 0.5 ? ' ' : ''}${/^content-length$/i.test(name) ? '0' : `v${k}`}\r\n`);
    }
    const kept = (set: ReadonlySet<string>) =>
      lines.filter((l) => !set.has(l.slice(0, l.indexOf(':')).toLowerCase())).join('');
    const text = lines.join('');
    assert.equal(request(`GET / HTTP/1.1\r\n${text}\r\n`).forwarded, kept(REQUEST_ONLY), text);
    assert.equal(response(`HTTP/1.1 204 No Content\r\n${text}\r\n`).forwarded, kept(HOP_BY_HOP), text);
  }
});

test('findHeadEnd finds the blank line wherever the search starts, and only once it is there', () => {
  const buf = Buffer.from('GET / HTTP/1.1\r\nA: b\r\n\r\nrest');
  assert.equal(findHeadEnd(buf.subarray(0, 23)), -1);
  assert.equal(findHeadEnd(buf), 24);
  assert.equal(findHeadEnd(buf, 22), 24);
});

test('request smuggling shapes and malformed heads are refused with the status a server answers', () => {
  refused('POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n', 400, /both/);
  refused('POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n', 400, /more than one Content-Length/);
  // Equal repeats too: llhttp refuses them, and a proxy laxer than the server behind it invites smuggling.
  refused('POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n', 400, /more than one Content-Length/);
  refused('POST / HTTP/1.1\r\nTransfer-Encoding: chunked\t\r\n\r\n', 400, /Transfer-Encoding/);
  refused('POST / HTTP/1.1\r\nContent-Length: 5\t\r\n\r\n', 400, /a tab in Content-Length/);
  refused('GET / HTTP/1.1\r\nA: b\x7fc\r\n\r\n', 400, /control character/);
  refused('GET / HTTP/1.1\r\nA: b\x01c\r\n\r\n', 400, /control character/);
  refused('GET /a\x7f HTTP/1.1\r\n\r\n', 400, /control character/);
  refused('GET /a\x80 HTTP/1.1\r\n\r\n', 400, /request target/);
  refused('GET mcp HTTP/1.1\r\n\r\n', 400, /request target/);
  refused('GET h-t://a/ HTTP/1.1\r\n\r\n', 400, /request target/);
  refused('get / HTTP/1.1\r\n\r\n', 501, /method "get"/);
  refused('CONNECT a:443 HTTP/1.1\r\n\r\n', 400, /request target/);
  refused('CONNECT /a HTTP/1.1\r\n\r\n', 501, /method "CONNECT"/);
  refused('POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n', 400, /Content-Length/);
  refused('POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n', 400, /Content-Length/);
  refused('POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 501, /transfer coding/);
  refused('POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n', 400, /HTTP\/1.0/);
  refused('GET / HTTP/1.1\r\nHost : a\r\n\r\n', 400, /header name/);
  refused('GET / HTTP/1.1\r\nA: b\r\n folded: c\r\n\r\n', 400, /header name/);
  refused('GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n', 400, /malformed header/);
  refused('GET / HTTP/1.1\r\nNoColon\r\n\r\n', 400, /malformed header/);
  refused('GET / HTTP/1.1\r\nA: b\nc\r\n\r\n', 400, /bare/);
  refused('GET / HTTP/1.1\r\nA: b\rc\r\n\r\n', 400, /bare/);
  refused('GET / HTTP/1.1\r\nA: b\0c\r\n\r\n', 400, /bare/);
  refused('GET /a b HTTP/1.1\r\n\r\n', 400, /request line/);
  refused('GET  / HTTP/1.1\r\n\r\n', 400, /request line/);
  refused('G(T / HTTP/1.1\r\n\r\n', 400, /request line/);
  refused('GET / HTTP/2.0\r\n\r\n', 505, /version/);
  refused('GET /\r\n\r\n', 400, /request line/);
});

test('every byte at every position and alignment: a control character, DEL or a bare CR or LF is refused, the rest passes', () => {
  // The check reads four bytes at a time where the buffer's memory is aligned: each byte below goes at every position
  // of a head, in buffers at each of the four offsets from a word boundary, of memory of their own (Buffer.alloc) and in Node's
  // shared pool (Buffer.allocUnsafe).
  const head =
    'POST /mcp HTTP/1.1\r\nhost: a.b:1\r\ncontent-type: application/json\r\nx-a: \tv w\r\ncontent-length: 0\r\n\r\n';
  const bytes = [0x00, 0x01, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1f, 0x20, 0x41, 0x7e, 0x7f, 0x80, 0xa0, 0xff];
  /** The rule, byte by byte. */
  const bad = (b: Buffer): boolean => {
    for (let i = 0; i < b.length; i++) {
      const c = b[i]!;
      if ((c >= 0x20 && c !== 0x7f) || c === 0x09) continue;
      if (c === 0x0d && b[i + 1] === 0x0a) i++;
      else return true;
    }
    return false;
  };
  const end = head.length - 2; // the blank line's CRLF stays as it is
  let refusedCount = 0;
  for (const alloc of [Buffer.alloc, Buffer.allocUnsafe])
    for (const offset of [0, 1, 2, 3])
      for (let at = 0; at < end; at++)
        for (const byte of bytes) {
          const memory = alloc(offset + head.length);
          memory.write(head, offset, 'latin1');
          memory[offset + at] = byte;
          const buf = memory.subarray(offset);
          const expectBad = bad(buf.subarray(0, end));
          let status: number | undefined;
          try {
            parseRequestHead(buf, 0, head.length);
          } catch (e) {
            if (!(e instanceof HttpParseError)) throw e;
            status = e.status;
            if (/control character/.test(e.message)) refusedCount++;
            else assert.equal(expectBad, false, `byte ${byte} at ${at}, offset ${offset}: refused for ${e.message}`);
          }
          if (expectBad) assert.equal(status, 400, `byte ${byte} at ${at}, offset ${offset}: refused`);
        }
  assert.ok(refusedCount > 1000, `${refusedCount} refused for a control character`);
});

test('request framing: chunked (any case), Content-Length 0 is no body, no header is no body', () => {
  assert.deepEqual(requestFraming(request('POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n')), {
    kind: 'chunked',
  });
  assert.deepEqual(requestFraming(request('POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n')), { kind: 'none' });
  assert.deepEqual(requestFraming(request('DELETE / HTTP/1.1\r\n\r\n')), { kind: 'none' });
});

test('a response head, and its framing by status, method and headers (RFC 9112 §6.3)', () => {
  const parse = (text: string) => {
    const buf = Buffer.from(text, 'latin1');
    return parseResponseHead(buf, 0, findHeadEnd(buf));
  };
  const ok = parse('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nMcp-Session-Id: s\r\n\r\n');
  assert.equal(ok.status, 200);
  assert.equal(ok.headers['mcp-session-id'], 's');
  assert.deepEqual(responseFraming(ok, 'POST'), { kind: 'length', length: 3 });
  assert.deepEqual(responseFraming(ok, 'HEAD'), { kind: 'none' });
  assert.equal(parse('HTTP/1.1 204\r\n\r\n').status, 204, 'the reason phrase may be missing');
  assert.deepEqual(responseFraming(parse('HTTP/1.1 204 No Content\r\n\r\n'), 'POST'), { kind: 'none' });
  assert.deepEqual(responseFraming(parse('HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n'), 'GET'), {
    kind: 'none',
  });
  assert.deepEqual(responseFraming(parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'), 'GET'), {
    kind: 'chunked',
  });
  assert.deepEqual(responseFraming(parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n'), 'GET'), {
    kind: 'close',
  });
  assert.deepEqual(responseFraming(parse('HTTP/1.0 200 OK\r\n\r\n'), 'GET'), { kind: 'close' });
  for (const bad of [
    'HTTP/1.1 20 OK\r\n\r\n',
    'HTTP/1.1 2000 OK\r\n\r\n',
    'HTTP/1.1 1e2 OK\r\n\r\n',
    'HTTP/1.1 OK\r\n\r\n',
    'HTTP/3 200 OK\r\n\r\n',
  ]) {
    assert.throws(() => parse(bad), HttpParseError, bad);
  }
});

test('keep-alive: HTTP/1.1 by default, HTTP/1.0 only when asked, "close" anywhere in the list ends it', () => {
  assert.equal(keepAlive(1, {}), true);
  assert.equal(keepAlive(0, {}), false);
  assert.equal(keepAlive(0, { connection: 'keep-alive' }), true);
  assert.equal(keepAlive(1, { connection: 'Close' }), false);
  assert.equal(keepAlive(1, { connection: 'upgrade, close' }), false);
  assert.equal(keepAlive(0, { connection: 'Keep-Alive, Upgrade' }), true);
  assert.equal(keepAlive(1, { connection: 'closed' }), true, 'a token that merely starts with "close"');
});

function decode(framing: Framing, bytes: Buffer, pieces: number[]): { body: string; used: number; done: boolean } {
  const out: Buffer[] = [];
  const decoder = new BodyDecoder(framing, (c) => out.push(Buffer.from(c)));
  let used = 0;
  let at = 0;
  for (const n of pieces) {
    const piece = bytes.subarray(at, at + n);
    at += n;
    used += decoder.push(piece, 0);
    if (decoder.done) break;
  }
  return { body: Buffer.concat(out).toString(), used, done: decoder.done };
}

test('a chunked body decodes the same whatever the read boundaries, and stops at its end', () => {
  const text = 'a'.repeat(5) + 'é'.repeat(300) + 'z';
  const sizes = [1, 15, 16, 255, 4];
  let at = 0;
  const body = Buffer.from(text);
  const parts: Buffer[] = [];
  for (const size of sizes) {
    const chunk = body.subarray(at, at + size);
    at += size;
    parts.push(
      Buffer.from(`${chunk.length.toString(16)}${size === 15 ? ';ext=1' : ''}\r\n`),
      chunk,
      Buffer.from('\r\n'),
    );
  }
  parts.push(
    body.subarray(at).length > 0
      ? Buffer.concat([
          Buffer.from(`${body.subarray(at).length.toString(16).toUpperCase()}\r\n`),
          body.subarray(at),
          Buffer.from('\r\n'),
        ])
      : Buffer.alloc(0),
  );
  parts.push(Buffer.from('0\r\nX-Trailer: 1\r\n\r\nNEXT REQUEST'));
  const bytes = Buffer.concat(parts);
  const bodyBytes = bytes.length - 'NEXT REQUEST'.length;
  for (let seed = 1; seed <= 30; seed++) {
    const rand = seeded(seed);
    const pieces: number[] = [];
    for (let n = 0; n < bytes.length;) {
      const k = 1 + Math.floor(rand() * 40);
      pieces.push(k);
      n += k;
    }
    const { body: out, used, done } = decode({ kind: 'chunked' }, bytes, pieces);
    assert.equal(done, true, `seed ${seed}`);
    assert.equal(out, text, `seed ${seed}`);
    assert.equal(used, bodyBytes, `seed ${seed}: the bytes after the body are left for the next message`);
  }
});

test('malformed chunked bodies are refused', () => {
  for (const bad of [
    'x\r\n',
    '5\r\nhello!!',
    '5\nhello\r\n',
    '1234567890abc\r\n',
    '5\r\nhello\r\n0\r\nX: 1\n',
    `5;${'e'.repeat(5000)}\r\n`,
    // The chunk line's grammar, no whitespace (llhttp refuses each of these):
    '5 \r\n',
    '5\t\r\n',
    '5 ;a=b\r\n',
    '5; a=b\r\n',
    '5;a =b\r\n',
    '5;\r\n',
    '5;a=b c\r\n',
    '5;a="q\r\n',
    '5;a="\x01"\r\n',
    '5;a=\x80\r\n',
    // Trailers read like header fields; nothing that frames:
    '0\r\n T: v\r\n\r\n',
    '0\r\nT : v\r\n\r\n',
    '0\r\nT\r\n\r\n',
    '0\r\nT: a\x7f\r\n\r\n',
    '0\r\nContent-Length: 5\r\n\r\n',
    '0\r\ntransfer-encoding: chunked\r\n\r\n',
  ]) {
    assert.throws(
      () => decode({ kind: 'chunked' }, Buffer.from(bad), [bad.length]),
      HttpParseError,
      JSON.stringify(bad.slice(0, 30)),
    );
  }
});

test('chunk extensions to the grammar are read and dropped: tokens, quoted strings with escapes, several', () => {
  for (const ext of [';a', ';a=b', ';a="q"', ';a="q;\\"x"', ';a;b=c', ';a="\t \x7e"']) {
    const bytes = Buffer.from(`3${ext}\r\nabc\r\n0${ext}\r\nT: v\r\n\r\n`, 'latin1');
    const { body, done } = decode({ kind: 'chunked' }, bytes, [bytes.length]);
    assert.equal(done, true, ext);
    assert.equal(body, 'abc', ext);
  }
});

test('length and close-delimited bodies: exact length, then the rest belongs to the next message', () => {
  const bytes = Buffer.from('hello world');
  assert.deepEqual(decode({ kind: 'length', length: 5 }, bytes, [3, 8]), { body: 'hello', used: 5, done: true });
  const close = new BodyDecoder({ kind: 'close' }, () => {});
  assert.equal(close.push(bytes, 0), bytes.length);
  assert.equal(close.done, false);
  assert.equal(close.end(), true, 'a close-delimited body ends with the connection');
  const cut = new BodyDecoder({ kind: 'length', length: 50 }, () => {});
  cut.push(bytes, 0);
  assert.equal(cut.end(), false, 'a length-delimited body cut short is not complete');
});
