/**
 * Runs the leak-hunting scenario: clients that do not end their sessions as the spec asks, and what the proxy holds
 * for them afterwards. For each proxy mode — reverse (HTTP upstream) and bridge (a stdio child per session) — one
 * proxy with a short --session-idle-ms:
 *
 *   warm-up    a vanished wave (below), not measured: the allocator's high-water mark, the JIT and the tables
 *              reach their working size in it; what is left after it is the baseline, so that what the measured
 *              waves leave is growth, not first use
 *   abandoned  a wave of sessions opened and called, then the clients leave without DELETE (their connections
 *              closed): only the proxy's idle expiry can free them
 *   vanished   a wave of sessions each holding a GET stream, then the clients vanish: half cut their stream with a
 *              TCP reset mid-stream, half go silent (the socket left open, never read, never closed — a peer that
 *              is gone without a FIN, as far as the proxy can tell)
 *   reconnect  every stream cut at once and every client reconnecting at once, half with Last-Event-ID
 *              (reconnectWave): all answered, one stream each held, resumed streams without a gap
 *   restart    sessions under load, then the upstream killed and restarted (restartWave): every client must renew
 *              and carry on, the proxy must hold nothing for the dead sessions
 *
 * After each wave the proxy is measured at the peak and again once its sessions should have expired: sessions,
 * streams and children left, and V8's heap and RSS after a forced GC, against the warmed baseline (the heap is what
 * judges: RSS also grows, in steps to a plateau, as V8 grows its young generation; see scenarios/leak-hunt.ts); how long the proxy
 * took to let go; and descriptors, once the (shortened) keep-alive timeouts have passed, so that connections kept
 * for reuse are not counted as leaks.
 */
import { connect, type Socket } from 'node:net';
import type { LeaksScenario } from '../../../scenarios/define.js';
import { abortableSleep } from '../../../core/runtime/clock.js';
import { quoteCommand } from '../../../core/runtime/argv.js';
import { McpHttpSession, RenewingSession, callToken, type SessionTarget } from '../../load/mcp-session.js';
import { runClosedModel } from '../../load/closed-model.js';
import { CallSource } from '../../load/outcome.js';
import { processDescendantCount, processFdCount, processTree } from '../../measure/cpu.js';
import { proxyMemoryAfterGc, scrapeGauge } from '../../measure/scrape.js';
import { requireOpenFiles } from '../../measure/limits.js';
import type { Metric } from '../../results/schema.js';
import type { Child } from '../children.js';
import { roundTo } from '../result.js';
import { fitLine, slopeSurelyAbove } from '../../measure/fit.js';
import type { KindResult, RunContext, ScenarioKind } from '../kind.js';

const MODES = ['reverse', 'bridge'] as const;
type Mode = (typeof MODES)[number];
const WAVES = ['abandoned', 'vanished', 'reconnect', 'restart'] as const;
type Wave = (typeof WAVES)[number];

const OPEN_BATCH = 50;
/** Notifications per second the mock sends on every open stream, so a vanished client's stream is mid-event. */
const NOTIFY_RATE = 5;
/** After the idle limit, how long the proxy gets to let go before what it still holds counts as left over: its idle
 * sweep runs every quarter of the limit, so once more the limit is ample. */
const graceMs = (idleMs: number): number => idleMs + 1_000;
/**
 * The proxy's client keep-alive here (its --keep-alive-ms); the mock's is a second longer, which its Keep-Alive
 * header tells the proxy's upstream pool, which closes idle connections a second before that.
 */
const KEEP_ALIVE_MS = 500;
/** Until a connection idle now has been closed: the keep-alive, the proxy's 1 s sweep of idle connections, a margin. */
const KEEP_ALIVE_WAIT_MS = KEEP_ALIVE_MS + 1_300;
/** The restart storm: load before the upstream is killed, and the most it gets to recover (every client renewed). */
const RESTART_BEFORE_MS = 500;
/** The reconnect storm: how long streams are read before they are cut, and after they reconnect. */
const LISTEN_MS = 500;
const RESTART_AFTER_MS = 5_000;

