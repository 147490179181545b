/**
 * The RunContext a kind runs in (kind.ts says what it offers). One is made per scenario by the run loop, which then
 * runs its deferred clean-up and ends its processes however the kind ended, and asks it for the last checkpoint if
 * the run was aborted.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProfileName, Scenario } from '../../scenarios/define.js';
import type { Metric } from '../results/schema.js';
import { expandArgv, expandWord, placesPort, TARGETS, type TargetSpec } from '../../scenarios/targets.js';
import { quoteCommand } from '../../core/runtime/argv.js';
import { McpPerfError } from '../../core/runtime/errors.js';
import { McpHttpSession, createTargetPool, type SessionTarget } from '../load/mcp-session.js';
import { answers, CLI_BIN, commandAvailable, freePort, type Child, type ProcessGroup } from './children.js';
import type { EventSink } from './events.js';
import type { KindResult, MockKnobs, RunContext, StartedTarget, TrialFigures, TrialLabel } from './kind.js';

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Sessions open in batches of this many: set-up is not one burst the listen backlog drops. */
const OPEN_BATCH = 50;

export interface ContextOptions {
  readonly scenario: Scenario;
  readonly profileName: ProfileName;
  readonly group: ProcessGroup;
  readonly signal: AbortSignal;
  readonly emit: EventSink;
  /** The targets table seats are filled from; default scenarios/targets.ts. */
  readonly targets?: Readonly<Record<string, TargetSpec>>;
}

/** A context and the run loop's handles on it. */
export interface ScenarioFrame<S extends Scenario> {
  readonly ctx: RunContext<S>;
  /** Runs every deferred clean-up, newest first; never throws. */
  cleanUp(): Promise<void>;
  /** The last checkpoint's result, built now; undefined when the kind took none. */
  lastCheckpoint(): KindResult | undefined;
}

