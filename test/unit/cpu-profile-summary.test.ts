/**
 * A V8 .cpuprofile summarised for the sign-off: totals add up, idle is left out, a load window keeps only its samples,
 * recursion is counted once in a function's total, frames are told apart by owner, and the flame graph draws them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeFrame, summariseCpuProfile } from '../../harness/measure/cpu-profile.js';
import { flameGraphSvg } from '../../reports/flame.js';

const frame = (id: number, functionName: string, url: string, children: number[] = [], lineNumber = 9) => ({
  id,
  callFrame: { functionName, url, lineNumber },
  children,
});

const OURS = 'file:///home/u/mcp-perf/dist/proxy/http1/server.js';
// root → (idle); root → onStreamRead (node) → #parse (ours) → #parse (recursion) → writev (VM); root → (program)
const PROFILE = {
  nodes: [
    frame(1, '(root)', '', [2, 3, 7]),
    frame(2, '(idle)', ''),
    frame(3, 'onStreamRead', 'node:internal/stream_base_commons', [4]),
    frame(4, '#parse', OURS, [5]),
    frame(5, '#parse', OURS, [6]),
    frame(6, 'writev', ''),
    frame(7, '(program)', ''),
  ],
  // 4 idle, 1 onStreamRead, 2 #parse (outer), 1 #parse (inner), 4 writev, 1 (program): 13 samples, 9 busy
  samples: [2, 2, 2, 2, 3, 4, 4, 5, 6, 6, 6, 6, 7],
  timeDeltas: [100, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
  startTime: 1_000_000,
  endTime: 1_013_100,
};

test('totals add up, idle is left out, and the top list ranks self time with recursion counted once', () => {
  const p = summariseCpuProfile(PROFILE, { process: 'proxy', minPct: 0 });
  assert.equal(p.samples, 9);
  assert.equal(p.idlePct, 30.8);
  assert.equal(p.tree.total, 9);
  assert.deepEqual(
    p.tree.children.map((c) => [c.name, c.total]),
    [
      ['onStreamRead', 8],
      ['(program)', 1],
    ],
  );
  const parse = p.top.find((f) => f.name === '#parse')!;
  assert.equal(parse.selfPct, 33.3, 'outer and inner #parse: 3 of 9 busy samples');
  assert.equal(parse.totalPct, 77.8, 'recursion counted once: 7 of 9, not 7 + 5');
  assert.equal(parse.owner, 'ours');
  assert.equal(parse.file, 'proxy/http1/server.js');
  assert.equal(parse.line, 10);
  assert.equal(p.top[0]!.name, 'writev', 'most self time first');
  assert.equal(p.top[0]!.selfPct, 44.4);
});

test('a load window keeps only the samples taken inside it', () => {
  // Sample k (0-based) is at 1_000_100 + 1000 k: the window [1_004_000, 1_008_200] holds samples 4..8.
  const p = summariseCpuProfile(PROFILE, {
    process: 'proxy',
    minPct: 0,
    window: { fromUs: 1_004_000, toUs: 1_008_200 },
  });
  assert.equal(p.samples, 5);
  assert.equal(p.idlePct, 0);
  assert.throws(
    () => summariseCpuProfile(PROFILE, { process: 'proxy', window: { fromUs: 0, toUs: 10 } }),
    /no sample of the CPU profile falls in the load window/,
  );
});

test('small frames are pruned from the tree but their time stays in their parent', () => {
  const p = summariseCpuProfile(PROFILE, { process: 'proxy', minPct: 20 });
  assert.deepEqual(
    p.tree.children.map((c) => c.name),
    ['onStreamRead'],
    '(program) is 1 of 9 busy samples, under 20%',
  );
  assert.equal(p.tree.total, 9);
});

test('what is not a CPU profile is refused', () => {
  assert.throws(() => summariseCpuProfile({ nodes: [] }, { process: 'x' }), /not a V8 CPU profile/);
});

test('frames are told apart by who owns them', () => {
  const owner = (url: string): string => describeFrame({ callFrame: { functionName: 'f', url, lineNumber: 0 } }).owner;
  assert.equal(owner('file:///x/dist/proxy/front/http.js'), 'ours');
  assert.equal(owner('file:///x/dist/core/protocol/jsonrpc.js'), 'ours');
  assert.equal(owner('node:internal/streams/readable'), 'node');
  assert.equal(owner('file:///x/node_modules/undici/index.js'), 'deps');
  assert.equal(owner(''), 'vm');
});

test('the flame graph draws every kept frame with its name, share and owner colour, and says what it shows', () => {
  const svg = flameGraphSvg(summariseCpuProfile(PROFILE, { process: 'proxy under test', minPct: 0 }));
  assert.match(svg, /role="img"/);
  assert.match(svg, /<title id="flame-title">Flame graph: where proxy under test spends its CPU time<\/title>/);
  assert.match(svg, /<title>#parse — proxy\/http1\/server\.js:10 · 77\.8% of busy time/);
  assert.equal((svg.match(/<rect /g) ?? []).length, 6, 'all, onStreamRead, #parse ×2, writev, (program)');
  assert.match(svg, /fill="#f0883e"/, 'our frames in their colour');
  assert.match(svg, /mcp-perf \(proxy\/, core\/\)/, 'the legend names the owners');
});