interface Reading {
  readonly sessions: number;
  readonly streams: number;
  readonly children: number;
  readonly fds: number;
  readonly rss: number;
  readonly heap: number;
}

export async function runLeaks(ctx: RunContext<LeaksScenario>): Promise<KindResult> {
  const { scenario, signal, profile: p } = ctx;
  // A vanished wave holds a client socket and (reverse) an upstream socket per session in the proxy.
  requireOpenFiles(scenario.name, 2 * p.sessions + 256, `2 per session with a stream, ${p.sessions} sessions`);
  const knobs = { latencyMs: scenario.mockLatencyMs, notifyRate: NOTIFY_RATE };
  // Keep-alive is shortened on both sides, so that connections kept for reuse have closed by the time the proxy is
  // judged: what it still holds then, it holds for nobody.
  let mock = await ctx.startMock('mock', { ...knobs, keepAliveMs: KEEP_ALIVE_MS + 1_000 });
  const common = [
    '--debug-memory',
    '--session-idle-ms',
    String(p.idleMs),
    '--keep-alive-ms',
    String(KEEP_ALIVE_MS),
    '--max-sessions',
    String(p.sessions * 3),
  ];
  const proxies: Record<Mode, Child> = {
    reverse: await ctx.start('reverse', ['proxy', '--upstream', mock.url, ...common]),
    bridge: await ctx.start('bridge', ['proxy', '--upstream-cmd', quoteCommand(ctx.stdioMockArgv(knobs)), ...common]),
  };
  ctx.ready();

  const metrics: Record<string, Metric> = {};
  const warnings: string[] = [];
  const done: string[] = [];
  // The modes run at once, so metrics arrive interleaved: the result lists them mode by mode, wave by wave.
  // Per mode: each wave's figures in wave order, then the mode's own (the leak fit across the waves).
  const ordered = (): Record<string, Metric> =>
    Object.fromEntries(
      MODES.flatMap((mode) => [
        ...WAVES.flatMap((wave) => Object.entries(metrics).filter(([k]) => k.startsWith(`${mode}.${wave}.`))),
        ...Object.entries(metrics).filter(
          ([k]) => k.startsWith(`${mode}.`) && !(WAVES as readonly string[]).includes(k.split('.')[1]!),
        ),
      ]),
    );
  const build = (): KindResult =>
    ctx.result(
      { ...p, mockLatencyMs: scenario.mockLatencyMs, waves: [...done] },
      { metrics: ordered(), targets: {}, trials: [], warnings: [...warnings] },
    );

  const failures: string[] = [];
  /** One wave: sessions opened and called (with a stream each when vanished), then left; readings at the peak and after. */
  const wave = async (mode: Mode, kind: Wave, proxy: Child, count: number, baseline: Reading | undefined) => {
    const url = new URL(proxy.url);
    const target = ctx.connect(url, { connections: 16 });
    const sessions = await openAndCall(target, count, signal, failures);
    const streams = kind === 'vanished' ? (await openStreams(url, sessions, signal)).map((p) => p.socket) : [];
    ctx.defer(() => streams.forEach((s) => s.destroy()));
    await abortableSleep(p.settleMs, signal);
    const peak = await read(proxy);
    // The clients leave: no DELETE. Abandoned ones close their connections; vanished ones cut or drop their streams.
    await target.pool.destroy();
    streams.forEach((s, i) => (i % 2 === 0 ? s.resetAndDestroy() : s.pause()));
    // Let go of means back to the baseline; in the warm-up, before there is one, back to none at all.
    const gone = await letGo(mode, kind, proxy, baseline ?? { ...peak, sessions: 0, streams: 0, children: 0 });
    // The silent clients' sockets are ours to close now; what the proxy held for them is measured above.
    streams.forEach((s) => s.destroy());
    return { opened: sessions.length, peak, ...gone, extra: {} as Record<string, Metric> };
  };

  /** Waits until the proxy is back to `base` (or the idle limit and a grace have passed), then past keep-alive. */
  const letGo = async (mode: Mode, kind: string, proxy: Child, base: Reading) => {
    ctx.step(`${mode}: ${kind}: waiting for the proxy to let go (idle limit ${p.idleMs} ms)`);
    const t0 = performance.now();
    let left = await counts(proxy);
    const holding = (): boolean =>
      left.sessions > base.sessions || left.streams > base.streams || left.children > base.children;
    while (holding() && !signal.aborted) {
      if (performance.now() - t0 > p.idleMs + graceMs(p.idleMs)) break;
      await abortableSleep(100, signal);
      left = await counts(proxy);
    }
    const reclaimMs = performance.now() - t0;
    // Connections kept alive for reuse close on their own timers: wait those out before judging.
    await abortableSleep(KEEP_ALIVE_WAIT_MS + p.settleMs, signal);
    return { after: await read(proxy), reclaimMs, stillHolding: holding() ? left : undefined };
  };

  /**
   * The upstream restart storm: sessions under closed-model load, then the upstream killed (reverse: the mock, started
   * again on its port; bridge: every child). Each client must get 404 for its dead session, open a new one and carry
   * on (RenewingSession), and the proxy must hold nothing for the dead sessions: sessions and children equal to the
   * live ones. Then the clients end their sessions as they should, and what is left is read as for the other waves.
   */
  const restartWave = async (mode: Mode, proxy: Child, count: number, base: Reading) => {
    const url = new URL(proxy.url);
    const target = ctx.connect(url, { connections: 16 });
    const opened = await openAndCall(target, count, signal, failures);
    const sessions = opened.map((s) => new RenewingSession(target, s, true));
    ctx.defer(() => Promise.all(sessions.map((s) => s.close())));
    const source = new CallSource(sessions, {});
    const vus = Math.min(sessions.length, 32);
    // The load runs until every client has renewed (or the limit): then the storm is over.
    const stormOver = new AbortController();
    const stop = (): void => stormOver.abort();
    signal.addEventListener('abort', stop, { once: true });
    const storm = runClosedModel({
      concurrency: vus,
      durationMs: RESTART_BEFORE_MS + RESTART_AFTER_MS,
      source,
      signal: stormOver.signal,
    });
    await abortableSleep(RESTART_BEFORE_MS, signal);
    const peak = await read(proxy);
    ctx.step(`${mode}: restart: killing the upstream under load`);
    const t0 = performance.now();
    if (mode === 'reverse') {
      const port = Number(new URL(mock.url).port);
      await ctx.kill(mock);
      mock = await ctx.startMock('mock', { ...knobs, keepAliveMs: KEEP_ALIVE_MS + 1_000, port });
    } else {
      for (const pid of processTree(proxy.pid)) if (pid !== proxy.pid) killQuietly(pid);
    }
    const renewed = (): number => sessions.reduce((n, s) => n + s.renewals, 0);
    // Recovered when every client is on a new session (a client may renew twice; a total would come too soon).
    const allRenewed = (): boolean => sessions.every((s) => s.renewals > 0);
    while (!allRenewed() && performance.now() - t0 < RESTART_AFTER_MS && !signal.aborted)
      await abortableSleep(50, signal);
    const recoverMs = performance.now() - t0;
    stop();
    signal.removeEventListener('abort', stop);
    const during = await storm;
    // Every client going again: a short load on the renewed sessions must see no error at all.
    const again = await runClosedModel({ concurrency: vus, durationMs: 500, source, signal });
    const live = await read(proxy);
    await Promise.all(sessions.map((s) => s.close()));
    await target.pool.destroy();
    const gone = await letGo(mode, 'restart', proxy, base);
    const m = `${mode}.restart`;
    const extra: Record<string, Metric> = {
      [`${m}.renewed`]: { value: renewed(), unit: 'count', better: 'none' },
      [`${m}.recover_ms`]: { value: Math.round(recoverMs), unit: 'ms', better: 'lower' },
      [`${m}.failed_during`]: { value: during.achieved.completed - during.achieved.ok, unit: 'count', better: 'none' },
      [`${m}.errors_after_recovery`]: {
        value: again.achieved.completed - again.achieved.ok,
        unit: 'count',
        better: 'lower',
      },
      // What the proxy holds once every client is on a new session: anything beyond the live ones is for the dead.
      [`${m}.stale_sessions`]: {
        value: live.sessions - base.sessions - sessions.length,
        unit: 'count',
        better: 'lower',
      },
      ...(mode === 'bridge'
        ? {
            [`${m}.excess_children`]: {
              value: live.children - base.children - sessions.length,
              unit: 'count',
              better: 'lower',
            },
          }
        : {}),
    };
    if (again.achieved.completed - again.achieved.ok > 0)
      warnings.push(`${mode} restart: after recovery, ${again.errorSamples[0] ?? 'calls failed'}`);
    return { opened: opened.length, peak, ...gone, extra };
  };

  /**
   * The reconnect storm: every session's GET stream cut at once, and every client reconnecting at once — half with
   * Last-Event-ID (the last event each read), half without. All must be answered 200; the proxy must then hold one
   * stream per client, not the dead ones too; a resumed stream (reverse: the mock numbers its events) must go on from
   * the event after the last one read. Then the clients end their sessions properly.
   */
  const reconnectWave = async (mode: Mode, proxy: Child, count: number, base: Reading) => {
    const url = new URL(proxy.url);
    const target = ctx.connect(url, { connections: 16 });
    const sessions = await openAndCall(target, count, signal, failures);
    const pairs = await openStreams(url, sessions, signal);
    const first = pairs.map((p) => p.socket);
    ctx.defer(() => first.forEach((s) => s.destroy()));
    await abortableSleep(LISTEN_MS, signal);
    const seen = first.map((s) => eventIds.get(s)?.last);
    first.forEach((s) => s.destroy());
    ctx.step(`${mode}: reconnect: ${first.length} streams cut, every client reconnecting at once`);
    const t0 = performance.now();
    const again = await Promise.allSettled(
      pairs.map((p, i) => openStream(url, p.session.sessionId, i % 2 === 0 ? seen[i] : undefined)),
    );
    const reconnectMs = performance.now() - t0;
    const sockets = again.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    ctx.defer(() => sockets.forEach((s) => s.destroy()));
    await abortableSleep(LISTEN_MS, signal);
    const peak = await read(proxy);
    // Resumed streams: the first event after the reconnect is the one after the last read, on the same stream.
    let checked = 0;
    let gaps = 0;
    again.forEach((r, i) => {
      const before = seen[i]?.split(':');
      const after = r.status === 'fulfilled' ? eventIds.get(r.value)?.first?.split(':') : undefined;
      if (i % 2 !== 0 || before?.length !== 2 || after?.length !== 2) return; // not resumed, or no event read
      checked++;
      if (after[0] !== before[0] || Number(after[1]) !== Number(before[1]) + 1) gaps++;
    });
    sockets.forEach((s) => s.destroy());
    await Promise.all(sessions.map((s) => s.close()));
    await target.pool.destroy();
    const gone = await letGo(mode, 'reconnect', proxy, base);
    const m = `${mode}.reconnect`;
    const extra: Record<string, Metric> = {
      [`${m}.reconnected`]: { value: sockets.length, unit: 'count', better: 'none' },
      [`${m}.reconnect_failed`]: { value: first.length - sockets.length, unit: 'count', better: 'lower' },
      [`${m}.reconnect_ms`]: { value: Math.round(reconnectMs), unit: 'ms', better: 'lower' },
      // Streams the proxy holds beyond one per reconnected client: the cut ones, never released.
      [`${m}.excess_streams`]: { value: peak.streams - base.streams - sockets.length, unit: 'count', better: 'lower' },
      ...(mode === 'reverse'
        ? {
            [`${m}.resumed_checked`]: { value: checked, unit: 'count', better: 'none' },
            [`${m}.resume_gaps`]: { value: gaps, unit: 'count', better: 'lower' },
          }
        : {}),
    };
    const failed = again.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) warnings.push(`${mode} reconnect: ${(failed.reason as Error).message}`);
    return { opened: sessions.length, peak, ...gone, extra };
  };

  // The two modes run side by side, each on its own proxy: what is judged is each process's own figures.
  const hunt = async (mode: Mode): Promise<void> => {
    const proxy = proxies[mode];
    const count = mode === 'bridge' ? p.children : p.sessions;
    // The warm-up is a vanished wave, not measured: the allocator's high-water mark, the JIT and the tables reach
    // their working size in it, so that what the measured waves leave is growth, not first use.
    ctx.step(`${mode}: warm-up, ${count} vanished sessions (not measured)`);
    await wave(mode, 'vanished', proxy, count, undefined);
    if (signal.aborted) return;
    const base = await read(proxy);

    for (const kind of WAVES) {
      if (signal.aborted) return;
      ctx.step(`${mode}: ${count} ${kind} sessions`);
      const { opened, peak, after, reclaimMs, stillHolding, extra } =
        kind === 'restart'
          ? await restartWave(mode, proxy, count, base)
          : kind === 'reconnect'
            ? await reconnectWave(mode, proxy, count, base)
            : await wave(mode, kind, proxy, count, base);
      if (signal.aborted) return;
      Object.assign(metrics, extra);

      const m = `${mode}.${kind}`;
      metrics[`${m}.sessions_at_peak`] = { value: peak.sessions, unit: 'count', better: 'none' };
      metrics[`${m}.sessions_left`] = { value: after.sessions - base.sessions, unit: 'count', better: 'lower' };
      if (mode === 'bridge') {
        metrics[`${m}.children_at_peak`] = { value: peak.children, unit: 'count', better: 'none' };
        metrics[`${m}.children_left`] = { value: after.children - base.children, unit: 'count', better: 'lower' };
      }
      metrics[`${m}.streams_left`] = { value: after.streams - base.streams, unit: 'count', better: 'lower' };
      metrics[`${m}.fds_left`] = { value: after.fds - base.fds, unit: 'count', better: 'lower' };
      metrics[`${m}.reclaim_ms`] = { value: Math.round(reclaimMs), unit: 'ms', better: 'lower' };
      metrics[`${m}.rss_growth_ratio`] = {
        value: roundTo((after.rss - base.rss) / base.rss, 3),
        unit: 'ratio',
        better: 'lower',
      };
      metrics[`${m}.heap_growth_ratio`] = {
        value: roundTo((after.heap - base.heap) / base.heap, 3),
        unit: 'ratio',
        better: 'lower',
      };
      metrics[`${m}.rss_at_peak_bytes`] = { value: peak.rss, unit: 'bytes', better: 'lower' };
      // Per session at the peak, over the warm base: what each client costs while it is there.
      const perSession = (v: number): number => roundTo(v / Math.max(1, opened), 2);
      // (The reverse proxy's own RSS; a bridged session's cost is its child, counted below: a few sessions against
      // the proxy's GC-to-GC swing of megabytes make its own RSS per session noise.)
      if (mode === 'reverse')
        metrics[`${m}.rss_per_session_at_peak_bytes`] = {
          value: Math.round(perSession(peak.rss - base.rss)),
          unit: 'bytes',
          better: 'lower',
        };
      metrics[`${m}.fds_per_session_at_peak`] = {
        value: perSession(peak.fds - base.fds),
        unit: 'count',
        better: 'none',
      };
      if (mode === 'bridge')
        metrics[`${m}.children_per_session_at_peak`] = {
          value: perSession(peak.children - base.children),
          unit: 'count',
          better: 'lower',
        };
      metrics[`${m}.rss_after_bytes`] = { value: after.rss, unit: 'bytes', better: 'lower' };
      if (opened < count)
        warnings.push(`${mode} ${kind}: only ${opened} of ${count} sessions opened; first: ${failures[0]}`);
      // Every session opened must still be there at the peak: one the idle limit expired while the wave was still
      // opening the rest was never measured (the profile's idleMs is too short for its sessions).
      if (peak.sessions - base.sessions < opened)
        warnings.push(
          `${mode} ${kind}: ${peak.sessions - base.sessions} of ${opened} sessions held at the peak — the idle limit (${p.idleMs} ms) expired some while the wave was opening them; this profile needs a longer idleMs`,
        );
      if (stillHolding !== undefined)
        warnings.push(
          `${mode} ${kind}: ${stillHolding.sessions - base.sessions} sessions, ${stillHolding.streams - base.streams} streams and ${stillHolding.children - base.children} children still held ${Math.round(reclaimMs)} ms after the clients left (idle limit ${p.idleMs} ms)`,
        );
      done.push(`${mode} ${kind}`);
      ctx.checkpoint(build);
    }
    // The leak fit: the same wave again and again, on paths the waves above have all compiled, and the heap each
    // leaves on a line. (A line through different waves reads each one's first use — a path compiled, a table grown
    // to its working size — as a climb.)
    const repeated: Reading[] = [];
    for (let r = 1; r <= p.repeats; r++) {
      if (signal.aborted) return;
      ctx.step(`${mode}: leak fit: vanished wave ${r} of ${p.repeats}`);
      const { opened, after, stillHolding } = await wave(mode, 'vanished', proxy, count, base);
      repeated.push(after);
      if (opened < count || stillHolding !== undefined)
        warnings.push(
          `${mode} leak fit, wave ${r}: ${opened} of ${count} sessions opened, ${(stillHolding ?? base).sessions - base.sessions} still held after the idle limit`,
        );
    }
    if (signal.aborted) return;
    Object.assign(metrics, leakFit(mode, repeated));
    done.push(`${mode} leak fit`);
  };
  await Promise.all(MODES.map(hunt));
  return build();
}

