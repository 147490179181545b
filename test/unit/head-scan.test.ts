import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BAD_HEAD,
  headEnd,
  jsHeadEnd,
  LINES,
  MATCH,
  MAX_LINES,
  namesMatched,
  READ_BUFFERS,
  readView,
  SCAN_IN_WASM,
  TOO_MANY_LINES,
} from '../../core/protocol/head-scan.js';
import {
  findHeadEnd,
  HttpParseError,
  parseRequestHead,
  presentFields,
  scanHead,
} from '../../core/protocol/http1-parse.js';
import { seeded } from '../helpers/random.js';

const HEAD =
  'POST /mcp HTTP/1.1\r\nhost: a.b:1\r\ncontent-type: application/json\r\nx-a: \tv w\r\ncontent-length: 2\r\n\r\n';

/** jsHeadEnd's answer and lines, noted apart from LINES. */
const reference = new Int32Array(LINES.length);

/** headEnd's answer, held to jsHeadEnd's — the lines too when it found the end. */
function agreed(buf: Buffer, what: string): number {
  const expected = jsHeadEnd(buf, buf.length, reference);
  const end = headEnd(buf, buf.length);
  assert.equal(end, expected, what);
  if (end > 0)
    assert.deepEqual(LINES.subarray(0, 1 + 2 * LINES[0]!), reference.subarray(0, 1 + 2 * reference[0]!), what);
  return end;
}

/** `text` where headEnd meets it: in a read buffer at `offset`, or in memory of its own. */
function placed(text: string, where: 'read' | 'own', offset = 0): Buffer {
  const bytes = Buffer.from(text, 'latin1');
  if (where === 'own') return bytes;
  const buf = READ_BUFFERS[0].subarray(offset, offset + bytes.length);
  bytes.copy(buf);
  return buf;
}

test('the scan runs in WebAssembly here, over memory the read buffers share', () => {
  // Were it jsHeadEnd alone, every other test here would compare it with itself.
  assert.equal(SCAN_IN_WASM, true);
  assert.equal(READ_BUFFERS[0].buffer, READ_BUFFERS[1].buffer);
  assert.equal(READ_BUFFERS[1].byteOffset - READ_BUFFERS[0].byteOffset, 64 * 1024);
});

test('the end of a well-formed head, wherever it lies, and nothing read past it', () => {
  for (const where of ['read', 'own'] as const)
    for (let offset = 0; offset < 16; offset++) {
      const buf = placed(`${HEAD}{}\x00\n\x7f`, where, offset); // what follows the head is the body's business
      assert.equal(agreed(buf, `${where} at ${offset}`), HEAD.length);
      assert.equal(scanHead(buf, 16_384), findHeadEnd(buf));
    }
});

test('a head not all here is -1, a CR in the last byte included; a limit short of its end is -1 too', () => {
  for (let n = 0; n < HEAD.length; n++) assert.equal(headEnd(placed(HEAD, 'read').subarray(0, n), n), -1, `${n}`);
  const buf = placed(HEAD, 'own');
  assert.equal(headEnd(buf, HEAD.length - 1), -1);
  assert.equal(scanHead(buf, HEAD.length - 1), -1);
  assert.equal(scanHead(buf, HEAD.length), HEAD.length);
  // Asked for more than the view holds, the scan stops at its end (what lies beyond in the same memory is not read).
  const view = placed(`${HEAD}`, 'read').subarray(0, HEAD.length - 2);
  READ_BUFFERS[0][HEAD.length - 2] = 0x0d;
  READ_BUFFERS[0][HEAD.length - 1] = 0x0a;
  assert.equal(headEnd(view, HEAD.length), -1);
});

