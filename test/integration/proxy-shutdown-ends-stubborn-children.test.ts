/**
 * SIGTERM to the bridge while a call is in flight to a child that ignores both EOF on stdin and SIGTERM: the proxy
 * still ends every child (SIGKILL is the last step, and an exit hook kills whatever is left) and exits 0 within
 * its close grace. On 951cb6c it exited 1 at 5.0 s and left both children running.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { newTag, processesWithTag, startService, waitForNoProcesses } from '../helpers/cli.js';
import { HEADERS, INIT, openSession } from '../helpers/mcp-http.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/misbehaving-stdio-server.js', import.meta.url));

test('SIGTERM with a call in flight to stubborn children: exit 0, no child left', async () => {
  const tag = newTag();
  const proxy = await startService(['proxy', '--upstream-cmd', `"${process.execPath}" "${FIXTURE}" --stubborn`], tag);
  try {
    const a = await openSession(proxy.url);
    await openSession(proxy.url);
    const children = processesWithTag(tag).filter((pid) => pid !== proxy.pid);
    assert.equal(children.length, 2, 'one child per session');
    // A call that will never be answered, in flight at shutdown.
    const hanging = fetch(proxy.url, {
      method: 'POST',
      headers: { ...HEADERS, 'mcp-session-id': a },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'hang' } }),
    }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    proxy.proc.kill('SIGTERM');
    const result = await proxy.proc;
    const tookMs = Date.now() - started;
    assert.equal(result.exitCode, 0, `exit code (stderr: ${String(result.stderr ?? '').slice(0, 300)})`);
    assert.ok(tookMs < 5_000, `the shutdown finished inside its 5 s grace (took ${tookMs} ms)`);
    assert.deepEqual(await waitForNoProcesses(tag, 2_000), [], 'no stubborn child outlives the proxy');
    await hanging;
  } finally {
    proxy.proc.kill('SIGKILL');
    for (const pid of processesWithTag(tag)) process.kill(pid, 'SIGKILL');
  }
});

test('stdio forward: the client closes stdin, the child ignores EOF and SIGTERM: exit 0, the child is gone', async () => {
  const tag = newTag();
  const { execa } = await import('execa');
  const { BIN } = await import('../helpers/cli.js');
  const proc = execa(process.execPath, [BIN, 'proxy', '--stdio', '--', process.execPath, FIXTURE, '--stubborn'], {
    env: { MCP_PERF_TEST_TAG: tag },
    reject: false,
    stdin: 'pipe',
  });
  proc.stdin!.write(INIT + '\n');
  await new Promise((r) => setTimeout(r, 500));
  proc.stdin!.end(); // the client goes away: the child ignores EOF and SIGTERM
  const result = await proc;
  assert.equal(result.exitCode, 0);
  assert.deepEqual(await waitForNoProcesses(tag, 2_000), []);
});
