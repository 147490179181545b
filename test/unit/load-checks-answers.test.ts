/** Every answer is checked: a wrong id, a JSON-RPC error, a non-2xx or a dead server is counted by kind, never timed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkAnswer, findResponse, McpHttpSession } from '../../harness/load/mcp-session.js';
import { runOpenModel } from '../../harness/load/open-model.js';
import { CallSource } from '../../harness/load/outcome.js';
import { INITIALIZE_RESULT, startTinyServer } from '../helpers/tiny-server.js';

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

function kind(outcome: ReturnType<typeof checkAnswer>): string {
  return outcome.ok ? 'ok' : outcome.kind;
}

test('a server that answers with the wrong id has every such answer counted as id_mismatch', async () => {
  // Every other tools/call answer carries somebody else's id.
  const tiny = await startTinyServer((req, reply) =>
    reply({
      id: req.method === 'tools/call' && req.id % 2 === 0 ? req.id + 1_000_000 : req.id,
      result: req.method === 'initialize' ? INITIALIZE_RESULT : {},
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
  const tiny = await startTinyServer((req, reply) =>
    reply({ id: req.id, result: req.method === 'initialize' ? INITIALIZE_RESULT : {} }),
  );
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
