/**
 * Differential fuzzing of the proxy's HTTP/1.1 server (proxy/http1) against llhttp, node:http's parser. Both servers
 * run in this process and read the same bytes from an in-memory socket (a Duplex handed to each as a 'connection'),
 * delivered in the same pieces; each records the requests its listener saw (method, target, headers, body) and the
 * statuses it wrote. No timers and no ports: a case is a few turns of the event loop, the same seed plays the same
 * cases, and thousands run in a second.
 *
 * What must hold (docs/proxy.md, "A parser you can trust"): where both accept, they read the same requests — a
 * proxy that reads a message differently from the server behind it invites request smuggling; where ours refuses,
 * it refuses with a status a parser may give (400, 417, 431, 501, 505) and had read nothing llhttp did not; ours
 * never accepts what llhttp refuses. Anything else is a finding, with the bytes that show it.
 */
import http from 'node:http';
import { Duplex } from 'node:stream';
import { Http1Server } from '../../proxy/http1/server.js';
import { cutAt } from './http-fuzz.js';
import { seeded } from './random.js';

type Rand = () => number;

/** A request as a listener saw it. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** What one server made of a case. */
export interface Reading {
  readonly requests: SeenRequest[];
  /** Statuses written, in order, 1xx left out. */
  readonly statuses: number[];
  /** llhttp's error code, when node:http refused the bytes (the reference only). */
  readonly error?: string;
}

export type Verdict =
  /** Both read the same requests and neither refused. */
  | 'agree'
  /** Both refused (after the same requests). */
  | 'both-refused'
  /** Ours refused what llhttp accepted, with a parser's status, having read nothing llhttp did not: allowed. */
  | 'stricter'
  /** Ours has not decided when the bytes end (it waits for the rest of a head llhttp already refused): allowed. */
  | 'undecided'
  /** Findings: */
  | 'laxer'
  | 'disagree'
  | 'wrong-status';

export const FINDINGS: ReadonlySet<Verdict> = new Set(['laxer', 'disagree', 'wrong-status']);

/** Statuses a server may refuse an unreadable request with. */
const PARSER_STATUSES = new Set([400, 417, 431, 501, 505]);
/** llhttp errors that mean only "the bytes ended mid-message": not a refusal of what was sent. */
const EOF_ERRORS = new Set(['HPE_INVALID_EOF_STATE', 'ECONNRESET']);

export interface DiffCase {
  readonly shape: string;
  readonly pieces: readonly Buffer[];
}

export interface Judged {
  readonly verdict: Verdict;
  readonly ours: Reading;
  readonly llhttp: Reading;
  /** Why, for a finding. */
  readonly why?: string;
}

