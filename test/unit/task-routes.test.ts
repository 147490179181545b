/** Where each task lives, for a proxy that spreads stateless requests: noted, found, expired, bounded, forgotten. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TaskRoutes } from '../../proxy/upstream/task-routes.js';
import { createdTaskId, routedName } from '../../core/protocol/stateless.js';

test('a task is found on the upstream whose handle said so, until its ttlMs has passed', () => {
  let now = 1_000;
  const routes = new TaskRoutes<string>(10, () => now);
  routes.remember('t1', 'a', 500, 'alice');
  routes.remember('t2', 'b', undefined, undefined); // no ttlMs: the default (minutes)
  assert.deepEqual(routes.find('t1'), { target: 'a', owner: 'alice', expires: 1_500 });
  assert.equal(routes.find('t2')?.target, 'b');
  assert.equal(routes.find('t3'), undefined);
  now += 500;
  assert.equal(routes.find('t1'), undefined, 'expired');
  assert.equal(routes.find('t2')?.target, 'b');
  assert.equal(routes.size, 1, 'an expired note is dropped when asked for');
});

test('bounded: past the limit the oldest note goes first; forget drops every task of a target', () => {
  const routes = new TaskRoutes<string>(3);
  for (const [id, target] of [
    ['t1', 'a'],
    ['t2', 'b'],
    ['t3', 'a'],
  ] as const)
    routes.remember(id, target, 60_000, undefined);
  routes.remember('t1', 'a', 60_000, undefined); // noted again: now the newest
  routes.remember('t4', 'b', 60_000, undefined);
  assert.equal(routes.size, 3);
  assert.equal(routes.find('t2'), undefined, 'the oldest went');
  assert.equal(routes.find('t1')?.target, 'a');
  routes.forget('a');
  assert.deepEqual([routes.find('t1'), routes.find('t3'), routes.find('t4')?.target], [undefined, undefined, 'b']);
});

test('a task handle is told from a result, and tasks/* requests are named by their taskId', () => {
  assert.equal(createdTaskId({ resultType: 'task', taskId: 'x', status: 'working' }), 'x');
  assert.equal(createdTaskId({ resultType: 'complete', taskId: 'x' }), undefined);
  assert.equal(createdTaskId({ content: [] }), undefined);
  assert.equal(createdTaskId(null), undefined);
  assert.equal(routedName('tasks/get', { taskId: 'x' }), 'x');
  assert.equal(routedName('tasks/cancel', { taskId: 'y' }), 'y');
  assert.equal(routedName('tasks/get', {}), undefined);
});
