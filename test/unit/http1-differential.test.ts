/**
 * The proxy's HTTP/1.1 parser against llhttp (node:http's), on generated and mutated requests
 * (test/helpers/http1-differential.ts): where both accept they read the same requests, ours never accepts what llhttp
 * refuses, and its refusals carry a parser's status. A seeded run here; `npm run fuzz:http1 -- --minutes 10` for a
 * long one. The byte strings below are what the first runs found (each fixed in core/protocol/http1-parse.ts or proxy/http1/server.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Differential, FINDINGS, judge, runDifferential, type Reading } from '../helpers/http1-differential.js';

const CASES = 4_000;

test(`${CASES} generated and mutated requests: no finding, and every kind of case reached`, async (t) => {
  const tally = await runDifferential({ seed: 20261202, count: CASES });
  t.diagnostic(`verdicts ${JSON.stringify(tally.verdicts)}, shapes ${JSON.stringify(tally.shapes)}`);
  assert.equal(tally.cases, CASES);
  assert.deepEqual(
    tally.findings.map((f) => `${f.verdict} (${f.why}): ${JSON.stringify(f.bytes.slice(0, 400))}`),
    [],
  );
  assert.equal(Object.keys(tally.shapes).length, 9, 'every shape was played');
  // The generator must reach both sides of the parser, or agreeing would prove little.
  assert.ok((tally.verdicts.agree ?? 0) > CASES / 10, `agree ${tally.verdicts.agree}`);
  assert.ok((tally.verdicts['both-refused'] ?? 0) > CASES / 10, `both refused ${tally.verdicts['both-refused']}`);
});

test('what the first runs found: each refused by both now', async () => {
  const found = [
    // a control character in a header value, a trailer, the request target
    'POST /mcp HTTP/1.1\r\nHost: a\r\nX-A: a\x7fb\r\nContent-Length: 0\r\n\r\n',
    'POST /mcp HTTP/1.1\r\nHost: a\r\nTransfer_Encoding: chunked\x0b\r\nContent-Length: 0\r\n\r\n',
    'POST /mcp HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT:\x01\r\n\r\n',
    'PUT /a\x01b HTTP/1.0\r\nHost: a\r\nContent-Length: 0\r\n\r\nGET /probe HTTP/1.1\r\nHost: a\r\n\r\n',
    'POST 1mcp HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n',
    // chunk lines: whitespace after the size, an empty extension
    'POST /mcp HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1 \r\n{\r\n0\r\n\r\nGET /probe HTTP/1.1\r\nHost: a\r\n\r\n',
    'POST /mcp HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0;\r\n\r\n',
    // framing in the trailers; a folded trailer
    'POST /mcp HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nContent-Length: 5\r\n\r\nGET /probe HTTP/1.1\r\nHost: a\r\n\r\n',
    'POST /mcp HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n T: v\r\n\r\nGET /probe HTTP/1.1\r\nHost: a\r\n\r\n',
    // an equal repeat of Content-Length
    'POST /mcp HTTP/1.1\r\nHost: a\r\ncontent-length:\t22\r\ncontent-length:  22\r\n\r\n{"jsonrpc":"2.0","id":GET /probe HTTP/1.1\r\nHost: a\r\n\r\n',
    // a method llhttp does not know; an Expect it does not know, with no body
    'post /mcp HTTP/1.0\r\nHost: a\r\nContent-Length: 3\r\n\r\n{"j',
    'POST /mcp HTTP/1.1\r\nHost: a\r\nExpect: foo\r\nContent-Length:  0\r\n\r\nGET /probe HTTP/1.1\r\nHost: a\r\n\r\n',
    // a tab after a framing field's value (the 10-minute run: 9 in 840,000 cases, all Content-Length)
    'POST /mcp HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\t\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    'POST /mcp HTTP/1.1\r\nHost: a\r\nContent-Length: 3\t\r\n\r\n{"jGET /probe HTTP/1.1\r\nHost: a\r\n\r\n',
  ];
  const diff = new Differential();
  try {
    for (const bytes of found) {
      const judged = await diff.judge({ shape: 'found', pieces: [Buffer.from(bytes, 'latin1')] });
      assert.equal(
        judged.verdict,
        'both-refused',
        `${JSON.stringify(bytes)}: ${judged.why ?? ''} ${JSON.stringify(judged.ours)}`,
      );
      assert.equal(judged.ours.requests.length, 0, JSON.stringify(bytes));
    }
  } finally {
    diff.close();
  }
});

test('the judge: laxer, disagreeing and wrong-status readings are findings; stricter and undecided are not', () => {
  const r = (url: string, body = '') => ({ method: 'POST', url, headers: { host: 'a' }, body });
  const reading = (requests: ReturnType<typeof r>[], statuses: number[], error?: string): Reading => ({
    requests,
    statuses,
    ...(error === undefined ? {} : { error }),
  });
  const cases: Array<[Reading, Reading, string]> = [
    [reading([r('/a')], [200]), reading([r('/a')], [200]), 'agree'],
    [reading([], [400]), reading([], [400], 'HPE_INVALID_CHUNK_SIZE'), 'both-refused'],
    [reading([], [400]), reading([r('/a')], [200]), 'stricter'],
    [reading([], []), reading([], [400], 'HPE_INVALID_HEADER_TOKEN'), 'undecided'],
    [reading([r('/a')], [200]), reading([], [400], 'HPE_INVALID_HEADER_TOKEN'), 'laxer'],
    [reading([r('/a'), r('/probe')], [200, 200]), reading([r('/a', 'GET /probe')], [200]), 'disagree'],
    [reading([r('/a')], [200]), reading([r('/a'), r('/probe')], [200, 200]), 'disagree'],
    [reading([], [500]), reading([], [400], 'HPE_INVALID_METHOD'), 'wrong-status'],
    [reading([r('/a')], [200, 400]), reading([r('/a')], [200]), 'stricter'],
    // Bytes that end mid-message are not a refusal by llhttp.
    [reading([r('/a')], [200]), reading([r('/a')], [200], 'HPE_INVALID_EOF_STATE'), 'agree'],
  ];
  for (const [ours, llhttp, expected] of cases) {
    const { verdict } = judge(ours, llhttp);
    assert.equal(verdict, expected, JSON.stringify({ ours, llhttp }));
    assert.equal(FINDINGS.has(verdict), ['laxer', 'disagree', 'wrong-status'].includes(expected));
  }
});
