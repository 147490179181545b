import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineSplitter } from '../../core/protocol/framing.js';
import { seeded } from '../helpers/random.js';

function collect(max: number): { splitter: LineSplitter; lines: string[]; oversize: number[] } {
  const lines: string[] = [];
  const oversize: number[] = [];
  const splitter = new LineSplitter(max, {
    onLine: (l) => lines.push(l.toString()),
    onOversize: (b) => oversize.push(b),
  });
  return { splitter, lines, oversize };
}

test('lines split at any chunk boundary come out whole and in order', () => {
  const messages = Array.from({ length: 200 }, (_, i) =>
    JSON.stringify({ jsonrpc: '2.0', id: i, method: 'x', params: { pad: 'é'.repeat(i % 17) } }),
  );
  const bytes = Buffer.from(messages.join('\n') + '\n');
  for (let seed = 1; seed <= 20; seed++) {
    const rand = seeded(seed);
    const { splitter, lines } = collect(1 << 20);
    for (let at = 0; at < bytes.length;) {
      const n = 1 + Math.floor(rand() * 300);
      splitter.push(bytes.subarray(at, at + n));
      at += n;
    }
    assert.deepEqual(lines, messages, `seed ${seed}`);
    assert.equal(splitter.pending, 0);
  }
});

test('CRLF endings and empty lines are tolerated', () => {
  const { splitter, lines } = collect(100);
  splitter.push(Buffer.from('a\r\n\n\r\nb\n'));
  assert.deepEqual(lines, ['a', 'b']);
});

test('an oversized line is dropped up to its newline, reported once, and the stream stays in sync', () => {
  const { splitter, lines, oversize } = collect(10);
  splitter.push(Buffer.from('ok1\n0123456789abc'));
  splitter.push(Buffer.from('defgh'));
  splitter.push(Buffer.from('ijk\nok2\n'));
  assert.deepEqual(lines, ['ok1', 'ok2']);
  assert.equal(oversize.length, 1);
  const whole = collect(10);
  whole.splitter.push(Buffer.from('0123456789abcdef\nok\n'));
  assert.deepEqual(whole.lines, ['ok']);
  assert.deepEqual(whole.oversize, [16]);
});

test('a line held across chunks never exceeds the limit in memory', () => {
  const { splitter, oversize } = collect(1_000);
  for (let i = 0; i < 100; i++) splitter.push(Buffer.alloc(100, 120));
  assert.ok(splitter.pending <= 1_000);
  assert.equal(oversize.length, 1);
});