test('every byte at every position: a control character, DEL or a bare CR or LF before the end is BAD_HEAD at once', () => {
  const bytes = [0x00, 0x01, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1f, 0x20, 0x41, 0x7e, 0x7f, 0x80, 0xa0, 0xff];
  let bad = 0;
  for (const where of ['read', 'own'] as const)
    for (let at = 0; at < HEAD.length; at++)
      for (const byte of bytes) {
        const buf = placed(HEAD, where, at % 16);
        buf[at] = byte;
        const expected = agreed(buf, `byte ${byte} at ${at} (${where})`);
        // Cut just past the changed byte, the verdict on it does not wait for the rest.
        if (expected === BAD_HEAD) {
          bad++;
          assert.equal(headEnd(buf.subarray(0, at + 2), at + 2), BAD_HEAD, `byte ${byte} at ${at}, cut`);
        }
      }
  assert.ok(bad > 1_000, `${bad} refused`);
});

test('generated and mutated heads: the scan and jsHeadEnd agree on every one', () => {
  const random = seeded(20261204);
  const pieces = ['a', 'Host: x', ': ', ' ', '\t', '\r\n', '\r\n\r\n', '\r', '\n', '\x00', '\x7f', '\x1f', '\xff', 'é'];
  let ends = 0;
  let bad = 0;
  for (let round = 0; round < 20_000; round++) {
    let text = '';
    const parts = Math.floor(random() * 24);
    for (let k = 0; k < parts; k++)
      text += random() < 0.6 ? 'x'.repeat(Math.floor(random() * 20)) : pieces[Math.floor(random() * pieces.length)]!;
    const where = random() < 0.5 ? 'read' : 'own';
    const buf = placed(text, where, Math.floor(random() * 16));
    const expected = agreed(buf, JSON.stringify(text));
    if (expected > 0) ends++;
    else if (expected === BAD_HEAD) bad++;
  }
  assert.ok(ends > 500 && bad > 500, `${ends} ended, ${bad} refused`);
});

test('a head longer than the scratch area is read by jsHeadEnd, with the same answer', () => {
  const long = `GET / HTTP/1.1\r\nx-long: ${'v'.repeat(70_000)}\r\n\r\n`;
  const buf = Buffer.from(long, 'latin1');
  assert.equal(agreed(buf, 'long'), long.length);
  buf[40_000] = 0x01;
  assert.equal(agreed(buf, 'long, a control character'), BAD_HEAD);
});

test("the LF and first colon of every line, from the head's first byte; 0 for a line without a colon", () => {
  const text = 'GET /a:b HTTP/1.1\r\nhost: x:1\r\nno-colon\r\n:v\r\n\r\n';
  const buf = placed(text, 'read', 3);
  assert.equal(headEnd(buf, buf.length), text.length);
  const lines = [...LINES.subarray(1, 1 + 2 * LINES[0]!)];
  const at = (s: string, from = 0) => text.indexOf(s, from);
  assert.deepEqual(lines, [
    ...[at(':'), at('\n')],
    ...[at(':', at('host')), at('\n', at('host'))],
    ...[0, at('\n', at('no-colon'))],
    ...[at(':v'), at('\n', at(':v'))],
    ...[0, text.length - 1],
  ]);
});

test('more lines than the table holds: TOO_MANY_LINES, and the parse answers 431', () => {
  const head = (fields: number) => `GET / HTTP/1.1\r\n${'a: b\r\n'.repeat(fields)}\r\n`;
  const fits = Buffer.from(head(MAX_LINES - 2), 'latin1'); // the request line and the blank line are lines too
  assert.equal(agreed(fits, 'fits'), fits.length);
  const over = Buffer.from(head(MAX_LINES - 1), 'latin1');
  assert.equal(agreed(over, 'over'), TOO_MANY_LINES);
  assert.throws(
    () => parseRequestHead(over, 0, findHeadEnd(over)),
    (e: unknown) => e instanceof HttpParseError && e.status === 431,
  );
});

