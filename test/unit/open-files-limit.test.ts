/** A scenario that would exhaust the open-files limit is refused before it starts, saying what to raise. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseOpenFilesLimit, requireOpenFiles } from '../../harness/measure/limits.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            20000                20000                files
Max locked memory         8388608              8388608              bytes
`;

test('the soft open-files limit is read from /proc/<pid>/limits', () => {
  assert.equal(parseOpenFilesLimit(LIMITS), 20_000);
  assert.equal(
    parseOpenFilesLimit(LIMITS.replace('20000                20000', 'unlimited            unlimited')),
    undefined,
  );
  assert.equal(parseOpenFilesLimit('nothing here'), undefined);
});

test('more descriptors than the limit is a clear error naming the scenario, the need and the fix', () => {
  assert.doesNotThrow(() => requireOpenFiles('memory-per-session', 4_256, 'x', 20_000));
  assert.throws(
    () => requireOpenFiles('memory-per-session', 20_256, '2 per session with a stream, 10000 sessions', 20_000),
    /memory-per-session needs about 20,256 open files in one process \(2 per session with a stream, 10000 sessions\) and this machine allows 20,000 \(ulimit -n\): raise the limit \(ulimit -n 65536\)/,
  );
});

test('this process can read its own limit (Linux)', { skip: process.platform !== 'linux' }, async () => {
  const { openFilesLimit } = await import('../../harness/measure/limits.js');
  const limit = openFilesLimit();
  assert.ok(limit === undefined || limit > 0);
});