/**
 * Opens `count` sessions in batches, one tools/call each; sessions that fail to open, or whose call fails, are left
 * out, the first reason kept in `failures`.
 */
async function openAndCall(
  target: SessionTarget,
  count: number,
  signal: AbortSignal,
  failures: string[],
): Promise<McpHttpSession[]> {
  const opened: McpHttpSession[] = [];
  for (let i = 0; i < count && !signal.aborted; i += OPEN_BATCH) {
    const batch = await Promise.allSettled(
      Array.from({ length: Math.min(OPEN_BATCH, count - i) }, async (_, k) => {
        const s = await McpHttpSession.open(target, `mcp-perf-leaks-${i + k}`);
        const token = callToken(i + k + 1);
        const outcome = await s.call(
          1,
          `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"${token}"}}}`,
          token,
        );
        if (!outcome.ok) throw new Error(`the first call failed: ${outcome.kind}: ${outcome.detail}`);
        return s;
      }),
    );
    for (const b of batch)
      if (b.status === 'fulfilled') opened.push(b.value);
      else failures.push((b.reason as Error).message);
  }
  return opened;
}

/**
 * A raw GET stream per session, each on a socket of its own, opened in batches and resolved once the proxy has
 * answered its head; a session whose stream was refused has no pair.
 */
