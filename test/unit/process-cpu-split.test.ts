import assert from 'node:assert/strict';
import { test } from 'node:test';
import { processTreeUserSystemMicros, userSystemMicros } from '../../harness/measure/cpu.js';

test('user and system CPU of a process, and of its tree, from /proc; undefined for a process that is not there', () => {
  // Enough work that this process has used some user time by now (loading the test runner alone does).
  let x = 0;
  for (let i = 0; i < 2_000_000; i++) x += Math.sqrt(i);
  assert.ok(x > 0);
  const own = userSystemMicros(process.pid);
  assert.ok(own !== undefined, 'read from /proc/<pid>/stat');
  assert.ok(own.user > 0 && Number.isInteger(own.user / 10_000), `user ${own.user} µs, in whole 10 ms ticks`);
  assert.ok(own.system >= 0 && Number.isInteger(own.system / 10_000), `system ${own.system} µs, in whole 10 ms ticks`);
  const tree = processTreeUserSystemMicros(process.pid);
  assert.ok(tree !== undefined && tree.user >= own.user && tree.system >= own.system, 'the tree includes the process');
  assert.equal(userSystemMicros(2 ** 22 + 1), undefined); // above Linux's pid_max limit: never a process
  assert.equal(processTreeUserSystemMicros(2 ** 22 + 1), undefined);
});
