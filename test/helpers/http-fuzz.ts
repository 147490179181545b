/**
 * A seeded generator of malformed, truncated and hostile HTTP/1.1 requests for an MCP endpoint, and a driver that
 * plays them against a server over real loopback sockets. Every case is one connection: its bytes, how they are
 * split, and whether the client hangs up before an answer. The same seed plays the same cases.
 */
import net from 'node:net';
import { seeded } from './random.js';

export interface FuzzCase {
  /** The shape, for the tally. */
  readonly shape: string;
  /** What is written, piece by piece. */
  readonly pieces: readonly Buffer[];
  /** Hang up this many ms after the last piece instead of waiting for the answer to finish. */
  readonly hangUpAfterMs: number;
}

export interface FuzzTally {
  cases: number;
  /** Cases per shape. */
  shapes: Record<string, number>;
  /** First status line of each answer (or "no answer"), counted. */
  answers: Record<string, number>;
  bytes: number;
}

type Rand = () => number;

const METHODS = ['POST', 'GET', 'DELETE', 'PUT', 'HEAD', 'OPTIONS', 'PATCH', 'P0ST', 'GET\0', ''];
const BODIES = [
  '{"jsonrpc":"2.0","id":1,"method":"ping"}',
  '{"jsonrpc":"2.0","id":"x","method":"tools/call","params":{"name":"echo","arguments":{"text":"f","payloadBytes":0}}}',
  '{"jsonrpc":"2.0","method":"notifications/initialized"}',
  '{"jsonrpc":"2.0","id":2,"result":{}}',
  '{"jsonrpc":"2.0","id":1e999,"method":"ping"}',
  '{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}',
  '{"jsonrpc":"2.0","id":null,"method":"ping"}',
  '[{"jsonrpc":"2.0","id":1,"method":"ping"}]',
  '{"jsonrpc":"1.0","id":1,"method":"ping"}',
  '{"jsonrpc":"2.0","id":1,"method":"ping","params":7}',
  '{"jsonrpc":',
  'null',
  '"just a string"',
  '\u0000\u0001\u0002',
  '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"f","version":"1"}}}',
  '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[',
  '{"a":' + '['.repeat(5_000) + ']'.repeat(5_000) + '}',
];