export function createContext<S extends Scenario>(options: ContextOptions & { scenario: S }): ScenarioFrame<S> {
  const { scenario, profileName, group, signal, emit } = options;
  const table: Readonly<Record<string, TargetSpec>> = options.targets ?? TARGETS;
  const started = performance.now();
  const elapsedMs = (): number => performance.now() - started;
  const cleanups: Array<() => unknown> = [];
  let checkpoint: (() => KindResult) | undefined;
  /** The processes in a seat: one that ends while the scenario runs fails it, by name. */
  const seated: Array<{ name: string; child: Child }> = [];
  const ensureSeatsAlive = (): void => {
    for (const { name, child } of seated) {
      const how = child.ended();
      if (how !== undefined)
        throw new McpPerfError(
          'MCP_PERF_TARGET',
          `target "${name}" ${how} during the scenario${child.stderrTail() ? `:\n${child.stderrTail()}` : ''}`,
        );
    }
  };

  const defer = (cleanup: () => unknown): void => {
    cleanups.push(cleanup);
  };

  const trialStarted = (label: TrialLabel) => {
    emit({ type: 'trial-start', scenario: scenario.name, ...label, elapsedMs: elapsedMs() });
    return (figures: TrialFigures): void =>
      emit({ type: 'trial-end', scenario: scenario.name, ...label, elapsedMs: elapsedMs(), ...figures });
  };

  const ctx: RunContext<S> = {
    scenario,
    profileName,
    profile: scenario.profiles[profileName] as RunContext<S>['profile'],
    signal,
    emit,
    elapsedMs,
    step: (label) => emit({ type: 'step', scenario: scenario.name, label, elapsedMs: elapsedMs() }),

    start: (name, args, options) => group.start(name, args, options),
    stop: (child) => group.stop(child),
    startMock: (name, knobs = {}) => group.start(name, ['mock', 'http', ...mockFlags(knobs)]),
    stdioMockArgv: (knobs = {}) => [process.execPath, CLI_BIN, 'mock', 'stdio', ...mockFlags(knobs)],
    kill: (child) => group.kill(child),
    ready: () =>
      emit({
        type: 'processes-ready',
        scenario: scenario.name,
        processes: group.running().map((c) => ({ name: c.name, pid: c.pid, url: c.url })),
      }),

    unavailable(name) {
      const spec = Object.hasOwn(table, name) ? table[name] : undefined;
      if (spec === undefined) return `no target "${name}" in the targets table`;
      if (spec.argv === undefined || commandAvailable(spec.argv[0]!)) return undefined;
      return `${spec.argv[0]} is not installed${spec.install === undefined ? '' : ` (${spec.install})`}`;
    },

    async startTarget(name, upstreams) {
      const spec = Object.hasOwn(table, name) ? table[name] : undefined;
      if (spec === undefined)
        throw new McpPerfError(
          'MCP_PERF_CONFIG',
          `unknown target "${name}" in scenario ${scenario.name}; known: ${Object.keys(table).join(', ')}`,
        );
      const started = await seat(name, spec, upstreams, group, defer);
      if (started.child !== undefined) seated.push({ name, child: started.child });
      return started;
    },

    connect(url, { connections, requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS }) {
      const target: SessionTarget = { url, pool: createTargetPool(url, connections), requestTimeoutMs };
      defer(() => target.pool.destroy());
      return target;
    },

    async openSessions(target, count, clientName) {
      const opened: McpHttpSession[] = [];
      while (opened.length < count && !signal.aborted) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(OPEN_BATCH, count - opened.length) }, () =>
            McpHttpSession.open(target, clientName),
          ),
        );
        opened.push(...batch);
      }
      // Closed before the pool they use is destroyed (clean-up runs newest first).
      defer(() => closeAll(opened));
      return opened;
    },
    defer,

    async trial(label, load) {
      const end = trialStarted(label);
      const outcome = await load();
      if (signal.aborted) return undefined;
      // A target that died mid-trial is the scenario's failure, named — not a trial full of connection errors.
      ensureSeatsAlive();
      end({
        askedRate: outcome.asked.rate ?? null,
        achievedRate: outcome.achieved.rate,
        errors: outcome.achieved.completed - outcome.achieved.ok,
      });
      return outcome;
    },
    trialStarted,
    async interleave(spec) {
      for (const seat of spec.seats)
        for (const warmup of spec.warmups) {
          const label = { phase: 'warmup' as const, trial: 0, trials: spec.trials, target: seat.name };
          if ((await ctx.trial(label, () => warmup(seat))) === undefined) return false;
        }
      for (let trial = 1; trial <= spec.trials; trial++) {
        const round = [];
        // Each round starts one seat later (A B C, B C A, C A B, …): no seat always runs right after the same one, so
        // what a seat leaves behind (a mock's garbage after a saturating trial, a warm cache) falls on every seat in turn.
        const shift = (trial - 1) % spec.seats.length;
        for (const seat of [...spec.seats.slice(shift), ...spec.seats.slice(0, shift)]) {
          const lead = await spec.lead?.(seat);
          if (signal.aborted) return false;
          const before = spec.cpu?.(seat);
          const label = { phase: spec.phase, trial, trials: spec.trials, target: seat.name };
          const outcome = await ctx.trial(label, () => spec.load(seat));
          if (outcome === undefined) return false;
          const after = spec.cpu?.(seat);
          round.push({
            seat,
            outcome,
            cpuUs: before !== undefined && after !== undefined ? after - before : null,
            leadInMs: lead?.ms ?? null,
          });
        }
        spec.onRound(trial, round);
        checkpoint = spec.checkpoint;
      }
      return true;
    },
    checkpoint: (build) => {
      checkpoint = build;
    },
    result: (settings, measured) => ({
      name: scenario.name,
      description: scenario.description,
      kind: scenario.kind,
      profile: profileName,
      settings,
      thresholds: scenario.thresholds,
      goals: scenario.goals,
      state: 'completed',
      ...measured,
      metrics: plainZeros(measured.metrics),
    }),
  };

  return {
    ctx,
    async cleanUp() {
      for (const cleanup of cleanups.splice(0).reverse()) {
        try {
          await cleanup();
        } catch {
          // clean-up is best effort: the processes are ended next regardless
        }
      }
    },
    lastCheckpoint: () => checkpoint?.(),
  };
}

/** DELETEs every session not closed yet, a batch at a time. */
async function closeAll(sessions: readonly McpHttpSession[]): Promise<void> {
  const open = sessions.filter((s) => !s.closed);
  for (let i = 0; i < open.length; i += OPEN_BATCH)
    await Promise.all(open.slice(i, i + OPEN_BATCH).map((s) => s.close()));
}

function mockFlags(knobs: MockKnobs): string[] {
  const flags: string[] = [];
  if (knobs.latencyMs !== undefined) flags.push('--latency-ms', String(knobs.latencyMs));
  if (knobs.payloadBytes !== undefined) flags.push('--payload-bytes', String(knobs.payloadBytes));
  if (knobs.response !== undefined) flags.push('--response', knobs.response);
  if (knobs.notifyRate !== undefined) flags.push('--notify-rate', String(knobs.notifyRate));
  if (knobs.notifyPattern !== undefined) flags.push('--notify-pattern', knobs.notifyPattern);
  if (knobs.name !== undefined) flags.push('--name', knobs.name);
  if (knobs.control === true) flags.push('--control');
  if (knobs.port !== undefined) flags.push('--port', String(knobs.port));
  if (knobs.keepAliveMs !== undefined) flags.push('--keep-alive-ms', String(knobs.keepAliveMs));
  return flags;
}

