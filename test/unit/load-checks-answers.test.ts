/**
 * Every answer is checked: a wrong id, another call's token, a JSON-RPC error, a non-2xx or a dead server is counted
 * by kind, never timed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  callToken,
  checkAnswer,
  findResponse,
  McpHttpSession,
  StatelessHttpSession,
  type CallOutcome,
} from '../../harness/load/mcp-session.js';
import { STATELESS } from '../../core/protocol/revisions.js';
import { statelessMeta } from '../../core/protocol/stateless.js';
import { runOpenModel } from '../../harness/load/open-model.js';
import { CallSource, type CallableSession } from '../../harness/load/outcome.js';
import { resultFor, startTinyServer } from '../helpers/tiny-server.js';

test('checkAnswer sorts answers into ok and error kinds', () => {
  const ok = '{"jsonrpc":"2.0","id":5,"result":{}}';
  assert.deepEqual(checkAnswer(200, 'application/json', ok, 5), { ok: true });
  assert.equal(kind(checkAnswer(200, 'application/json', ok, 6)), 'id_mismatch');
  assert.equal(
    kind(checkAnswer(200, 'application/json', '{"jsonrpc":"2.0","id":5,"error":{"code":-1,"message":"x"}}', 5)),
    'rpc_error',
  );
  assert.equal(kind(checkAnswer(500, 'application/json', ok, 5)), 'http_status');
  assert.equal(kind(checkAnswer(503, 'application/json', ok, 5)), 'shed', 'a refusal for capacity is its own kind');
  assert.equal(kind(checkAnswer(200, 'application/json', 'not json', 5)), 'bad_response');
  const sse =
    'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{}}\n\nid: 9\ndata: {"jsonrpc":"2.0","id":5,"result":{}}\n\n';
  assert.deepEqual(
    checkAnswer(200, 'text/event-stream', sse, 5),
    { ok: true },
    'notifications before the answer are skipped',
  );
  assert.equal(
    (findResponse('data: {"jsonrpc":"2.0","id":1,\ndata: "result":{}}\n\n', 'text/event-stream', 1) as { id: number })
      .id,
    1,
    'multi-line data joins',
  );
});

test('checkAnswer with a token: the answer must be this call’s own, whatever its id says', () => {
  const echo = (id: number, text: string): string =>
    JSON.stringify({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text }] } });
  const token = callToken(41);
  assert.equal(token, 't41;');
  assert.deepEqual(checkAnswer(200, 'application/json', echo(1, `${token}xxxx`), 1, token), { ok: true });
  const crossed = checkAnswer(200, 'application/json', echo(1, 't40;xxxx'), 1, token);
  assert.deepEqual(crossed, {
    ok: false,
    kind: 'crossed',
    detail: 'sent token t41; with id 1; the answer carries token t40;',
  });
  assert.equal(
    kind(checkAnswer(200, 'application/json', echo(1, 't411;x'), 1, token)),
    'crossed',
    'a prefix is not a match',
  );
  assert.equal(kind(checkAnswer(200, 'application/json', echo(1, 'xxxx'), 1, token)), 'crossed');
  assert.equal(
    kind(checkAnswer(200, 'application/json', '{"jsonrpc":"2.0","id":1,"result":{}}', 1, token)),
    'bad_response',
  );
  assert.equal(
    kind(checkAnswer(200, 'application/json', echo(2, token), 1, token)),
    'id_mismatch',
    'the id is checked first',
  );
  assert.equal(
    kind(checkAnswer(200, 'application/json', '{"jsonrpc":"2.0","id":1,"error":{"code":-1,"message":"x"}}', 1, token)),
    'rpc_error',
  );
});

/** A session that answers correctly after a tick, recording what it was sent and how many calls it had at once. */
class RecordingSession implements CallableSession {
  readonly calls: Array<{ id: number; token: string | undefined; text: unknown }> = [];
  inFlight = 0;
  maxInFlight = 0;
  async call(id: number, body: string, token?: string): Promise<CallOutcome> {
    const sent = JSON.parse(body) as { id: number; params: { arguments: { text: unknown } } };
    assert.equal(sent.id, id, 'the body carries the id the session is told');
    this.calls.push({ id, token, text: sent.params.arguments.text });
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    await new Promise((r) => setTimeout(r, 1));
    this.inFlight--;
    return { ok: true };
  }
}

test('CallSource: every call carries its own token in the echo text; ids unique, or all 1 and one at a time per session', async () => {
  for (const ids of ['unique', 'collide'] as const) {
    const sessions = [new RecordingSession(), new RecordingSession()];
    const source = new CallSource(sessions, { latencyMs: 0 }, { ids });
    // Sixteen calls at once: round-robin puts eight on each session.
    const outcomes = await Promise.all(Array.from({ length: 16 }, () => source.call()));
    assert.ok(outcomes.every((o) => o.ok));
    const calls = sessions.flatMap((s) => s.calls);
    assert.equal(calls.length, 16);
    assert.deepEqual(
      sessions.map((s) => s.calls.length),
      [8, 8],
    );
    for (const c of calls) assert.equal(c.text, c.token, `${ids}: the token is the echo's text`);
    assert.equal(new Set(calls.map((c) => c.token)).size, 16, `${ids}: tokens are unique`);
    if (ids === 'unique') {
      assert.equal(new Set(calls.map((c) => c.id)).size, 16, 'unique: ids are unique');
      assert.deepEqual(
        sessions.map((s) => s.maxInFlight),
        [8, 8],
        'unique: a session has its calls all at once',
      );
    } else {
      assert.ok(
        calls.every((c) => c.id === 1),
        'collide: every id is 1',
      );
      assert.deepEqual(
        sessions.map((s) => s.maxInFlight),
        [1, 1],
        'collide: never two calls with id 1 in one session',
      );
    }
  }
});

