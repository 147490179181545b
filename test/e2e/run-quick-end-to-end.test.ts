/** One real `mcp-perf run --profile quick`, as a user runs it: processes, load, results, diff, report. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decodeHistogram } from '../../core/measure/histogram.js';
import { readResults } from '../../harness/results/io.js';
import type { CompletedScenario, ResultsFile } from '../../harness/results/schema.js';
import { newTag, processesWithTag, runCli, type CliResult } from '../helpers/cli.js';

const tag = newTag();

/** The completed result of the scenario named, wherever the run put it. */
function scenario(name: string): CompletedScenario {
  const s = results.scenarios.find((x) => x.name === name);
  assert.ok(s !== undefined, `scenario ${name} is in results.json`);
  assert.equal(s.state, 'completed', `${name}: ${s.state === 'failed' ? s.error : ''}`);
  return s as CompletedScenario;
}
let dir: string;
let run: CliResult;
let results: ResultsFile;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcp-perf-e2e-'));
  run = await runCli(['run', '--profile', 'quick', '--out', dir], { tag, timeoutMs: 300_000 });
  results = await readResults(join(dir, 'results.json'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('the run completes: exit 0, or 99 when this machine misses a threshold; never a crash', () => {
  assert.ok(run.code === 0 || run.code === 99, `exit ${run.code}\n${run.stderr}`);
  assert.equal(run.stderr, '', 'nothing on stderr');
});

test('it prints progress, the per-target summary and the baseline diff', () => {
  // Every scenario file, in name order.
  const names = [
    'components',
    'concurrency',
    'direct-vs-proxied',
    'id-collision',
    'leak-hunt',
    'memory-per-session',
    'soak',
    'sse-fanout',
    'stdio-bridge',
    'stdio-hammer',
    'stress-and-faults',
  ];
  assert.match(run.stdout, new RegExp(`^mcp-perf run: ${names.join(', ')} — profile quick`, 'm'));
  for (const [i, name] of names.entries())
    assert.match(run.stdout, new RegExp(`^▶ ${name} \\(${i + 1}/${names.length}\\)$`, 'm'));
  assert.match(run.stdout, /^ {2}started mock pid \d+, bridge pid \d+$/m);
  assert.match(run.stdout, /^ {2}started mock pid \d+, proxy pid \d+, relay pid \d+$/m);
  assert.match(run.stdout, /^ {2}latency 3\/3 +relay +\d+\/s of 1000\/s asked/m);
  assert.match(run.stdout, /^target +timed +p50 +p90 +p99 +p99\.9 +max +throughput +errors +CPU\/req$/m);
  assert.match(run.stdout, /^proxied +open +[\d,]+ µs/m, 'the comparison says its latency is open-model');
  assert.match(run.stdout, /^metric +baseline +now +delta +verdict +threshold$/m);
  assert.match(run.stdout, /direct-vs-proxied proxied\.overhead_pct\.p95 .*goal: proxied\.overhead_pct\.p95 < 5/);
  assert.match(run.stdout, new RegExp(`^results: ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/results\\.json$`, 'm'));
});

test('results.json holds every target with decodable histograms, achieved load and the environment', () => {
  const s = results.scenarios.find((x) => x.name === 'direct-vs-proxied') as CompletedScenario;
  assert.equal(s.state, 'completed');
  assert.deepEqual(Object.keys(s.targets), ['direct', 'proxied', 'relay']);
  for (const [name, t] of Object.entries(s.targets)) {
    assert.equal(t.latency?.model, 'open', `${name}: open-model latency`);
    assert.equal(t.serviceTime?.model, 'closed', `${name}: closed-model service time`);
    const h = decodeHistogram(t.latency.histogram);
    assert.equal(h.totalCount, t.latency.summary.count, name);
    assert.ok(h.totalCount >= 3 * 2_000, `${name}: ${h.totalCount} latency samples`);
    assert.ok(t.throughputRps > 0, `${name} throughput`);
    assert.ok(t.cpuUsPerRequest.closed !== null && t.cpuUsPerRequest.closed > 0, `${name} CPU per request`);
  }
  for (const key of [
    'proxied.added.p50_us',
    'proxied.overhead_pct.p99',
    'proxied.throughput_vs_relay',
    'proxied.cpu_us_per_req',
    'load.achieved_rate',
    'load.late_send_pct',
  ]) {
    assert.ok(s.metrics[key] !== undefined, `metric ${key}`);
  }
  assert.ok(
    Math.abs(s.metrics['load.achieved_rate']!.value - 1_000) < 50,
    'the generator achieved about the asked rate',
  );
  assert.equal(results.environment.cores > 0, true);
  assert.match(results.environment.node, /^v\d+/);
  assert.match(results.environment.machineFingerprint, /^[0-9a-f]{16}$/);
});

test('trials are interleaved and rotated A B C, B C A, C A B, latency first, then throughput', () => {
  const s = results.scenarios.find((x) => x.name === 'direct-vs-proxied') as CompletedScenario;
  const order = s.trials.map((t) => `${t.phase}:${t.trial}:${t.target}`);
  const rounds = [
    ['direct', 'proxied', 'relay'],
    ['proxied', 'relay', 'direct'],
    ['relay', 'direct', 'proxied'],
  ];
  const expected = ['latency', 'throughput'].flatMap((phase) =>
    [1, 2, 3].flatMap((trial) => rounds[trial - 1]!.map((t) => `${phase}:${trial}:${t}`)),
  );
  assert.deepEqual(order, expected);
  for (const t of s.trials.filter((t) => t.phase === 'latency')) assert.equal(t.asked.rate, 1_000);
  // A trial whose seat had waited 6 s or more follows a lead-in: four slices of 125 ms at least, two seconds at most
  // (here, three seats of 2 s trials: mostly the first ones, after the slow warm-ups of the others).
  for (const t of s.trials)
    if (t.leadInMs !== undefined)
      assert.ok(t.leadInMs >= 500 && t.leadInMs < 2_500, `${t.phase} ${t.target} ${t.trial}: lead-in ${t.leadInMs} ms`);
});

test("the run was diffed against this machine's baseline, or says in one line there is none yet", () => {
  const diff = results.baseline!;
  assert.ok(diff !== null);
  assert.match(diff.baselinePath, /baseline\/measurements\.json$/);
  const row = diff.rows.find((r) => r.scenario === 'direct-vs-proxied' && r.metric === 'proxied.latency.p50_us')!;
  assert.ok(row.thresholds.includes('proxied.latency.p50_us < +5%'));
  if (diff.baselineStartedAt === null) {
    // A machine the committed file has no testbed for (the usual case on a fresh clone elsewhere).
    assert.match(diff.unavailable ?? '', /^no baseline for this machine yet: `npx mcp-perf run --update-baseline`/);
    assert.match(run.stdout, /^baseline: no baseline for this machine yet/m);
    assert.equal(row.verdict, 'no-baseline');
  } else {
    assert.ok(row.baseline !== null && row.baseline > 0, 'the baseline has this metric');
    assert.match(diff.testbed ?? '', /^this machine's baseline/);
  }
  assert.equal(diff.failed === 0, run.code === 0, 'the exit code follows the failed thresholds');
});

test('report.html is written beside results.json, and re-renders identically from the file alone', async () => {
  const html = await readFile(join(dir, 'report.html'), 'utf8');
  assert.match(html, /<canvas id="spectrum-\d+"/);
  const again = await runCli(['report', join(dir, 'results.json'), '--out', join(dir, 'again.html')]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(await readFile(join(dir, 'again.html'), 'utf8'), html);
});

test('the stdio-bridge scenario served its sessions through the bridge, one child each', () => {
  const s = scenario('stdio-bridge');
  assert.deepEqual(Object.keys(s.targets), ['direct', 'bridged']);
  assert.deepEqual(s.targets.bridged!.errors, {});
  assert.ok(s.metrics['bridged.throughput_rps']!.value > 0);
  assert.ok(s.metrics['bridged.added.p50_us'] !== undefined);
});

test('id-collision: every request id 1, every answer its own call’s, direct, through the proxy and the bridge', () => {
  const s = scenario('id-collision');
  assert.deepEqual(Object.keys(s.targets), ['direct', 'proxied', 'bridged']);
  assert.equal(s.settings.ids, 'collide');
  for (const t of ['direct', 'proxied', 'bridged']) {
    assert.equal(s.metrics[`${t}.crossed`]!.value, 0, `${t}: crossed`);
    assert.deepEqual(s.targets[t]!.errors, {}, `${t}: ${s.targets[t]!.errorSamples.join('; ')}`);
    assert.ok(s.metrics[`${t}.throughput_rps`]!.value > 0);
  }
});

test('leak-hunt: abandoned and vanished clients, a reconnect storm and an upstream restart, both modes: nothing left', () => {
  const s = scenario('leak-hunt');
  const m = (key: string): number => s.metrics[key]!.value;
  for (const mode of ['reverse', 'bridge'])
    for (const wave of ['abandoned', 'vanished']) {
      const at = `${mode}.${wave}`;
      // The peak proves the readings are live: every session was held before the clients left.
      assert.equal(m(`${at}.sessions_at_peak`), mode === 'bridge' ? 8 : 200, `${at}: sessions at the peak`);
      if (mode === 'bridge') assert.equal(m(`${at}.children_at_peak`), 8, `${at}: a child per session`);
      for (const left of ['sessions_left', 'streams_left', ...(mode === 'bridge' ? ['children_left'] : [])])
        assert.equal(m(`${at}.${left}`), 0, `${at}.${left}`);
      assert.ok(m(`${at}.heap_growth_ratio`) <= 0.1, `${at}: heap +${m(`${at}.heap_growth_ratio`)}`);
    }
  // The reconnect storm: every client back on a stream at once, none of the cut ones held, resumed ones gap-free.
  for (const mode of ['reverse', 'bridge']) {
    const at = `${mode}.reconnect`;
    assert.equal(m(`${at}.reconnected`), mode === 'bridge' ? 8 : 200, `${at}: every client reconnected`);
    for (const zero of ['reconnect_failed', 'excess_streams', 'sessions_left', 'streams_left'])
      assert.equal(m(`${at}.${zero}`), 0, `${at}.${zero}`);
  }
  assert.ok(m('reverse.reconnect.resumed_checked') > 0, 'resumed streams were checked');
  assert.equal(m('reverse.reconnect.resume_gaps'), 0);
  // The upstream restart storm: every client renewed and going again, nothing held for the dead sessions.
  for (const mode of ['reverse', 'bridge']) {
    const at = `${mode}.restart`;
    assert.ok(m(`${at}.renewed`) >= (mode === 'bridge' ? 8 : 200), `${at}: every client opened a new session`);
    for (const zero of ['stale_sessions', 'sessions_left', 'streams_left'])
      assert.equal(m(`${at}.${zero}`), 0, `${at}.${zero}`);
  }
  assert.equal(m('bridge.restart.excess_children'), 0);
  assert.equal(m('bridge.restart.children_left'), 0);
  // Per session at the peak, and the leak fit across the waves (a goal: its verdict is not asserted here).
  assert.equal(m('bridge.abandoned.children_per_session_at_peak'), 1, 'one child per bridged session');
  const fds = m('reverse.vanished.fds_per_session_at_peak');
  assert.ok(fds >= 1.8 && fds <= 2.2, `a client and an upstream socket per stream: ${fds}`);
  // The leak fit across the repeated waves: a slope read, and no leak in our proxy.
  for (const mode of ['reverse', 'bridge']) {
    assert.ok(Number.isFinite(m(`${mode}.heap_slope_bytes_per_wave`)), mode);
    assert.equal(m(`${mode}.leak_suspected`), 0, `${mode}: heap +${m(`${mode}.heap_slope_bytes_per_wave`)} B/wave`);
  }
  // Errors after the recovery are a goal for now (scenarios/leak-hunt.ts), so their warning may be there.
  assert.deepEqual(
    s.warnings.filter((w) => !/restart: after recovery/.test(w)),
    [],
  );
});

test('sse-fanout: 500 streams, every sequenced notification delivered once and in order', () => {
  const s = scenario('sse-fanout');
  for (const key of ['fanout.lost', 'fanout.duplicated', 'fanout.reordered', 'fanout.streams_dropped'])
    assert.equal(s.metrics[key]!.value, 0, key);
  assert.ok(s.metrics['fanout.events_per_sec']!.value > 0);
  assert.equal(s.targets.proxied!.latency?.model, 'delivery');
  assert.equal(s.targets.proxied!.serviceTime, undefined, 'no empty histogram is stored');
  assert.ok(
    decodeHistogram(s.targets.proxied!.latency.histogram).totalCount > 1_000,
    'delivery latencies were recorded',
  );
  assert.ok(s.metrics['fanout.proxy_rss_bytes']!.value > 0);
  // The same streams straight from the mock first: the proxy's share is measured in the same run, hop by hop; once
  // with each stream in its own phase (spread), once with all of them notified in one tick (broadcast).
  assert.deepEqual(Object.keys(s.targets), ['direct', 'proxied', 'direct-broadcast', 'proxied-broadcast']);
  for (const key of ['lost', 'duplicated', 'reordered', 'streams_dropped'])
    assert.equal(s.metrics[`fanout.broadcast.${key}`]!.value, 0, `broadcast ${key}`);
  // A broadcast queues a burst of one event per stream through every hop; a spread does not.
  assert.ok(
    s.metrics['fanout.delivery.p50_us']!.value < s.metrics['fanout.broadcast.delivery.p50_us']!.value,
    'spread delivery p50 below the broadcast one',
  );
  assert.equal(s.metrics['fanout.direct.lost']!.value, 0);
  assert.ok(s.metrics['fanout.direct.delivery.p50_us']!.value > 0);
  assert.equal(
    s.metrics['fanout.added.p50_us']!.value,
    s.metrics['fanout.delivery.p50_us']!.value - s.metrics['fanout.direct.delivery.p50_us']!.value,
  );
  for (const hop of ['mock', 'proxy', 'receiver'])
    assert.ok(s.metrics[`fanout.cpu_us_per_event.${hop}`]!.value > 0, hop);
});

test('stdio-hammer: every step measured, and the bridge spawned one child per session', () => {
  const s = scenario('stdio-hammer');
  assert.deepEqual(Object.keys(s.targets), [
    'forward-w1',
    'forward-w8',
    'forward-w64',
    'forward-w256',
    'direct-w256',
    'bridge-c4',
    'bridge-c16',
    'bridge-c64',
  ]);
  assert.equal(s.metrics['bridge.sessions']!.value, 16);
  assert.equal(s.metrics['bridge.children_spawned']!.value, 16, 'never a child per request');
  assert.equal(s.metrics['forward.errors']!.value, 0);
  assert.equal(s.metrics['bridge.errors']!.value, 0);
  // The same-run reference: the proxy's rate at the largest window over the mock's own, a ratio in (0, 1].
  const ratio = s.metrics['forward.throughput_vs_direct']!.value;
  assert.ok(ratio > 0 && ratio <= 1.2, `forward.throughput_vs_direct ${ratio}`);
  // p99 against rate, one point per step, for the report's knee chart.
  assert.deepEqual(
    s.series!.p99_by_step!.lines.map((l) => l.points.length),
    [4, 3],
  );
});

test('components: every stage was benchmarked in a proxy process', () => {
  const s = scenario('components');
  for (const c of ['auth_hs256', 'auth_token', 'rate_limit', 'session_lookup', 'jsonrpc_parse', 'framing']) {
    assert.ok(s.metrics[`components.${c}.p50_ns`]!.value > 0, c);
    assert.ok(s.metrics[`components.${c}.p99_ns`]!.value >= s.metrics[`components.${c}.p50_ns`]!.value, c);
    assert.ok(s.metrics[`components.${c}.ops_per_sec`]!.value > 0, c);
  }
  assert.match(run.stdout, /components\.rate_limit\.p99_ns .*components\.rate_limit\.p99_ns < 100000/);
});

test('memory-per-session: a slope from at least 4 points per mode, and memory given back on close', () => {
  const s = scenario('memory-per-session');
  for (const mode of ['idle', 'stream']) {
    assert.ok(s.metrics[`memory.${mode}.points`]!.value >= 4, `${mode}: points`);
    assert.ok(s.metrics[`memory.${mode}.rss_per_session_bytes`] !== undefined, `${mode}: bytes per session`);
    assert.ok(s.metrics[`memory.${mode}.heap_per_session_bytes`]!.value > 0, `${mode}: a session costs some heap`);
    // V8's young generation is capped in the measured proxy, so its growth is not read as per-session memory.
    assert.ok(
      s.metrics[`memory.${mode}.young_generation_growth_bytes`]!.value <= 2 * 1024 * 1024,
      `${mode}: the young generation stayed capped`,
    );
    assert.ok(
      s.metrics[`memory.${mode}.released_ratio`]!.value >= 0.5,
      `${mode}: the heap sessions took comes back when they close`,
    );
    const series = s.series![`${mode}_rss`]!;
    assert.equal(series.lines[0]!.points.length, s.metrics[`memory.${mode}.points`]!.value);
    assert.deepEqual(
      series.lines[0]!.points.map(([x]) => x),
      [0, 250, 500, 1_000, 2_000],
    );
    assert.ok(series.fit !== undefined);
  }
  // Streams hold a connection each: they must cost more than idle sessions.
  assert.ok(
    s.metrics['memory.stream.heap_per_session_bytes']!.value > s.metrics['memory.idle.heap_per_session_bytes']!.value,
  );
});

test('concurrency: 1,000 clients held at once, every call accounted for', () => {
  const s = scenario('concurrency');
  assert.equal(s.metrics['concurrency.clients']!.value, 1_000);
  assert.ok(s.metrics['concurrency.held_ratio']!.value > 0.9, 'the proxy held the sessions at the barrier');
  assert.ok(s.metrics['concurrency.proxy_fds_at_peak']!.value >= 1_000, 'one socket per client at the peak');
  // tools/list + 5 tools/call per client whose session opened: none lost, none counted twice.
  assert.equal(
    s.metrics['concurrency.calls']!.value,
    6 * (1_000 - s.metrics['concurrency.initialize_failures']!.value),
  );
  assert.equal(s.targets.proxied!.latency?.model, 'closed', 'clients call back to back: service time');
  assert.ok(decodeHistogram(s.targets.proxied!.latency.histogram).totalCount > 0);
});

test('soak: samples over time, no child left once every session closed', () => {
  const s = scenario('soak');
  assert.ok(s.metrics['soak.samples']!.value >= 3);
  assert.equal(s.metrics['soak.children_left']!.value, 0);
  assert.ok(s.metrics['soak.sessions_churned']!.value > 0, 'sessions were replaced during the run');
  assert.ok(s.metrics['soak.children_max']!.value >= 8, 'the bridge ran one child per session');
  assert.ok(s.series!.memory!.lines[0]!.points.length >= 10, 'RSS over time');
  assert.ok(s.series!.latency!.lines[0]!.points.length >= 10, 'latency over time');
});

test('stress-and-faults: every fault hit upstream b, and sessions on upstream a saw no error', () => {
  const s = scenario('stress-and-faults');
  for (const fault of ['stall', 'error', 'die']) {
    assert.ok(s.metrics[`faults.${fault}.affected_errors`]!.value > 0, `${fault}: the fault showed on b's sessions`);
    // The run's warnings name what a's sessions saw (a 503, a timeout…): the failure says it, not only a count.
    assert.equal(
      s.metrics[`faults.${fault}.unaffected_errors`]!.value,
      0,
      `${fault}: a's sessions undisturbed\n${s.warnings.join('\n')}`,
    );
    // Nor refused for capacity while b stalls or errs, which leaves a's load as it was (after "die" it doubles).
    if (fault !== 'die')
      assert.equal(s.metrics[`faults.${fault}.unaffected_shed`]!.value, 0, `${fault}: nothing of a's shed`);
    assert.equal(s.metrics[`faults.${fault}.recovered`]!.value, 1, `${fault}: recovered`);
    assert.ok(s.series![`fault_${fault}`]!.lines.length === 3);
  }
  assert.ok(s.metrics['stress.renewed_sessions']!.value > 0, "b's clients opened new sessions after b restarted");
  assert.ok(s.metrics['overload.asked_rps']!.value === 2 * s.metrics['overload.sustainable_rps']!.value);
});

test('no process the run started outlives it', () => {
  assert.deepEqual(processesWithTag(tag), []);
});