/** Puts one row of the targets table in a seat. */
async function seat(
  name: string,
  spec: TargetSpec,
  upstreams: { readonly http?: Child; readonly stdioArgv?: readonly string[]; readonly maxSessions?: number },
  group: ProcessGroup,
  defer: (cleanup: () => unknown) => void,
): Promise<StartedTarget> {
  const fail = (why: string): never => {
    throw new McpPerfError('MCP_PERF_CONFIG', `target "${name}": ${why}`);
  };
  const mock = spec.upstream === 'http' ? upstreams.http : undefined;
  if (spec.upstream === 'http' && mock === undefined) fail('it fronts the HTTP mock, and this scenario has none');
  if (spec.upstream === 'stdio' && upstreams.stdioArgv === undefined)
    fail('it fronts the stdio mock, and this scenario has none');

  // The upstream itself (direct).
  if (spec.argv === undefined && spec.url === undefined) {
    if (mock === undefined) return fail('a seat that is the upstream itself needs the HTTP mock');
    return { name, spec, url: new URL(mock.url), chargedPid: mock.pid };
  }

  if (spec.argv !== undefined && !commandAvailable(spec.argv[0]!))
    fail(
      `${spec.argv[0]} is not installed${spec.install === undefined ? ' (not on PATH nor in node_modules/.bin)' : `: ${spec.install}`}`,
    );

  const values: Record<string, string | readonly string[]> = { host: '127.0.0.1' };
  if (mock !== undefined) {
    const url = new URL(mock.url);
    values.upstream_url = mock.url;
    values.upstream_hostport = url.host;
    values.upstream_path = url.pathname;
  }
  if (upstreams.stdioArgv !== undefined) {
    values.upstream_cmd = quoteCommand(upstreams.stdioArgv);
    values.upstream_argv = upstreams.stdioArgv;
  }
  if (upstreams.maxSessions !== undefined) values.max_sessions = String(upstreams.maxSessions);
  const fill = <T>(f: () => T): T => {
    try {
      return f();
    } catch (err) {
      return fail((err as Error).message);
    }
  };

  // Already running: only probed, never started or charged.
  if (spec.argv === undefined) {
    const url = new URL(fill(() => expandWord(spec.url!, values)));
    if (!isLoopback(url.hostname)) fail(`${url.href} is not loopback: load stays on this machine`);
    const ready = spec.ready === 'ready-line' ? 'port' : spec.ready;
    if (!(await answers(url, ready))) fail(`nothing answers at ${url.href}`);
    return { name, spec, url, chargedPid: undefined };
  }

  if (placesPort(spec)) values.port = String(await freePort());
  if (spec.files !== undefined || spec.argv.some((w) => w.includes('{dir}'))) {
    const dir = await mkdtemp(join(tmpdir(), `mcp-perf-${name}-`));
    defer(() => rm(dir, { recursive: true, force: true }));
    values.dir = dir;
    for (const [file, text] of Object.entries(spec.files ?? {}))
      await writeFile(
        join(dir, file),
        fill(() => expandWord(text, values)),
      );
  }
  const argv = fill(() => expandArgv(spec.argv!, values));
  const url = spec.url === undefined ? undefined : fill(() => expandWord(spec.url!, values));
  let child: Child;
  try {
    child = await group.spawn(spec.process ?? name, argv, { ready: spec.ready, url, timeoutMs: spec.readyTimeoutMs });
  } catch (err) {
    throw new McpPerfError('MCP_PERF_CHILD_START', `target "${name}": ${(err as Error).message}`, { cause: err });
  }
  const chargedPid = spec.charge === 'self' ? child.pid : spec.charge === 'upstream' ? mock?.pid : undefined;
  return { name, spec, url: new URL(child.url), chargedPid, child, command: quoteCommand(argv) };
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/**
 * -0 (Math.round(-0.4), a rounded small negative) becomes 0: results.json cannot hold -0, so a report rendered from the
 * run itself would print "-0" where the same report rendered from the file prints "0".
 */
function plainZeros(metrics: Record<string, Metric>): Record<string, Metric> {
  let out: Record<string, Metric> | undefined;
  for (const [name, m] of Object.entries(metrics))
    if (Object.is(m.value, -0)) (out ??= { ...metrics })[name] = { ...m, value: 0 };
  return out ?? metrics;
}