async function openStreams(
  url: URL,
  sessions: readonly McpHttpSession[],
  signal: AbortSignal,
): Promise<Array<{ session: McpHttpSession; socket: Socket }>> {
  const pairs: Array<{ session: McpHttpSession; socket: Socket }> = [];
  for (let i = 0; i < sessions.length && !signal.aborted; i += OPEN_BATCH) {
    const batch = await Promise.allSettled(
      sessions
        .slice(i, i + OPEN_BATCH)
        .map(async (session) => ({ session, socket: await openStream(url, session.sessionId) })),
    );
    for (const b of batch) if (b.status === 'fulfilled') pairs.push(b.value);
  }
  return pairs;
}

/** Per stream socket: the first and the last SSE event id read on it (`<stream>:<n>` from the HTTP mock). */
const eventIds = new WeakMap<Socket, { first?: string; last?: string }>();

function openStream(url: URL, sessionId: string, lastEventId?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const timer = setTimeout(() => fail(new Error('no answer to the GET within 5 s')), 5_000);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.once('error', fail);
    socket.once('connect', () =>
      socket.write(
        `GET ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\naccept: text/event-stream\r\nmcp-session-id: ${sessionId}\r\nmcp-protocol-version: 2025-11-25\r\n${lastEventId === undefined ? '' : `last-event-id: ${lastEventId}\r\n`}\r\n`,
      ),
    );
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n')) return;
      socket.off('data', onData);
      clearTimeout(timer);
      if (!head.startsWith('HTTP/1.1 200')) return fail(new Error(`GET answered ${head.split('\r\n')[0]}`));
      socket.off('error', fail);
      socket.on('error', () => {}); // a reset from our side, or the proxy ending the stream
      const ids: { first?: string; last?: string } = {};
      eventIds.set(socket, ids);
      const track = (text: string): void => {
        for (const m of text.matchAll(/^id: ?(\S+)\r?$/gm)) {
          ids.first ??= m[1];
          ids.last = m[1];
        }
      };
      track(head);
      socket.on('data', (more: Buffer) => track(more.toString('latin1')));
      resolve(socket);
    };
    socket.on('data', onData);
  });
}