/** An in-memory socket: what is pushed is read by the server; what the server writes is kept. */
class MemorySocket extends Duplex {
  readonly written: Buffer[] = [];
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 1;
  constructor() {
    super({ allowHalfOpen: false });
  }
  override _read(): void {}
  override _write(chunk: Buffer | string, encoding: BufferEncoding, callback: () => void): void {
    this.written.push(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk);
    callback();
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** The two servers, each answering every request it reads 200 once its body is in, and recording it. */
export class Differential {
  readonly #ours: Http1Server;
  readonly #node: http.Server;
  #log: SeenRequest[] = [];
  #error: string | undefined;

  constructor() {
    this.#ours = new Http1Server({ maxBodyBytes: 1 << 20 }, (req, res) => {
      req.readBody((body) => {
        this.#log.push({ method: req.method, url: req.url, headers: { ...req.headers }, body: latin1(body) });
        res.writeHead(200, { 'content-length': '2' }).end('ok');
      });
    });
    this.#node = http.createServer({ maxHeaderSize: 16_384 }, (req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (d: Buffer) => parts.push(d));
      req.on('end', () => {
        this.#log.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: { ...req.headers },
          body: latin1(Buffer.concat(parts)),
        });
        res.writeHead(200, { 'content-length': '2' }).end('ok');
      });
    });
    // node:http's own answer, with the code kept: 431 for a head too large, 400 otherwise.
    this.#node.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      this.#error ??= err.code ?? err.message;
      if (socket.writable)
        socket.end(`HTTP/1.1 ${err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400} Refused\r\nconnection: close\r\n\r\n`);
      else socket.destroy();
    });
  }

  /** Plays a case on both servers and judges the two readings. */
  async judge(c: DiffCase): Promise<Judged> {
    const ours = await this.#play(this.#ours.net, c.pieces);
    const llhttp = await this.#play(this.#node, c.pieces);
    return { ...judge(ours, llhttp), ours, llhttp };
  }

  async #play(
    server: { emit(event: 'connection', socket: Duplex): boolean },
    pieces: readonly Buffer[],
  ): Promise<Reading> {
    this.#log = [];
    this.#error = undefined;
    const socket = new MemorySocket();
    socket.on('error', () => {});
    server.emit('connection', socket);
    for (const piece of pieces) {
      if (socket.destroyed) break;
      socket.push(piece);
      await turn();
    }
    // Time for answers given a turn later (a body read, a pipelined request behind an answer), then the end.
    for (let i = 0; i < 4; i++) await turn();
    if (!socket.destroyed) socket.push(null);
    for (let i = 0; i < 3; i++) await turn();
    socket.destroy();
    const text = Buffer.concat(socket.written).toString('latin1');
    // A response may follow the last one's body directly: find status lines anywhere (no body here holds one).
    const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1])).filter((s) => s >= 200);
    return { requests: this.#log, statuses, ...(this.#error === undefined ? {} : { error: this.#error }) };
  }

  close(): void {
    this.#ours.closeAllConnections();
    this.#ours.close();
    this.#node.closeAllConnections();
    this.#node.close();
  }
}

function latin1(body: Buffer | undefined): string {
  return body === undefined ? '<too large>' : body.toString('latin1');
}

function same(a: SeenRequest, b: SeenRequest): boolean {
  return (
    a.method === b.method &&
    a.url === b.url &&
    a.body === b.body &&
    JSON.stringify(sorted(a.headers)) === JSON.stringify(sorted(b.headers))
  );
}

