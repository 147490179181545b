/**
 * `mcp-perf calibrate` measures what has a known answer: on this machine the table is printed with every check,
 * and a mock whose latency knob is deliberately wrong makes it fail with the reason, every process ended.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newTag, runCli, waitForNoProcesses } from '../helpers/cli.js';

test('calibrate prints every check against its known answer', async () => {
  const tag = newTag();
  const r = await runCli(['calibrate', '--json'], { tag });
  const { checks } = JSON.parse(r.stdout) as { checks: Array<{ name: string; state: string; measured: string }> };
  assert.deepEqual(
    checks.map((c) => c.name),
    [
      'timer precision (send lateness)',
      'speed (testbed key)',
      'known answer: mock at 5 ms',
      'known answer: stall 200 ms/s',
      'generator ceiling (zero-latency mock)',
    ],
  );
  assert.match(r.stderr, /^check +measured +expected +verdict$/m);
  const mock = checks.find((c) => c.name === 'known answer: mock at 5 ms')!;
  assert.equal(mock.state, 'ok', `${mock.measured}\n${r.stderr}`);
  assert.match(checks.at(-1)!.measured, /^ours [\d,]+\/s · autocannon [\d,]+\/s/);
  assert.equal(r.code === 0, !checks.some((c) => c.state === 'off'), 'exit 0 exactly when no known answer is off');
  assert.deepEqual(await waitForNoProcesses(tag, 2_000), []);
});

test('a mock whose latency knob is wrong makes calibrate fail, naming the check', async () => {
  const tag = newTag();
  // Only the check the wrong knob breaks (the others were run above).
  const r = await runCli(['calibrate', '--only', 'mock', '--mock-args=--latency-ms 7'], { tag });
  assert.equal(r.code, 99, r.stderr);
  const line =
    /known answer: mock at 5 ms +p50 [\d.]+ ms − [\d.]+ ms at 0 ms: ([\d.]+) ms \(median of 3\) +5 ms more \(4\.80–6\.00 ms\)/.exec(
      r.stdout,
    );
  assert.ok(line !== null, r.stdout);
  // Off on the high side, by the knob's 2 ms or more (how much more depends on how busy the machine is: 8.4 ms once).
  assert.ok(Number(line[1]) > 6, `the added latency ${line[1]} ms is above the range`);
  assert.doesNotMatch(r.stdout, /stall 200 ms\/s/);
  assert.match(r.stdout, /calibration FAILED: known answer: mock at 5 ms off/);
  assert.deepEqual(await waitForNoProcesses(tag, 2_000), []);

  const bad = await runCli(['calibrate', '--only', 'mock,jitter']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--only takes checks from timer, speed, mock, stall, ceiling; got "mock,jitter"/);
});
