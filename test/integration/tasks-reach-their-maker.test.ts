/**
 * The tasks extension (SEP-2663) of 2026-07-28 through every proxy that spreads stateless requests: a tool call may
 * be answered with a task handle, and the client's tasks/get, tasks/cancel about it must reach the server that made
 * the task — not the next one in turn, which has never heard of it. Through the reverse proxy over two upstreams (its
 * body parsed, and routed on the headers alone), and through the bridge's two shared children.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { statelessMeta } from '../../core/protocol/stateless.js';
import { BIN, serviceGroup } from '../helpers/cli.js';
import { HEADERS } from '../helpers/mcp-http.js';
import { metric } from '../helpers/metrics.js';
import { createTargetPool, StatelessHttpSession } from '../../harness/load/mcp-session.js';
import { CallSource } from '../../harness/load/outcome.js';

const group = serviceGroup();
after(async () => assert.deepEqual(await group.stopAll(), []));

interface Answer {
  status: number;
  result?: Record<string, any>;
  error?: { message: string };
}

async function post(
  url: string,
  method: string,
  params: Record<string, unknown>,
  tasks = true,
  extra: Record<string, string> = {},
): Promise<Answer> {
  const name = typeof params.name === 'string' ? params.name : typeof params.taskId === 'string' ? params.taskId : '';
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      ...HEADERS,
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': method,
      ...(name === '' ? {} : { 'mcp-name': name }),
      ...extra,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method,
      params: { ...params, _meta: statelessMeta('t', { tasks }) },
    }),
  });
  return { status: res.status, ...((await res.json()) as object) };
}

const startTask = (url: string, text: string, latencyMs = 20) =>
  post(url, 'tools/call', { name: 'echo', arguments: { text, latencyMs, task: true } });

/** tasks/get until the task is no longer working; every answer along the way must know the task. */
async function settle(url: string, taskId: string): Promise<Record<string, any>> {
  for (let i = 0; i < 200; i++) {
    const got = await post(url, 'tasks/get', { taskId });
    assert.equal(got.status, 200, JSON.stringify(got));
    assert.equal(got.error, undefined, `tasks/get ${taskId}: ${got.error?.message}`);
    if (got.result!.status !== 'working') return got.result!;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`task ${taskId} still working after 200 polls`);
}

/** Six tasks (three on each of two servers, made in turn), each polled to its end and cancelled one. */
async function everyTaskFound(url: string): Promise<void> {
  const made = [];
  for (let i = 0; i < 6; i++) {
    const handle = await startTask(url, `tok${i};`);
    assert.equal(handle.status, 200, JSON.stringify(handle));
    assert.equal(handle.result?.resultType, 'task', JSON.stringify(handle));
    assert.equal(handle.result?.status, 'working');
    made.push({ taskId: handle.result!.taskId as string, token: `tok${i};` });
  }
  for (const { taskId, token } of made) {
    const task = await settle(url, taskId);
    assert.equal(task.status, 'completed');
    assert.equal(task.resultType, 'complete');
    assert.ok(String(task.result?.content?.[0]?.text).startsWith(token), `task ${taskId} carries its own answer`);
  }
  // tasks/cancel reaches the maker too: a long task, cancelled, then read as cancelled.
  for (let i = 0; i < 2; i++) {
    const long = await startTask(url, 'long;', 10_000);
    const taskId = long.result!.taskId as string;
    const cancelled = await post(url, 'tasks/cancel', { taskId });
    assert.equal(cancelled.error, undefined, JSON.stringify(cancelled));
    assert.equal((await settle(url, taskId)).status, 'cancelled');
  }
}

test('the mock: a task for a client that declared the extension, a plain result for one that did not', async () => {
  const mock = await group.start(['mock', 'http']);
  await everyTaskFound(mock.url);
  const plain = await post(mock.url, 'tools/call', { name: 'echo', arguments: { text: 'p;', task: true } }, false);
  assert.equal(plain.result?.resultType, 'complete');
  assert.ok(String(plain.result?.content?.[0]?.text).startsWith('p;'));
  const unknown = await post(mock.url, 'tasks/get', { taskId: 'no-such-task' });
  assert.match(unknown.error?.message ?? '', /unknown or expired task/);
});

