/**
 * scanRequest (core/protocol/jsonrpc-scan.ts) against the full way (parseMessage: JSON.parse, classify) on generated
 * and mutated messages: whatever the scan reads as a request, the full way reads as the same request — method, id
 * (-0 included), params and the whole message — and it never accepts what the full way refuses. The generator must
 * also reach the scan's answers, or agreeing would prove little. The scan runs in WebAssembly (jsonrpc-scan.wat) and
 * every text is also read by its JavaScript twin, the reference and the fallback: the two must agree.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMessage } from '../../core/protocol/jsonrpc.js';
import { jsScanRequest, SCAN_JSON_IN_WASM, scanRequest } from '../../core/protocol/jsonrpc-scan.js';
import { seeded } from '../helpers/random.js';

/**
 * The scan's reading must be the full way's, or the scan must say nothing; and the scan in WebAssembly must read
 * every text as the scan in JavaScript does.
 */
function judge(bytes: Buffer): 'scanned' | 'left' {
  const scanned = scanRequest(bytes);
  const reference = jsScanRequest(bytes);
  const shown = JSON.stringify(bytes.toString('latin1'));
  assert.equal(scanned === undefined, reference === undefined, `the two scans disagree on ${shown}`);
  if (scanned === undefined) return 'left';
  assert.equal(scanned.method, reference!.method, shown);
  assert.ok(Object.is(scanned.id, reference!.id), shown);
  const text = bytes.toString('utf8');
  const full = parseMessage(text);
  const what = JSON.stringify(bytes.toString('latin1'));
  assert.ok('message' in full && full.message.kind === 'request', `scanned, yet the full way refuses: ${what}`);
  const request = full.message.message;
  assert.equal(scanned.method, request.method, what);
  assert.ok(Object.is(scanned.id, request.id), `id ${String(scanned.id)} against ${String(request.id)}: ${what}`);
  assert.deepEqual(scanned.params, request.params, what);
  assert.deepEqual(scanned.toJSON(), JSON.parse(text), what); // what JSON.stringify writes of it
  return 'scanned';
}

const IDS = [
  '1',
  '0',
  '-0',
  '42',
  '-7',
  '3.5',
  '1e3',
  '2E-2',
  '1e400',
  '"a"',
  '""',
  '"r-9"',
  '"\\u0041"',
  '"é"',
  'null',
  'true',
  '[]',
  '{}',
];
const METHODS = ['"tools/call"', '"initialize"', '""', '"tools\\/list"', '"m\\u00e9"', '"ü"', '1', 'null'];
const PARAMS = [
  '{}',
  '[]',
  '{"name":"echo","arguments":{"text":"hi"}}',
  '{"a":[1,2,{"b":null}],"c":"\\"q\\"\\n","d":-1.5e-3,"e":true,"f":false}',
  '{"deep":[[[[{"x":[]}]]]]}',
  '"s"',
  '1',
  'null',
  '{"_meta":{"progressToken":"t\\ud83d\\ude00"}}',
];
const JSONRPC = ['"2.0"', '"2.0"', '"2.0"', '"1.0"', '"2.00"', '2.0', '"2\\u002e0"'];
const OTHER_KEYS = ['"x":1', '"result":{}', '"error":{"code":1,"message":"m"}', '"meth\\u006fd":"m"', '"id ":2'];
const WS = ['', ' ', '\n', '\r\n\t '];

function generate(rand: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  // The first of each list half the time: most messages are valid, so the mutations start from what the scan reads.
  const usually = <T>(xs: readonly T[]): T => (rand() < 0.5 ? xs[0]! : pick(xs));
  const ws = (): string => (rand() < 0.8 ? '' : pick(WS));
  const members: string[] = [];
  if (rand() < 0.95) members.push(`"jsonrpc":${ws()}${usually(JSONRPC)}`);
  if (rand() < 0.95) members.push(`"method":${usually(METHODS)}`);
  if (rand() < 0.9) members.push(`"id":${usually(IDS)}`);
  if (rand() < 0.7) members.push(`"params":${usually(PARAMS)}`);
  if (rand() < 0.15) members.push(pick(OTHER_KEYS));
  // A repeat: the last one counts, for JSON.parse and the scan alike.
  if (rand() < 0.1)
    members.push(
      pick([
        `"id":${pick(IDS)}`,
        `"method":${pick(METHODS)}`,
        `"params":${pick(PARAMS)}`,
        `"jsonrpc":${pick(JSONRPC)}`,
      ]),
    );
  for (let k = members.length - 1; k > 0; k--) {
    const j = Math.floor(rand() * (k + 1));
    [members[k], members[j]] = [members[j]!, members[k]!];
  }
  return `${ws()}{${ws()}${members.join(`${ws()},${ws()}`)}${ws()}}${ws()}`;
}

