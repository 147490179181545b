/** The harness's legacy HTTP+SSE load session drives the legacy mock: every call answered on the stream, by id. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runClosedModel } from '../../harness/load/closed-model.js';
import { LegacySseSession } from '../../harness/load/legacy-sse-session.js';
import { createTargetPool } from '../../harness/load/mcp-session.js';
import { runOpenModel } from '../../harness/load/open-model.js';
import { CallSource } from '../../harness/load/outcome.js';
import { newTag, startService, waitForNoProcesses } from '../helpers/cli.js';

test('closed and open models over legacy SSE sessions: all calls answered, faults counted', async () => {
  const tag = newTag();
  const mock = await startService(['mock', 'sse', '--error-rate', '0.2', '--error-kind', 'rpc'], tag);
  const url = new URL(mock.url);
  const pool = createTargetPool(url, 16);
  try {
    const sessions = await Promise.all([0, 1, 2].map(() => LegacySseSession.open(pool, url, 5_000)));
    const closed = await runClosedModel({ concurrency: 6, durationMs: 500, source: new CallSource(sessions, {}) });
    assert.ok(closed.achieved.completed > 100, `${closed.achieved.completed} calls`);
    assert.equal(
      closed.achieved.ok + (closed.errors.rpc_error ?? 0),
      closed.achieved.completed,
      JSON.stringify(closed.errors),
    );
    assert.ok((closed.errors.rpc_error ?? 0) > 0, 'the injected errors were seen and counted');
    const open = await runOpenModel({
      rate: 200,
      durationMs: 500,
      maxInFlight: 100,
      source: new CallSource(sessions, {}),
    });
    assert.equal(open.achieved.completed, 100);
    await Promise.all(sessions.map((s) => s.close()));
  } finally {
    await pool.destroy();
    await mock.stop();
  }
  assert.deepEqual(await waitForNoProcesses(tag), []);
});
