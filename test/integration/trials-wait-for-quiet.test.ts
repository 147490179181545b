/**
 * A trial waits for the other seats to go quiet (harness/runner/quiet.ts): real child processes stand in for a seat
 * still working after its trial (a spin that ends), one that never stops (capped, and named), and idle ones.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { untilQuiet } from '../../harness/runner/quiet.js';

/** A node child that says 'spinning', spins a CPU for `spinMs` (bounded), says 'done' and idles until killed. */
async function busyChild(spinMs: number): Promise<{ child: ChildProcess; done: Promise<number> }> {
  const code = `process.stdout.write('spinning\\n'); const end = Date.now() + ${spinMs}; while (Date.now() < end);
    process.stdout.write('done\\n'); setTimeout(() => {}, 30000);`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  let resolveDone: (at: number) => void = () => {};
  const done = new Promise<number>((resolve) => (resolveDone = resolve));
  const spinning = new Promise<void>((resolve) =>
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('spinning')) resolve();
      if (text.includes('done')) resolveDone(performance.now());
    }),
  );
  await spinning;
  return { child, done };
}

async function end(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await once(child, 'exit');
}

test('the wait lasts until a busy process has stopped working, and then says nothing', async () => {
  const { child, done } = await busyChild(800);
  try {
    const outcome = await untilQuiet(new Map([[child.pid!, 'tail']]), { maxMs: 10_000 });
    const returnedAt = performance.now();
    const doneAt = await Promise.race([done, Promise.resolve(Infinity)]);
    assert.ok(doneAt <= returnedAt, 'the wait ended while the child was still spinning');
    assert.equal(outcome.busy, undefined);
  } finally {
    await end(child);
  }
});

test('a process that never stops ends the wait at its limit, named as the busiest', async () => {
  const spinner = await busyChild(20_000);
  const idle = await busyChild(0);
  try {
    const outcome = await untilQuiet(
      new Map([
        [idle.child.pid!, 'idle'],
        [spinner.child.pid!, 'spinner'],
      ]),
      { maxMs: 600 },
    );
    assert.ok(outcome.busy !== undefined, 'a spinning process passed for quiet');
    assert.equal(outcome.busy.busiest, 'spinner');
    assert.ok(outcome.busy.sharePct >= 50, `a spinning core read as ${outcome.busy.sharePct}% of one`);
    assert.ok(outcome.ms >= 600);
  } finally {
    await end(spinner.child);
    await end(idle.child);
  }
});

test('idle processes, or none, are quiet at the first look', async () => {
  assert.deepEqual(await untilQuiet(new Map()), { ms: 0 });
  const idle = await busyChild(0);
  try {
    await idle.done;
    const outcome = await untilQuiet(new Map([[idle.child.pid!, 'idle']]), { windowMs: 200, maxMs: 5_000 });
    assert.equal(outcome.busy, undefined);
  } finally {
    await end(idle.child);
  }
});