test('a server that hands one call another call’s answer (right id, wrong content) has each counted as crossed', async () => {
  // Every third tools/call is answered with the text of the call before it, under its own id.
  let calls = 0;
  let last = '';
  const tiny = await startTinyServer((req, reply) => {
    if (req.method !== 'tools/call') return reply({ id: req.id, result: resultFor(req) });
    const text = ++calls % 3 === 0 ? last : req.text;
    last = req.text;
    reply({ id: req.id, result: { content: [{ type: 'text', text }] } });
  });
  try {
    const source = new CallSource([await McpHttpSession.open(tiny.target)], {}, { ids: 'collide' });
    const outcome = await runOpenModel({ rate: 200, durationMs: 450, maxInFlight: 100, source });
    assert.equal(outcome.achieved.completed, 90);
    assert.equal(outcome.errors.crossed, 30);
    assert.equal(outcome.achieved.ok, 60);
    assert.match(
      outcome.errorSamples[0] ?? '',
      /^crossed: sent token t\d+; with id 1; the answer carries token t\d+;$/,
    );
  } finally {
    await tiny.close();
  }
});

test('a stateless (2026-07-28) result must say its resultType: one without a known one is a bad response', async () => {
  const whole = '{"jsonrpc":"2.0","id":5,"result":{"resultType":"complete"}}';
  const bare = '{"jsonrpc":"2.0","id":5,"result":{}}';
  assert.deepEqual(checkAnswer(200, 'application/json', whole, 5, undefined, true), { ok: true });
  assert.equal(kind(checkAnswer(200, 'application/json', bare, 5, undefined, true)), 'bad_response');
  assert.equal(
    kind(checkAnswer(200, 'application/json', bare.replace('{}', '{"resultType":"done"}'), 5, undefined, true)),
    'bad_response',
  );
  assert.deepEqual(checkAnswer(200, 'application/json', bare, 5), { ok: true }, 'older revisions have no such field');

  // Through the load: a server that leaves it out of every other answer has each of those counted.
  let calls = 0;
  const tiny = await startTinyServer((req, reply) => {
    if (req.method === 'server/discover')
      return reply({ id: req.id, result: { supportedVersions: [STATELESS], resultType: 'complete' } });
    const result = { content: [{ type: 'text', text: req.text }] };
    reply({ id: req.id, result: ++calls % 2 === 0 ? { ...result, resultType: 'complete' } : result });
  });
  try {
    const session = await StatelessHttpSession.open(tiny.target);
    const source = new CallSource([session], {}, { meta: statelessMeta('test') });
    const outcome = await runOpenModel({ rate: 200, durationMs: 500, maxInFlight: 100, source });
    assert.equal(outcome.achieved.completed, 100);
    assert.equal(outcome.errors.bad_response, 50);
    assert.equal(outcome.achieved.ok, 50);
    assert.match(outcome.errorSamples[0] ?? '', /without a known resultType \(got undefined\)/);
  } finally {
    await tiny.close();
  }
});

function kind(outcome: ReturnType<typeof checkAnswer>): string {
  return outcome.ok ? 'ok' : outcome.kind;
}

test('a server that answers with the wrong id has every such answer counted as id_mismatch', async () => {
  // Every other tools/call answer carries somebody else's id.
  const tiny = await startTinyServer((req, reply) =>
    reply({
      id: req.method === 'tools/call' && req.id % 2 === 0 ? req.id + 1_000_000 : req.id,
      result: resultFor(req),
    }),
  );
  try {
    const outcome = await runOpenModel({
      rate: 200,
      durationMs: 500,
      maxInFlight: 100,
      source: new CallSource([await McpHttpSession.open(tiny.target)], {}),
    });
    assert.equal(outcome.achieved.sent, 100);
    assert.equal(outcome.achieved.completed, 100);
    assert.equal(outcome.errors.id_mismatch, 50);
    assert.equal(outcome.achieved.ok, 50);
    assert.equal(outcome.histogram.totalCount, 50, 'only good answers are timed');
    assert.match(outcome.errorSamples[0] ?? '', /^id_mismatch: sent id \d+, got \d+/);
  } finally {
    await tiny.close();
  }
});

test('a server that goes away mid-run yields counted connection errors, and the run still ends on time', async () => {
  const tiny = await startTinyServer((req, reply) => reply({ id: req.id, result: resultFor(req) }));
  try {
    const source = new CallSource([await McpHttpSession.open(tiny.target)], {});
    setTimeout(() => {
      tiny.server.closeAllConnections();
      tiny.server.close();
    }, 200);
    const outcome = await runOpenModel({ rate: 200, durationMs: 600, maxInFlight: 100, source });
    assert.equal(outcome.achieved.sent, 120);
    assert.equal(outcome.achieved.completed, 120, 'every request resolved, as success or counted failure');
    const failures = Object.values(outcome.errors).reduce((a, b) => a + (b ?? 0), 0);
    assert.ok(failures >= 40, `only ${failures} failures after the server closed`);
    assert.equal(outcome.achieved.ok + failures, 120);
    assert.ok((outcome.errors.connect ?? 0) + (outcome.errors.reset ?? 0) === failures, JSON.stringify(outcome.errors));
  } finally {
    await tiny.close();
  }
});