const SPECIAL = [
  0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x00, 0x1f, 0x20, 0x0a, 0x80, 0xc3, 0xe2, 0xff, 0x30, 0x2d, 0x2e,
  0x65, 0x75,
];

function mutate(bytes: Buffer, rand: () => number): Buffer {
  const at = Math.floor(rand() * bytes.length);
  const byte = rand() < 0.7 ? SPECIAL[Math.floor(rand() * SPECIAL.length)]! : Math.floor(rand() * 256);
  switch (Math.floor(rand() * 4)) {
    case 0:
      return Buffer.concat([bytes.subarray(0, at), Buffer.from([byte]), bytes.subarray(at + 1)]); // replace
    case 1:
      return Buffer.concat([bytes.subarray(0, at), Buffer.from([byte]), bytes.subarray(at)]); // insert
    case 2:
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]); // delete
    default:
      return bytes.subarray(0, at); // truncate
  }
}

const CASES = 20_000;

test(`${CASES} generated and mutated messages: the scan reads each as the full way does, or leaves it`, (t) => {
  const rand = seeded(20261203);
  const tally = { scanned: 0, left: 0, mutatedScanned: 0 };
  for (let c = 0; c < CASES; c++) {
    let bytes: Buffer = Buffer.from(generate(rand), 'utf8');
    const mutations = rand() < 0.5 ? 0 : 1 + Math.floor(rand() * 3);
    for (let m = 0; m < mutations && bytes.length > 0; m++) bytes = mutate(bytes, rand);
    const verdict = judge(bytes);
    tally[verdict]++;
    if (verdict === 'scanned' && mutations > 0) tally.mutatedScanned++;
  }
  t.diagnostic(JSON.stringify(tally));
  // Both sides reached: requests the scan reads (some of them mutated into another valid shape), and plenty it leaves.
  assert.ok(tally.scanned > CASES / 10, JSON.stringify(tally));
  assert.ok(tally.left > CASES / 10, JSON.stringify(tally));
  assert.ok(tally.mutatedScanned > 0, JSON.stringify(tally));
});

test('the common shapes are scanned; everything unusual is left to the full parse', () => {
  const scanned = (text: string): boolean => judge(Buffer.from(text, 'utf8')) === 'scanned';
  // What the harness and the SDK send.
  assert.ok(
    scanned('{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":"x"}}}'),
  );
  assert.ok(scanned('{"method":"tools/list","jsonrpc":"2.0","id":"abc"}'));
  assert.ok(scanned(' {\n "jsonrpc" : "2.0" ,\t"id" : -0 , "method":"ping" , "params":[] }\r\n'));
  assert.ok(scanned('{"jsonrpc":"2.0","id":1,"method":"m","params":{"s":"\\u00e9\\"ü"}}'));
  assert.equal(scanRequest(Buffer.from('{"jsonrpc":"2.0","id":1e2,"method":"m"}'))?.id, 100);
  // Left: a notification, a response, a batch, an invalid id or params, escapes or non-ASCII where the scan reads,
  // a member repeated with the wrong value last, trailing bytes, nesting past the scan's depth.
  for (const text of [
    '{"jsonrpc":"2.0","method":"notifications/initialized"}',
    '{"jsonrpc":"2.0","id":1,"result":{}}',
    '[{"jsonrpc":"2.0","id":1,"method":"m"}]',
    '{"jsonrpc":"2.0","id":null,"method":"m"}',
    '{"jsonrpc":"2.0","id":1e999,"method":"m"}',
    '{"jsonrpc":"2.0","id":1,"method":"m","params":"p"}',
    '{"jsonrpc":"2.0","id":1,"method":"tools\\/call"}',
    '{"jsonrpc":"2.0","id":"é","method":"m"}',
    '{"jsonrpc":"2.0","id":1,"meth\\u006fd":"m"}',
    '{"jsonrpc":"2.0","id":1,"method":"m","jsonrpc":"1.0"}',
    '{"jsonrpc":"2.0","id":1,"method":"m"} x',
    '{"jsonrpc":"2.0","id":1,"method":"m",}',
    '{"jsonrpc":"2.0","id":01,"method":"m"}',
    `{"jsonrpc":"2.0","id":1,"method":"m","params":${'['.repeat(70)}${']'.repeat(70)}}`,
    '\ufeff{"jsonrpc":"2.0","id":1,"method":"m"}',
  ])
    assert.equal(scanned(text), false, text);
});