test('a head scanHead found is parsed without a second check; any other is checked as before', () => {
  const buf = placed(HEAD, 'read');
  const end = scanHead(buf, 16_384);
  assert.equal(parseRequestHead(buf, 0, end).headers['x-a'], 'v w');
  // The same bytes, found by findHeadEnd: parseRequestHead checks them itself.
  const dirty = Buffer.from(HEAD.replace('v w', 'v\x01w'), 'latin1');
  assert.throws(
    () => parseRequestHead(dirty, 0, findHeadEnd(dirty)),
    (e: unknown) => e instanceof HttpParseError && /control character/.test(e.message),
  );
  assert.equal(scanHead(dirty, 16_384), BAD_HEAD);
});

test('field names matched to the names met, in any case, exactly; a slot renamed within a head is not trusted', () => {
  const parse = (text: string) => {
    const buf = Buffer.from(text, 'latin1');
    return parseRequestHead(buf, 0, scanHead(buf, buf.length));
  };
  const long = `X-${'n'.repeat(40)}`;
  parse(`GET / HTTP/1.1\r\nHost: a\r\nContent-Type: b\r\nx-trace: c\r\n${long}: d\r\n\r\n`);
  // Met, so matched now in any case; never met, longer than 32 bytes, or a lookalike: not matched.
  const buf = Buffer.from(
    `GET / HTTP/1.1\r\nHOST: a\r\ncontent-TYPE: b\r\nX-Trace: c\r\n${long}: d\r\nx-never: e\r\nContent_Type: f\r\n\r\n`,
    'latin1',
  );
  assert.ok(scanHead(buf, buf.length) > 0);
  assert.equal(namesMatched, true);
  const hits = [1, 2, 3, 4, 5, 6].map((k) => MATCH[k]! >= 0);
  assert.deepEqual(hits, [true, true, true, false, false, false]);
  assert.deepEqual(presentFields(parseRequestHead(buf, 0, buf.length).headers), {
    host: 'a',
    'content-type': 'b',
    'x-trace': 'c',
    [long.toLowerCase()]: 'd',
    'x-never': 'e',
    content_type: 'f',
  });
  // Transfer_Encoding and Transfer-Encoding share a slot: the first, not met before, renames the slot the second
  // was matched to when the head was scanned — the second must still read as itself.
  parse('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n');
  const head = parse('POST / HTTP/1.1\r\nHost: a\r\nTransfer_Encoding: x\r\nTransfer-Encoding: chunked\r\n\r\n');
  assert.deepEqual(presentFields(head.headers), { host: 'a', transfer_encoding: 'x', 'transfer-encoding': 'chunked' });
});

test('a read view of the same length is handed on again, and a head scanned through it reads as its bytes now', () => {
  const a = 'POST /a HTTP/1.1\r\nHost: a\r\nMcp-Session-Id: one\r\n\r\n';
  const b = 'POST /b HTTP/1.1\r\nHost: b\r\nX-Trace-Id-000: two\r\n\r\n';
  assert.equal(a.length, b.length);
  READ_BUFFERS[0].write(a, 0, 'latin1');
  const first = readView(0, a.length);
  parseRequestHead(first, 0, scanHead(first, 16_384)); // its names met: the next scan matches them
  const headA = parseRequestHead(first, 0, scanHead(first, 16_384));
  READ_BUFFERS[0].write(b, 0, 'latin1');
  const second = readView(0, b.length);
  assert.equal(second, first, 'the same view object');
  // Parsed without a scan first, the new bytes are scanned by the parse: the lines noted for the view are stale.
  assert.deepEqual(presentFields(parseRequestHead(second, 0, a.length).headers), {
    host: 'b',
    'x-trace-id-000': 'two',
  });
  const headB = parseRequestHead(second, 0, scanHead(second, 16_384));
  assert.equal(headA.url, '/a');
  assert.equal(headB.url, '/b');
  assert.deepEqual(presentFields(headB.headers), { host: 'b', 'x-trace-id-000': 'two' });
  assert.equal(second.toString('latin1'), b);
  assert.notEqual(readView(0, 10), first, 'another length: a view of its own');
  assert.equal(readView(0, 10).length, 10);
  assert.equal(readView(1, 10).buffer, READ_BUFFERS[1].buffer, 'each read buffer its own views');
});