const pick = <T>(rand: Rand, items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
const int = (rand: Rand, max: number): number => Math.floor(rand() * max);

function headLines(rand: Rand, session: string | undefined): string[] {
  const lines = [
    `Host: ${pick(rand, ['127.0.0.1', 'localhost:1', '[::1]', 'evil.example', ''])}`,
    'Content-Type: application/json',
    'Accept: application/json, text/event-stream',
  ];
  if (session !== undefined && rand() < 0.6)
    lines.push(`Mcp-Session-Id: ${rand() < 0.7 ? session : pick(rand, ['nope', '', ' x', 'a'.repeat(300)])}`);
  if (rand() < 0.2) lines.push(`MCP-Protocol-Version: ${pick(rand, ['2025-11-25', '2026-07-28', 'junk'])}`);
  if (rand() < 0.1) lines.push(`Authorization: ${pick(rand, ['Bearer x', 'bearer', 'Basic Zm9v', ''])}`);
  if (rand() < 0.1) lines.push('Expect: 100-continue');
  if (rand() < 0.05) lines.push(`Last-Event-ID: ${pick(rand, ['1:1', 'x', '-1'])}`);
  return lines;
}

/** Replaces a few bytes with bytes a parser must handle: CR, LF, NUL, space, colon, high bytes. */
function flip(rand: Rand, buf: Buffer): Buffer {
  const out = Buffer.from(buf);
  for (let n = 1 + int(rand, 4); n > 0 && out.length > 0; n--)
    out[int(rand, out.length)] = pick(rand, [0x0d, 0x0a, 0x00, 0x20, 0x3a, 0xff, 0x09, 0x30 + int(rand, 10)]);
  return out;
}

/** Cuts a buffer into 1–6 pieces at random points. */
function split(rand: Rand, buf: Buffer): Buffer[] {
  return cutAt(
    buf,
    Array.from({ length: int(rand, 6) }, () => int(rand, buf.length + 1)),
  );
}

/** The pieces of `buf` between the given offsets (in any order; repeats and the ends make no empty piece). */
export function cutAt(buf: Buffer, offsets: readonly number[]): Buffer[] {
  const cuts = [...offsets].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let at = 0;
  for (const cut of [...cuts, buf.length]) {
    if (cut > at) pieces.push(buf.subarray(at, cut));
    at = Math.max(at, cut);
  }
  return pieces.length > 0 ? pieces : [buf];
}

function chunked(rand: Rand, body: string): string {
  let out = '';
  for (let at = 0; at < body.length;) {
    const n = 1 + int(rand, 40);
    const part = body.slice(at, at + n);
    out += `${Buffer.byteLength(part).toString(16)}${rand() < 0.1 ? ';ext=1' : ''}\r\n${part}\r\n`;
    at += n;
  }
  return `${out}0\r\n${rand() < 0.1 ? 'X-Trailer: 1\r\n' : ''}\r\n`;
}

/** One fuzz case from the generator's current state. */
export function nextCase(rand: Rand, session: string | undefined): FuzzCase {
  const body = pick(rand, BODIES);
  const lines = headLines(rand, session);
  const valid = (
    method = 'POST',
    extra: string[] = [],
    framing = `Content-Length: ${Buffer.byteLength(body)}`,
    payload = body,
  ): string => `${method} /mcp HTTP/1.1\r\n${[...lines, ...extra, framing].join('\r\n')}\r\n\r\n${payload}`;
  const roll = int(rand, 16);
  let shape: string;
  let wire: Buffer;
  switch (roll) {
    case 0:
      shape = 'valid';
      wire = Buffer.from(valid());
      break;
    case 1:
      shape = 'truncated-head';
      wire = Buffer.from(valid()).subarray(0, int(rand, valid().indexOf('\r\n\r\n') + 2));
      break;
    case 2:
      shape = 'truncated-body';
      wire = Buffer.from(valid('POST', [], `Content-Length: ${Buffer.byteLength(body) + 1 + int(rand, 100)}`));
      break;
    case 3:
      shape = 'flipped-head';
      wire = Buffer.concat([flip(rand, Buffer.from(valid().split('\r\n\r\n')[0]!)), Buffer.from(`\r\n\r\n${body}`)]);
      break;
    case 4:
      shape = 'flipped-anywhere';
      wire = flip(rand, Buffer.from(valid()));
      break;
    case 5:
      shape = 'framing-conflict';
      wire = Buffer.from(
        pick(rand, [
          valid('POST', ['Transfer-Encoding: chunked']),
          valid('POST', [`Content-Length: ${int(rand, 100)}`]),
          valid('POST', [], 'Transfer-Encoding: gzip, chunked', chunked(rand, body)),
          valid('POST', [], 'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked', chunked(rand, body)),
          valid('POST', [], `Content-Length: ${pick(rand, ['-1', '1e3', ' 12', '0x10', '99999999999999999999', ''])}`),
        ]),
      );
      break;
    case 6:
      shape = 'chunked';
      wire = Buffer.from(valid('POST', [], 'Transfer-Encoding: chunked', chunked(rand, body)));
      break;
    case 7:
      shape = 'bad-chunks';
      wire = Buffer.from(
        valid(
          'POST',
          [],
          'Transfer-Encoding: chunked',
          pick(rand, [
            'zz\r\n',
            'fffffffffffffff\r\nx',
            '5\r\nhello',
            '5\r\nhelloXX',
            '5\nhello\n0\n\n',
            `${'1\r\n{\r\n'.repeat(2_000)}`,
            '-1\r\n',
            '5;\0\r\nhello\r\n0\r\n\r\n',
          ]),
        ),
      );
      break;
    case 8:
      shape = 'bare-lf';
      wire = Buffer.from(valid().replace(/\r\n/g, '\n'));
      break;
    case 9:
      shape = 'request-line';
      wire = Buffer.from(
        `${pick(rand, METHODS)} ${pick(rand, ['/mcp', '*', 'http://x/mcp', '/mcp?x=%zz', '', '/metrics', '/sse', '/messages?sessionId=1', '/../etc'])} ${pick(rand, ['HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 x', ''])}\r\n${lines.join('\r\n')}\r\n\r\n`,
      );
      break;
    case 10:
      shape = 'oversized-head';
      wire = Buffer.from(valid('POST', [`X-Pad: ${'a'.repeat(16_000 + int(rand, 8_000))}`]));
      break;
    case 11:
      shape = 'oversized-body';
      wire = Buffer.from(valid('POST', [], `Content-Length: ${4 * 1024 * 1024 + 1}`, 'x'.repeat(int(rand, 70_000))));
      break;
    case 12:
      shape = 'pipelined';
      wire = Buffer.from(
        Array.from({ length: 2 + int(rand, 4) }, () =>
          rand() < 0.7 ? valid() : flip(rand, Buffer.from(valid())).toString('latin1'),
        ).join(''),
        'latin1',
      );
      break;
    case 13:
      shape = 'other-method';
      wire = Buffer.from(
        valid(
          pick(rand, ['GET', 'DELETE', 'PUT', 'HEAD', 'OPTIONS']),
          [],
          rand() < 0.5 ? 'Content-Length: 0' : 'Transfer-Encoding: chunked',
          rand() < 0.5 ? '' : chunked(rand, body),
        ),
      );
      break;
    case 14:
      shape = 'http10';
      wire = Buffer.from(valid().replace('HTTP/1.1', 'HTTP/1.0'));
      break;
    default:
      shape = 'random-bytes';
      wire = Buffer.from(Array.from({ length: 1 + int(rand, 600) }, () => int(rand, 256)));
  }
  const hangUp = rand() < 0.25 ? int(rand, 30) : -1;
  return { shape, pieces: split(rand, wire), hangUpAfterMs: hangUp };
}

/** Plays one case; resolves with the first status line of the answer, or 'no answer'. */
export function playCase(port: number, c: FuzzCase, waitMs: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let first = '';
    let settled = false;
    const done = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const line = first.split('\r\n')[0]!;
      resolve(/^HTTP\/1\.[01] \d{3}/.test(line) ? line.slice(0, 12) : 'no answer');
    };
    // Malformed or truncated requests are refused at once or wait for bytes that never come: give each a short while.
    const timer = setTimeout(done, waitMs);
    socket.on('data', (d) => {
      if (first.length < 64) first += d.toString('latin1');
    });
    socket.on('error', done);
    socket.on('close', done);
    void (async () => {
      for (const piece of c.pieces) {
        if (socket.destroyed) return;
        socket.write(piece);
        if (c.pieces.length > 1) await new Promise((r) => setImmediate(r));
      }
      if (c.hangUpAfterMs >= 0) setTimeout(done, c.hangUpAfterMs);
    })();
  });
}