function sorted(headers: SeenRequest['headers']): Array<[string, unknown]> {
  return Object.entries(headers)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The verdict on two readings of the same bytes (see the top of this file). */
export function judge(ours: Reading, llhttp: Reading): { verdict: Verdict; why?: string } {
  let k = 0;
  while (k < ours.requests.length && k < llhttp.requests.length && same(ours.requests[k]!, llhttp.requests[k]!)) k++;
  const oursRefusal = ours.statuses.find((s) => s !== 200);
  const llhttpRefused =
    (llhttp.error !== undefined && !EOF_ERRORS.has(llhttp.error)) || llhttp.statuses.some((s) => s !== 200);
  if (k < ours.requests.length && k < llhttp.requests.length)
    return { verdict: 'disagree', why: `request ${k + 1} read differently` };
  if (oursRefusal !== undefined) {
    if (!PARSER_STATUSES.has(oursRefusal)) return { verdict: 'wrong-status', why: `ours refused with ${oursRefusal}` };
    if (k < ours.requests.length) return { verdict: 'laxer', why: `ours read request ${k + 1}, llhttp did not` };
    return { verdict: llhttpRefused ? 'both-refused' : 'stricter' };
  }
  if (k < ours.requests.length)
    return {
      verdict: 'laxer',
      why: `ours read request ${k + 1}, llhttp ${llhttpRefused ? `refused (${llhttp.error ?? llhttp.statuses.join(',')})` : 'did not'}`,
    };
  if (k < llhttp.requests.length) return { verdict: 'disagree', why: `llhttp read request ${k + 1}, ours did not` };
  return { verdict: llhttpRefused ? 'undecided' : 'agree' };
}

// ——— The generator: valid requests, then the shapes that decide how a message is framed. ———

const pick = <T>(rand: Rand, items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
const int = (rand: Rand, max: number): number => Math.floor(rand() * max);

const BODY = '{"jsonrpc":"2.0","id":1,"method":"ping"}';
const METHODS = [
  'POST',
  'GET',
  'DELETE',
  'HEAD',
  'OPTIONS',
  'PUT',
  'PATCH',
  'M-SEARCH',
  'post',
  'PO ST',
  'POST\t',
  'P\x01ST',
  '',
];
const TARGETS = [
  '/mcp',
  '/mcp?x=1&y=%20',
  '*',
  'http://127.0.0.1/mcp',
  '/a%00b',
  '/a\x7fb',
  '/a\x01b',
  '/a\tb',
  '/\x80\xff',
  '/a#frag',
  '//x',
  '/a"b<c>{d}|\\^`',
  '',
];
const VERSIONS = [
  'HTTP/1.1',
  'HTTP/1.0',
  'HTTP/1.2',
  'HTTP/2.0',
  'http/1.1',
  'HTTP/1.10',
  'HTTP/01.1',
  'HTTP/1.1 ',
  'HTTP/1',
  'HTTP/1.1\t',
];
const CONTENT_LENGTHS = [
  '{n}',
  '0{n}',
  '+{n}',
  '{n} ',
  ' {n}',
  '\t{n}',
  '{n}, {n}',
  '{n},{n}',
  '0x{n}',
  '',
  '-1',
  '{n}.0',
  '1{n}',
  '99999999999999999999',
  '{n}\x0b',
  '{n}\t',
  '\t{n}',
];
const TRANSFER_ENCODINGS = [
  'chunked',
  'Chunked',
  'CHUNKED',
  ' chunked',
  'chunked ',
  '\tchunked',
  'chunked, chunked',
  'gzip, chunked',
  'chunked, gzip',
  'identity',
  'identity, chunked',
  'chunked;q=1',
  'chunked\x0b',
  'chunked\t',
  'xchunked',
  'chunk',
  '"chunked"',
  'gzip',
];
const FRAMING_NAMES = [
  'Transfer-Encoding',
  'transfer-encoding',
  'Transfer-Encoding ',
  'Transfer_Encoding',
  ' Transfer-Encoding',
  'Content-Length',
  'content-length',
  'Content-Length ',
];
const HEADER_VALUES = [
  'a',
  '',
  ' a ',
  'a\tb',
  'a\x01b',
  'a\x7fb',
  'a\x00b',
  '\x80\xff',
  'a\rb',
  '"q"',
  'a'.repeat(200),
];
const HEADER_NAMES = [
  'X-A',
  'x-a',
  'X A',
  'X@A',
  'X\x7fA',
  'X\x80',
  '',
  'X-A ',
  ' X-A',
  'Referer',
  'Cookie',
  'Set-Cookie',
  'Authorization',
  'Host',
];

/** A chunked body for `body`, each piece's size line drawn from the chunk shapes. */
function chunkedBody(rand: Rand, body: string, mangle: boolean): string {
  let out = '';
  for (let at = 0; at < body.length;) {
    const n = 1 + int(rand, 24);
    const part = body.slice(at, at + n);
    const size = part.length.toString(16);
    const line = mangle && rand() < 0.4 ? mangledSize(rand, size) : size;
    out += `${line}\r\n${part}${mangle && rand() < 0.1 ? pick(rand, ['', '\n', 'X\r\n', '\r']) : '\r\n'}`;
    at += n;
  }
  const last = mangle && rand() < 0.3 ? pick(rand, ['0;x=1', '00', '0 ', '0\t', '0;', '000000000000000000']) : '0';
  const trailer =
    mangle && rand() < 0.3
      ? pick(rand, ['T: v\r\n', 'T: v\n', 'T:\x01\r\n', ' T: v\r\n', 'Content-Length: 5\r\n'])
      : '';
  return `${out}${last}\r\n${trailer}${mangle && rand() < 0.1 ? '' : '\r\n'}`;
}

function mangledSize(rand: Rand, size: string): string {
  return pick(rand, [
    `0${size}`,
    size.toUpperCase(),
    `${size} `,
    `${size}\t`,
    ` ${size}`,
    `${size};a=b`,
    `${size} ;a=b`,
    `${size};a="q;\\"x"`,
    `${size};`,
    `${size};a\x01`,
    `${size}\n`,
    `+${size}`,
    `0x${size}`,
    `fffffffffffffffff${size}`,
    `${size}${size}`,
  ]);
}

/** A request line; an odd one draws each part from the odd shapes half the time, so most cases are not refused. */
function requestLine(rand: Rand, odd: boolean): string {
  if (!odd) return `POST /mcp HTTP/1.1`;
  const part = (valid: string, shapes: readonly string[]): string => (rand() < 0.5 ? valid : pick(rand, shapes));
  const sep = rand() < 0.85 ? ' ' : pick(rand, ['  ', '\t', ' \t']);
  return `${part('POST', METHODS)}${sep}${part('/mcp', TARGETS)}${sep}${part('HTTP/1.1', VERSIONS)}`;
}

/** One request: a head and a body, the framing drawn from the shapes above. */
function request(rand: Rand, shape: string): string {
  const lines = [requestLine(rand, shape === 'request-line')];
  lines.push(rand() < 0.95 ? `Host: ${pick(rand, ['127.0.0.1', 'a', 'localhost:3000'])}` : '');
  lines.push('Content-Type: application/json');
  if (shape === 'headers')
    for (let i = int(rand, 4); i >= 0; i--)
      lines.push(
        `${rand() < 0.5 ? 'X-A' : pick(rand, HEADER_NAMES)}:${pick(rand, ['', ' ', '\t'])}${rand() < 0.5 ? 'a' : pick(rand, HEADER_VALUES)}`,
      );
  if (rand() < 0.1)
    lines.push(`Connection: ${pick(rand, ['close', 'keep-alive', 'Keep-Alive', 'upgrade', 'close, x'])}`);
  if (rand() < 0.05) lines.push(`Expect: ${pick(rand, ['100-continue', '100-Continue', 'foo'])}`);
  const body = rand() < 0.2 ? '' : BODY.slice(0, 1 + int(rand, BODY.length));
  let payload = body;
  if (shape === 'framing') {
    const framing: string[] = [];
    for (let i = 1 + int(rand, 2); i > 0; i--) {
      const name = pick(rand, FRAMING_NAMES);
      const value = /content-length/i.test(name)
        ? pick(rand, CONTENT_LENGTHS).replaceAll('{n}', String(Buffer.byteLength(body)))
        : pick(rand, TRANSFER_ENCODINGS);
      framing.push(`${name}:${rand() < 0.8 ? ' ' : ''}${value}`);
    }
    lines.push(...framing);
    if (framing.some((f) => /^transfer-encoding/i.test(f) && /chunked/i.test(f)))
      payload = chunkedBody(rand, body, false);
  } else if (shape === 'chunks') {
    lines.push('Transfer-Encoding: chunked');
    payload = chunkedBody(rand, body, true);
  } else if (body.length > 0 || rand() < 0.5) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  if (shape === 'large-head') lines.push(`X-Pad: ${'p'.repeat(16_200 + int(rand, 400) - 200)}`);
  if (shape === 'folded') lines.splice(1 + int(rand, lines.length - 1), 0, pick(rand, [' folded', '\tfolded', ' ']));
  const head = lines.filter((l, i) => i === 0 || l !== '').join('\r\n');
  return `${head}\r\n\r\n${payload}`;
}

/** Replaces a few bytes with the bytes that decide framing: CR, LF, NUL, SP, HTAB, colon, digits, high bytes. */
function flip(rand: Rand, text: string): string {
  const out = Buffer.from(text, 'latin1');
  for (let n = 1 + int(rand, 3); n > 0 && out.length > 0; n--)
    out[int(rand, out.length)] = pick(
      rand,
      [0x0d, 0x0a, 0x00, 0x20, 0x09, 0x3a, 0x3b, 0x30, 0x31, 0x66, 0x7f, 0x80, 0xff],
    );
  return out.toString('latin1');
}

/** Cuts the bytes into 1–5 pieces at random points: both parsers must read the same whatever the pieces. */
function split(rand: Rand, buf: Buffer): Buffer[] {
  if (rand() < 0.5) return [buf];
  return cutAt(
    buf,
    Array.from({ length: 1 + int(rand, 4) }, () => int(rand, buf.length + 1)),
  );
}

/** Folded lines are refused by both every time: drawn less often than the others. */
const SHAPES = [
  'valid',
  'request-line',
  'headers',
  'framing',
  'framing',
  'chunks',
  'chunks',
  'folded',
  'flipped',
  'pipelined',
  'pipelined',
  'large-head',
] as const;
/** A request that follows the case's bytes: smuggling shows as one side reading it as a request, the other not. */
const PROBE = 'GET /probe HTTP/1.1\r\nHost: a\r\n\r\n';

/** The next case from the generator's state. */
export function nextDiffCase(rand: Rand): DiffCase {
  const shape = pick(rand, SHAPES);
  let text: string;
  if (shape === 'flipped') text = flip(rand, request(rand, pick(rand, ['valid', 'chunks', 'framing'])));
  else if (shape === 'pipelined')
    text = Array.from({ length: 2 + int(rand, 2) }, () =>
      request(rand, pick(rand, ['valid', 'framing', 'chunks'])),
    ).join('');
  else text = request(rand, shape);
  if (rand() < 0.5) text += PROBE;
  return { shape, pieces: split(rand, Buffer.from(text, 'latin1')) };
}

export interface DiffTally {
  cases: number;
  verdicts: Partial<Record<Verdict, number>>;
  shapes: Record<string, number>;
  findings: Array<{
    case: number;
    shape: string;
    verdict: Verdict;
    why?: string;
    bytes: string;
    ours: Reading;
    llhttp: Reading;
  }>;
}

/**
 * Plays cases from `seed` until `count` have run or `until` (ms since epoch) has passed; `onProgress` hears every
 * `progressEvery` cases. Findings are kept (the first `keep` of them in full).
 */
export async function runDifferential(options: {
  seed: number;
  count?: number;
  until?: number;
  /** Stops the run after the case in progress. */
  signal?: AbortSignal;
  keep?: number;
  progressEvery?: number;
  onProgress?: (tally: DiffTally) => void;
  /** Hears each finding as it is found (the kept ones and the rest). */
  onFinding?: (finding: DiffTally['findings'][number]) => void;
}): Promise<DiffTally> {
  const rand = seeded(options.seed);
  const diff = new Differential();
  const tally: DiffTally = { cases: 0, verdicts: {}, shapes: {}, findings: [] };
  try {
    while (
      (options.count === undefined || tally.cases < options.count) &&
      (options.until === undefined || Date.now() < options.until) &&
      options.signal?.aborted !== true
    ) {
      const c = nextDiffCase(rand);
      const judged = await diff.judge(c);
      tally.cases++;
      tally.shapes[c.shape] = (tally.shapes[c.shape] ?? 0) + 1;
      tally.verdicts[judged.verdict] = (tally.verdicts[judged.verdict] ?? 0) + 1;
      if (FINDINGS.has(judged.verdict)) {
        const finding = {
          case: tally.cases,
          shape: c.shape,
          verdict: judged.verdict,
          ...(judged.why === undefined ? {} : { why: judged.why }),
          bytes: Buffer.concat(c.pieces).toString('latin1'),
          ours: judged.ours,
          llhttp: judged.llhttp,
        };
        if (tally.findings.length < (options.keep ?? 20)) tally.findings.push(finding);
        options.onFinding?.(finding);
      }
      if (options.onProgress !== undefined && tally.cases % (options.progressEvery ?? 1_000) === 0)
        options.onProgress(tally);
    }
  } finally {
    diff.close();
  }
  return tally;
}