test('the reverse proxy over two upstreams: every tasks/get and tasks/cancel reaches the task maker, body parsed or not', async () => {
  const a = await group.start(['mock', 'http', '--name', 'a']);
  const b = await group.start(['mock', 'http', '--name', 'b']);
  for (const extra of [[], ['--route-on-headers']]) {
    const proxy = await group.start(['proxy', '--upstream', a.url, '--upstream', b.url, ...extra]);
    await everyTaskFound(proxy.url);
    assert.equal(await metric(proxy.url, 'mcp_proxy_task_routes'), 8, 'eight handles noted');
  }
});

test("the bridge's shared children: every tasks/get and tasks/cancel reaches the child that made the task", async () => {
  const bridge = await group.start(['proxy', '--upstream-cmd', `"${process.execPath}" "${BIN}" mock stdio`]);
  await everyTaskFound(bridge.url);
  assert.equal(await metric(bridge.url, 'mcp_proxy_task_routes'), 8, 'eight handles noted');
});

const ALPHA = { authorization: 'Bearer alpha-token-0001' };
const BETA = { authorization: 'Bearer beta-token-00002' };
const AUTH = ['--auth-token', 'alpha-token-0001', '--auth-token', 'beta-token-00002'];

test("a task belongs to the principal whose call made it: another token's tasks/get and tasks/cancel find nothing", async () => {
  const mock = await group.start(['mock', 'http']);
  const stdio = `"${process.execPath}" "${BIN}" mock stdio`;
  for (const args of [
    ['--upstream', mock.url],
    ['--upstream-cmd', stdio],
  ]) {
    const proxy = await group.start(['proxy', ...args, ...AUTH]);
    const handle = await post(
      proxy.url,
      'tools/call',
      { name: 'echo', arguments: { text: 'a;', task: true } },
      true,
      ALPHA,
    );
    const taskId = handle.result?.taskId as string;
    assert.equal(typeof taskId, 'string', JSON.stringify(handle));
    for (const method of ['tasks/get', 'tasks/cancel']) {
      const foreign = await post(proxy.url, method, { taskId }, true, BETA);
      assert.equal(foreign.status, 404, `${args[0]} ${method} with another token`);
      assert.equal(foreign.error?.message, 'unknown or expired task');
    }
    assert.equal(await metric(proxy.url, 'mcp_proxy_rejected_total{reason="foreign_task"}'), 2);
    // The owner's task went on, uncancelled.
    let task: Answer;
    do task = await post(proxy.url, 'tasks/get', { taskId }, true, ALPHA);
    while (task.result?.status === 'working');
    assert.equal(task.result?.status, 'completed', JSON.stringify(task));
  }
});

test('the load polls a task to its end, and a server that dies mid-poll is an error of the call, not a throw', async () => {
  const mock = await group.start(['mock', 'http']);
  const url = new URL(mock.url);
  const target = { url, pool: createTargetPool(url, 4), requestTimeoutMs: 5_000 };
  group.defer(() => target.pool.destroy());
  const session = await StatelessHttpSession.open(target, 't', { tasks: true });
  const source = (latencyMs: number) =>
    new CallSource([session], { task: true, latencyMs }, { meta: statelessMeta('t', { tasks: true }) });
  assert.deepEqual(await source(20).call(), { ok: true }, 'a task polled to completion, its token checked');
  const polling = source(10_000).call();
  await new Promise((r) => setTimeout(r, 100));
  await mock.stop();
  const outcome = await polling;
  assert.equal(outcome.ok, false);
  assert.ok(!outcome.ok && ['reset', 'connect'].includes(outcome.kind), JSON.stringify(outcome));
});