/**
 * The soak's leak test across repeated waves: a line through the heap left after each (RSS beside); a leak is
 * suspected when the slope's 95% interval lies wholly above LEAK_FLOOR_PCT of the first reading per wave — growth the
 * waves' own noise cannot explain. With five points the interval is wide: it says "leak" only for a steady climb.
 */
function leakFit(mode: Mode, readings: readonly Reading[]): Record<string, Metric> {
  if (readings.length < 3) return {};
  const fit = (pick: (r: Reading) => number) => fitLine(readings.map((r, i) => [i, pick(r)]));
  const heap = fit((r) => r.heap);
  const rss = fit((r) => r.rss);
  // The heap only: RSS climbs in steps while V8 grows its young generation (scenarios/leak-hunt.ts), reported beside.
  const leak = slopeSurelyAbove(heap, (readings[0]!.heap * LEAK_FLOOR_PCT) / 100);
  return {
    [`${mode}.heap_slope_bytes_per_wave`]: { value: Math.round(heap.slope), unit: 'bytes', better: 'lower' },
    [`${mode}.rss_slope_bytes_per_wave`]: { value: Math.round(rss.slope), unit: 'bytes', better: 'lower' },
    [`${mode}.leak_suspected`]: { value: leak ? 1 : 0, unit: 'count', better: 'lower' },
  };
}

