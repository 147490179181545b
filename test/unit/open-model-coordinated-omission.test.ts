/**
 * The open model must not hide a stall. A server that freezes for 300 ms while requests are due every 5 ms delays
 * ~60 requests; timed from their intended send times, all of them record the wait. A closed-model client sees the
 * same stall as one slow request per connection — that is coordinated omission, and why latency comes from the
 * open model.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runClosedModel } from '../../harness/load/closed-model.js';
import { McpHttpSession, type SessionTarget } from '../../harness/load/mcp-session.js';
import { runOpenModel } from '../../harness/load/open-model.js';
import { CallSource } from '../../harness/load/outcome.js';
import { resultFor, startTinyServer } from '../helpers/tiny-server.js';

let stallUntil = 0;
let server: Awaited<ReturnType<typeof startTinyServer>>;
let target: SessionTarget;

before(async () => {
  // Answers are held back until `stallUntil`.
  server = await startTinyServer((req, reply) => {
    const answer = (): void => reply({ id: req.id, result: resultFor(req) });
    const wait = stallUntil - Date.now();
    if (wait > 0) setTimeout(answer, wait);
    else answer();
  });
  target = server.target;
});
after(() => server.close());

test('a 300 ms stall shows up in every request that was due during it (open model)', async () => {
  const source = new CallSource([await McpHttpSession.open(target)], {});
  setTimeout(() => (stallUntil = Date.now() + 300), 400);
  const outcome = await runOpenModel({ rate: 200, durationMs: 1_500, maxInFlight: 1_000, source });
  assert.equal(outcome.achieved.sent, 300, 'every scheduled send went out');
  assert.equal(outcome.achieved.ok, 300);
  assert.equal(outcome.achieved.dropped, 0);
  const h = outcome.histogram;
  // ~60 of 300 requests were due in the 300 ms; each waited from its intended time, so at least the slowest 10%
  // (30 samples) are over 100 ms. Wide margins: this checks the accounting, not the machine's speed.
  assert.ok(h.getValueAtPercentile(90) >= 100_000, `p90 ${h.getValueAtPercentile(90)} µs: the stall was hidden`);
  assert.ok(h.maxValue >= 250_000, `max ${h.maxValue} µs does not show a 300 ms stall`);
});

test('the closed model sees the same stall only once per connection (why it is not used for latency)', async () => {
  const source = new CallSource([await McpHttpSession.open(target)], {});
  setTimeout(() => (stallUntil = Date.now() + 300), 400);
  const outcome = await runClosedModel({ concurrency: 1, durationMs: 1_500, source });
  const h = outcome.histogram;
  assert.ok(h.totalCount > 100, `only ${h.totalCount} samples`);
  // At most a couple of samples (the request in flight when the stall began) are slow.
  const pAllButThree = 100 * (1 - 3 / h.totalCount);
  assert.ok(
    h.getValueAtPercentile(pAllButThree) < 100_000,
    'the closed model recorded the stall more than once or twice',
  );
  assert.ok(h.maxValue >= 100_000, 'the one stalled request is there');
});
