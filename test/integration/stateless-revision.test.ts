/**
 * The stateless revision (2026-07-28) end to end over HTTP: the mock answers server/discover and serves requests with
 * no session, refusing what the revision forbids; the reverse proxy forwards them, checks Mcp-Method / Mcp-Name
 * against the body (400 otherwise, for every revision that sends them) and round-robins them over its upstreams;
 * the bridge serves them from shared children, renumbering ids; the load generator drives it; and `protocol-matrix`
 * measures every revision, direct, reverse and bridged.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runClosedModel } from '../../harness/load/closed-model.js';
import { McpHttpSession, StatelessHttpSession, createTargetPool } from '../../harness/load/mcp-session.js';
import { CallSource } from '../../harness/load/outcome.js';
import { readResults } from '../../harness/results/io.js';
import type { CompletedScenario } from '../../harness/results/schema.js';
import { statelessMeta } from '../../core/protocol/stateless.js';
import { processDescendantCount } from '../../harness/measure/cpu.js';
import { BIN, runCli, serviceGroup } from '../helpers/cli.js';

const group = serviceGroup();
after(async () => assert.deepEqual(await group.stopAll(), []));

const HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2026-07-28',
};

async function post(url: string, headers: Record<string, string>, body: object) {
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  return {
    status: res.status,
    json: (await res.json()) as { result?: Record<string, unknown>; error?: { message: string } },
  };
}

const call = (name = 'echo') => ({
  jsonrpc: '2.0',
  id: 7,
  method: 'tools/call',
  params: { name, arguments: { text: 'hi' }, _meta: statelessMeta('test') },
});

test('the mock and the proxy: discover, a call with no session, and 400 for what the revision forbids', async () => {
  const mock = await group.start(['mock', 'http']);
  const proxy = await group.start(['proxy', '--upstream', mock.url]);
  for (const url of [mock.url, proxy.url]) {
    const discover = await post(
      url,
      { ...HEADERS, 'mcp-method': 'server/discover' },
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'server/discover',
        params: { _meta: statelessMeta('test') },
      },
    );
    assert.equal(discover.status, 200, url);
    assert.deepEqual(discover.json.result?.supportedVersions, ['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26']);

    const ok = await post(url, { ...HEADERS, 'mcp-method': 'tools/call', 'mcp-name': 'echo' }, call());
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    assert.match(JSON.stringify(ok.json.result), /"text":"hi/);
    // The revision's results say what kind they are; an ordinary answer is whole.
    assert.equal(ok.json.result?.resultType, 'complete', url);
    assert.equal(discover.json.result?.resultType, 'complete', url);

    const refused = async (headers: Record<string, string>, body: object, reason: RegExp): Promise<void> => {
      const r = await post(url, headers, body);
      assert.equal(r.status, 400, `${url}: ${JSON.stringify(r.json)}`);
      assert.match(r.json.error?.message ?? '', reason, url);
    };
    await refused(
      { ...HEADERS, 'mcp-method': 'tools/list' },
      call(),
      /Mcp-Method "tools\/list" does not match the body's method "tools\/call"/,
    );
    await refused(
      { ...HEADERS, 'mcp-method': 'tools/call', 'mcp-name': 'other' },
      call(),
      /Mcp-Name "other" does not match the body's "echo"/,
    );
    await refused(HEADERS, call(), /missing Mcp-Method header/);
    await refused({ ...HEADERS, 'mcp-method': 'tools/call' }, call(), /missing Mcp-Name header/);
  }
  // The mock refuses an initialize in the stateless revision (the proxy passes it on, as it does any initialize).
  const init = await post(
    mock.url,
    { ...HEADERS, 'mcp-method': 'initialize' },
    {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2026-07-28',
        capabilities: {},
        clientInfo: { name: 't', version: '1' },
        _meta: statelessMeta('t'),
      },
    },
  );
  assert.equal(init.status, 400);
  assert.match(init.json.error?.message ?? '', /there is no initialize in 2026-07-28: use server\/discover/);
  // A revision with sessions that sends the headers is checked too.
  const session = await McpHttpSession.open(
    { url: new URL(proxy.url), pool: createTargetPool(new URL(proxy.url), 2), requestTimeoutMs: 5_000 },
    'test',
    '2025-06-18',
  );
  const wrong = await post(
    proxy.url,
    {
      ...HEADERS,
      'mcp-protocol-version': '2025-06-18',
      'mcp-session-id': session.sessionId,
      'mcp-method': 'tools/list',
    },
    { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'echo' } },
  );
  assert.equal(wrong.status, 400);
  await session.close();
});

test('--route-on-headers: stateless POSTs go on by their headers, unparsed, and the server checks the match', async () => {
  const mock = await group.start(['mock', 'http']);
  const proxy = await group.start(['proxy', '--upstream', mock.url, '--route-on-headers']);
  const ok = await post(proxy.url, { ...HEADERS, 'mcp-method': 'tools/call', 'mcp-name': 'echo' }, call());
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  assert.match(JSON.stringify(ok.json.result), /"text":"hi/);
  // A header that disagrees with the body passes the proxy; the server refuses it, as the revision requires.
  const wrong = await post(proxy.url, { ...HEADERS, 'mcp-method': 'tools/list' }, call());
  assert.equal(wrong.status, 400);
  assert.match(wrong.json.error?.message ?? '', /does not match the body's method/);
  // Not JSON at all: the proxy did not read it; the server says so.
  const res = await fetch(proxy.url, {
    method: 'POST',
    headers: { ...HEADERS, 'mcp-method': 'tools/call', 'mcp-name': 'echo' },
    body: '{"jsonrpc":',
  });
  assert.equal(res.status, 400);
  await res.text();
  const metrics = await (await fetch(new URL('/metrics', proxy.url))).text();
  assert.match(metrics, /^mcp_proxy_routed_on_headers_total 3$/m);
  assert.doesNotMatch(metrics, /mcp_proxy_rejected_total\{reason="(routing_headers|parse_error)"\}/);
  // Sessions (an older revision) are parsed and bound as ever.
  const session = await McpHttpSession.open(
    { url: new URL(proxy.url), pool: createTargetPool(new URL(proxy.url), 2), requestTimeoutMs: 5_000 },
    'test',
    '2025-11-25',
  );
  assert.notEqual(session.sessionId, '');
  await session.close();
  // The other modes read every message: a usage error there.
  const r = await runCli(['proxy', '--upstream-cmd', 'node x.js', '--route-on-headers'], { tag: group.tag });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--route-on-headers is for the reverse proxy/);
});

test('subscriptions/listen through the proxy: acknowledged first, then sequenced list_changed without a gap', async () => {
  const mock = await group.start(['mock', 'http', '--notify-rate', '40']);
  const proxy = await group.start(['proxy', '--upstream', mock.url]);
  const abort = new AbortController();
  const res = await fetch(proxy.url, {
    method: 'POST',
    headers: { ...HEADERS, 'mcp-method': 'subscriptions/listen' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 9,
      method: 'subscriptions/listen',
      params: { notifications: { toolsListChanged: true }, _meta: statelessMeta('test') },
    }),
    signal: abort.signal,
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const messages: Array<{ method: string; params: { _meta: Record<string, unknown>; notifications?: unknown } }> = [];
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of res.body!) {
    text += decoder.decode(chunk as Uint8Array, { stream: true });
    const events = text.split('\n\n');
    text = events.pop()!;
    for (const e of events) messages.push(JSON.parse(e.slice(e.indexOf('data: ') + 6)) as (typeof messages)[number]);
    if (messages.length >= 6) break;
  }
  abort.abort();
  assert.equal(messages[0]!.method, 'notifications/subscriptions/acknowledged');
  assert.deepEqual(messages[0]!.params.notifications, { toolsListChanged: true });
  const rest = messages.slice(1);
  assert.ok(rest.every((m) => m.method === 'notifications/tools/list_changed'));
  assert.ok(
    rest.every((m) => m.params._meta['io.modelcontextprotocol/subscriptionId'] === 9),
    'tagged with its id',
  );
  // One read may hold several events, so at least five arrived: numbered from 1 without a gap.
  assert.ok(rest.length >= 5);
  assert.deepEqual(
    rest.map((m) => m.params._meta['mcp-perf/seq']),
    rest.map((_, i) => i + 1),
  );
  // A listen without its filter is refused.
  const bad = await post(
    proxy.url,
    { ...HEADERS, 'mcp-method': 'subscriptions/listen' },
    {
      jsonrpc: '2.0',
      id: 10,
      method: 'subscriptions/listen',
      params: { _meta: statelessMeta('test') },
    },
  );
  assert.equal(bad.status, 400);
  assert.match(bad.json.error?.message ?? '', /needs params.notifications/);
});

test('stateless load through the proxy: no errors, every answer its own, spread round-robin over two upstreams', async () => {
  const a = await group.start(['mock', 'http', '--name', 'a']);
  const b = await group.start(['mock', 'http', '--name', 'b']);
  const proxy = await group.start(['proxy', '--upstream', a.url, '--upstream', b.url]);
  const url = new URL(proxy.url);
  const target = { url, pool: createTargetPool(url, 8), requestTimeoutMs: 5_000 };
  group.defer(() => target.pool.destroy());
  const names = new Set<string>();
  const sessions = [];
  for (let i = 0; i < 4; i++) {
    const s = await StatelessHttpSession.open(target);
    names.add(s.serverName);
    sessions.push(s);
  }
  assert.deepEqual([...names].sort(), ['a', 'b'], 'discovery answered by both upstreams in turn');
  const o = await runClosedModel({
    concurrency: 4,
    durationMs: 400,
    source: new CallSource(sessions, {}, { meta: statelessMeta('test'), ids: 'collide' }),
  });
  assert.ok(o.achieved.ok >= 40, `${o.achieved.ok} calls`);
  assert.deepEqual(o.errors, {}, o.errorSamples.join('; '));
});

test('stateless through the bridge: clients all using id 1 share two children, and every answer is its own', async () => {
  const bridge = await group.start([
    'proxy',
    '--upstream-cmd',
    `"${process.execPath}" "${BIN}" mock stdio --latency-ms 1`,
  ]);
  const url = new URL(bridge.url);
  const target = { url, pool: createTargetPool(url, 8), requestTimeoutMs: 5_000 };
  group.defer(() => target.pool.destroy());
  const sessions = [];
  for (let i = 0; i < 8; i++) sessions.push(await StatelessHttpSession.open(target));
  // Eight clients, every request id 1, eight at once over two children: only the bridge's renumbering keeps apart.
  const o = await runClosedModel({
    concurrency: 8,
    durationMs: 500,
    source: new CallSource(sessions, {}, { meta: statelessMeta('test'), ids: 'collide' }),
  });
  assert.ok(o.achieved.ok >= 40, `${o.achieved.ok} calls`);
  assert.deepEqual(o.errors, {}, o.errorSamples.join('; '));
  assert.equal(processDescendantCount(bridge.pid), 2, 'two shared children, not one per client or per request');
  // A stdio server of the revision marks its results too, and the bridge passes the mark on.
  const one = await post(bridge.url, { ...HEADERS, 'mcp-method': 'tools/call', 'mcp-name': 'echo' }, call());
  assert.equal(one.status, 200, JSON.stringify(one.json));
  assert.equal(one.json.result?.resultType, 'complete');
});

test('protocol-matrix: every revision, direct, through the reverse proxy and the bridge, measured with no error; listen-fanout: subscriptions/listen streams through the proxy, every event delivered', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mcp-perf-matrix-'));
  try {
    const r = await runCli(['run', 'protocol-matrix', 'listen-fanout', '--profile', 'smoke', '--out', dir], {
      tag: group.tag,
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const [s, listen] = (await readResults(join(dir, 'results.json'))).scenarios as [
      CompletedScenario,
      CompletedScenario,
    ];
    assert.equal(s.name, 'protocol-matrix');
    const seats = ['2025-06-18', '2025-11-25', '2026-07-28', '2026-07-28-input', '2026-07-28-task'].flatMap((v) => [
      `${v}.direct`,
      `${v}.proxied`,
      `${v}.bridged`,
    ]);
    assert.deepEqual(Object.keys(s.targets), seats);
    for (const seat of seats) {
      assert.equal(s.metrics[`${seat}.errors`]!.value, 0, seat);
      assert.ok(s.metrics[`${seat}.throughput_rps`]!.value > 0, seat);
    }
    for (const v of ['2025-06-18', '2025-11-25', '2026-07-28'])
      for (const t of ['proxied', 'bridged'])
        assert.ok(s.metrics[`${v}.${t}.added.p50_us`] !== undefined, `${v}.${t}: added against its own direct`);
    assert.ok(s.metrics['proxied.stateless_throughput_ratio']!.value > 0);
    // Every call of the -input seats asked for input once and was answered: two requests each, so fewer calls/s.
    for (const t of ['direct', 'proxied', 'bridged']) {
      assert.ok(s.metrics[`${t}.input_round_p50_ratio`]!.value > 0, t);
      assert.ok(s.metrics[`${t}.input_round_throughput_ratio`]!.value < 1, t);
      // What the calls were, counted by the load's sessions (warm-ups included): every call of the -input seats
      // answered one input_required, every call of the -task seats made a task and polled it at least once, and the
      // plain stateless seats neither.
      assert.equal(s.metrics[`2026-07-28-input.${t}.input_rounds_per_call`]!.value, 1, t);
      assert.equal(s.metrics[`2026-07-28-task.${t}.tasks_per_call`]!.value, 1, t);
      assert.ok(s.metrics[`2026-07-28-task.${t}.polls_per_task`]!.value >= 1, t);
      assert.equal(s.metrics[`2026-07-28.${t}.tasks_per_call`]!.value, 0, t);
      assert.equal(s.metrics[`2026-07-28.${t}.input_rounds_per_call`]!.value, 0, t);
      // A task done by its first poll (the mock asks for 5 ms, the tool's own latency) costs about one round trip more
      // than a plain call — 1.0-1.4x in smoke runs here, and 0.998 once: the ratio is held to its order, not its sign.
      assert.ok(s.metrics[`${t}.task_p50_ratio`]!.value > 0.9, t);
    }
    assert.match(r.stdout, /^2026-07-28\.proxied +open /m);
    // 50 clients of the stateless revision, one subscriptions/listen each, no session: every sequenced event came,
    // once, in order, and was timed.
    assert.equal(listen.name, 'listen-fanout');
    for (const m of ['lost', 'duplicated', 'reordered', 'streams_dropped'])
      assert.equal(listen.metrics[`fanout.${m}`]!.value, 0, m);
    assert.ok(listen.metrics['fanout.events_per_sec']!.value > 250, 'about 500 events/s asked');
    assert.ok(listen.metrics['fanout.delivery.p50_us']!.value > 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('input_required (multi round-trip requests): asked, answered on a retry with the state echoed, through the reverse proxy and the bridge', async () => {
  const mock = await group.start(['mock', 'http']);
  const proxy = await group.start(['proxy', '--upstream', mock.url]);
  const bridge = await group.start(['proxy', '--upstream-cmd', `${process.execPath} ${BIN} mock stdio`]);
  const headers = { ...HEADERS, 'mcp-method': 'tools/call', 'mcp-name': 'elicit' };
  const ask = (id: number, extra: Record<string, unknown> = {}) => ({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: 'elicit', arguments: { message: 'Your name?' }, _meta: statelessMeta('test'), ...extra },
  });
  for (const url of [mock.url, proxy.url, bridge.url]) {
    const first = await post(url, headers, ask(1));
    assert.equal(first.status, 200, url);
    const result = first.json.result as {
      resultType: string;
      inputRequests: Record<string, { method: string; params: { message: string } }>;
      requestState: string;
    };
    assert.equal(result.resultType, 'input_required', url);
    assert.equal(result.inputRequests.ask!.method, 'elicitation/create');
    assert.equal(result.inputRequests.ask!.params.message, 'Your name?');
    // The retry is a new request carrying the answer and the state as they were given.
    const answer = { action: 'accept', content: { name: 'ada' } };
    const second = await post(
      url,
      headers,
      ask(2, { inputResponses: { ask: answer }, requestState: result.requestState }),
    );
    assert.equal(second.status, 200, url);
    assert.equal(second.json.result?.resultType, 'complete', url);
    assert.deepEqual(second.json.result?.content, [{ type: 'text', text: JSON.stringify(answer) }], url);
    // A state that is not the server's own is refused.
    const forged = await post(url, headers, ask(3, { inputResponses: { ask: answer }, requestState: 'forged' }));
    assert.match(forged.json.error?.message ?? '', /requestState must be echoed unchanged/, url);
  }
});

test('a load that answers input_required: every elicit call asked, answered and whole, through the reverse proxy and the bridge', async () => {
  const mock = await group.start(['mock', 'http']);
  const proxy = await group.start(['proxy', '--upstream', mock.url]);
  const bridge = await group.start(['proxy', '--upstream-cmd', `"${process.execPath}" "${BIN}" mock stdio`]);
  for (const service of [proxy, bridge]) {
    const url = new URL(service.url);
    const target = { url, pool: createTargetPool(url, 8), requestTimeoutMs: 5_000 };
    group.defer(() => target.pool.destroy());
    const sessions = [];
    for (let i = 0; i < 4; i++) sessions.push(await StatelessHttpSession.open(target, 'test', { tool: 'elicit' }));
    const o = await runClosedModel({
      concurrency: 4,
      durationMs: 400,
      source: new CallSource(sessions, {}, { meta: statelessMeta('test'), tool: 'elicit' }),
    });
    assert.ok(o.achieved.ok >= 20, `${service.url}: ${o.achieved.ok} calls`);
    assert.deepEqual(o.errors, {}, o.errorSamples.join('; '));
    // Two rounds per call: the proxy answered twice as many POSTs as the load counted calls (and the discoveries).
    const metrics = await (await fetch(new URL('/metrics', service.url))).text();
    const posts = Number(/mcp_proxy_requests_total\{method="POST",status="200"\} (\d+)/.exec(metrics)?.[1]);
    assert.ok(posts >= 2 * o.achieved.ok, `${service.url}: ${posts} POSTs for ${o.achieved.ok} calls`);
  }
});