/** Growth per wave beyond this share of the warm base, surely (95%), is a leak. */
const LEAK_FLOOR_PCT = 1;

/** SIGKILL, ignoring a process already gone. */
function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone meanwhile
  }
}

async function counts(proxy: Child): Promise<{ sessions: number; streams: number; children: number }> {
  return {
    sessions: await gauge(proxy, 'mcp_proxy_active_sessions'),
    streams: await gauge(proxy, 'mcp_proxy_open_streams'),
    children: processDescendantCount(proxy.pid),
  };
}

/** A gauge the proxy must expose: a missing one would read as "nothing left", so it is an error. */
async function gauge(proxy: Child, name: string): Promise<number> {
  let value: number | undefined;
  try {
    value = await scrapeGauge(proxy.url, name);
  } catch (err) {
    throw new Error(`${proxy.name} (pid ${proxy.pid}): ${(err as Error).message}`, { cause: err });
  }
  if (value === undefined) throw new Error(`${proxy.name}: its /metrics has no ${name}`);
  return value;
}

async function read(proxy: Child): Promise<Reading> {
  const { rss, heapUsed, code } = await proxyMemoryAfterGc(proxy.url, proxy.pid);
  // The heap less the JIT's machine code: code grows while each new path is compiled and optimised (~170 KiB over the
  // first 7,500 sessions here, flattening), whatever the proxy holds for its clients.
  return { ...(await counts(proxy)), fds: processFdCount(proxy.pid) ?? 0, rss, heap: heapUsed - code };
}

const leaksKind: ScenarioKind<LeaksScenario> = {
  kind: 'leaks',
  estimateMs: (scenario, profile) => {
    const p = scenario.profiles[profile];
    const perWave = p.idleMs + KEEP_ALIVE_WAIT_MS + 2 * p.settleMs + p.sessions * 3 + 500;
    // A warm-up, four waves and the repeats for the leak fit; the modes run side by side.
    return (5 + p.repeats) * perWave + 3_000;
  },
  run: runLeaks,
};

export default leaksKind;