test('a message split by a bad UTF-8 sequence reads the same both ways', () => {
  // 0xE2 opens a three-byte sequence; the quote after it still ends the string for the decoder.
  const bytes = Buffer.concat([
    Buffer.from('{"jsonrpc":"2.0","id":1,"method":"m","params":{"t":"a'),
    Buffer.from([0xe2]),
    Buffer.from('"}}'),
  ]);
  assert.equal(judge(bytes), 'scanned');
});

test('the scan runs in WebAssembly, ends at the text however long the one before it was, and hands long texts on', () => {
  assert.equal(SCAN_JSON_IN_WASM, true, 'the build has no jsonrpc-scan.wasm, or this Node has no WebAssembly');
  const whole = '{"jsonrpc":"2.0","id":1,"method":"m","params":{"a":"bc"}}';
  assert.equal(judge(Buffer.from(whole)), 'scanned');
  // Every prefix of it, scanned right after the whole (the rest is still in the scanner's memory): none is a request.
  for (let n = whole.length - 1; n >= 0; n--) {
    assert.equal(judge(Buffer.from(whole)), 'scanned');
    assert.equal(judge(Buffer.from(whole.slice(0, n))), 'left', whole.slice(0, n));
  }
  // Literals cut short: true, false and null are compared several bytes at a time.
  for (const literal of ['true', 'false', 'null']) {
    const text = `{"jsonrpc":"2.0","id":1,"method":"m","params":[${literal}]}`;
    assert.equal(judge(Buffer.from(text)), 'scanned');
    assert.equal(judge(Buffer.from(text.replace(`${literal}]}`, literal.slice(0, -1)))), 'left');
    for (let at = 0; at < literal.length; at++) {
      const misspelt = `${literal.slice(0, at)}x${literal.slice(at + 1)}`;
      assert.equal(judge(Buffer.from(text.replace(literal, misspelt))), 'left', misspelt);
    }
  }
  // Plain runs of every length around the sixteen bytes read at a time, with an escape or a byte over 0x7f at each
  // place of them (it makes the string not plain: a method that is not plain is left to the full parse).
  for (let length = 0; length < 40; length++) {
    const run = 'x'.repeat(length);
    assert.equal(judge(Buffer.from(`{"jsonrpc":"2.0","id":1,"method":"${run}"}`)), 'scanned');
    for (let at = 0; at <= length; at++) {
      for (const odd of ['\\n', 'é', '\\u00e9']) {
        const method = run.slice(0, at) + odd + run.slice(at);
        assert.equal(judge(Buffer.from(`{"jsonrpc":"2.0","id":1,"method":"${method}"}`, 'utf8')), 'left', method);
        assert.equal(
          judge(Buffer.from(`{"jsonrpc":"2.0","id":1,"method":"m","params":{"t":"${method}"}}`, 'utf8')),
          'scanned',
        );
      }
      const broken = `{"jsonrpc":"2.0","id":1,"method":"m","params":{"t":"${run.slice(0, at)}\u0001${run.slice(at)}"}}`;
      assert.equal(judge(Buffer.from(broken)), 'left'); // a raw control byte in a string
    }
  }
  // Longer than the scanner's memory holds: read by the JavaScript scan, with the same answer.
  const long = `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"text":"${'y'.repeat(70_000)}"}}`;
  assert.equal(judge(Buffer.from(long)), 'scanned');
  assert.equal(judge(Buffer.from(long.slice(0, -1))), 'left');
});