/**
 * Plays `count` cases from `seed`, `concurrency` connections at a time; after every `checkEvery` cases `check()` must
 * resolve (the server still serves). Resolves with the tally.
 */
export async function fuzz(options: {
  port: number;
  seed: number;
  count: number;
  concurrency: number;
  session?: string;
  waitMs?: number;
  checkEvery?: number;
  check?: () => Promise<void>;
}): Promise<FuzzTally> {
  const rand = seeded(options.seed);
  const tally: FuzzTally = { cases: 0, shapes: {}, answers: {}, bytes: 0 };
  const checkEvery = options.checkEvery ?? 500;
  let next = 0;
  const worker = async (limit: number): Promise<void> => {
    while (next < limit) {
      next++;
      const c = nextCase(rand, options.session);
      tally.cases++;
      tally.shapes[c.shape] = (tally.shapes[c.shape] ?? 0) + 1;
      for (const p of c.pieces) tally.bytes += p.length;
      const answer = await playCase(options.port, c, options.waitMs ?? 150);
      tally.answers[answer] = (tally.answers[answer] ?? 0) + 1;
    }
  };
  while (next < options.count) {
    const limit = Math.min(options.count, next + checkEvery);
    await Promise.all(Array.from({ length: options.concurrency }, () => worker(limit)));
    await options.check?.();
  }
  return tally;
}
