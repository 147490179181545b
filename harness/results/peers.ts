/**
 * The peers table of a shootout: per mode (reverse: fronting the HTTP mock; bridge: fronting the stdio mock), one
 * row per target, ranked by closed-model calls/s, with ratios to the best of its mode and to ours, beside what it
 * costs (added p50 over the reference, CPU per call, memory and processes per session) and its errors. Read from a
 * results file, so the terminal, the report and docs/peers.md show the same figures.
 */
import type { CompletedScenario, Metric, TargetResult } from './schema.js';
import { formatValue } from '../output/format.js';

export type PeerMode = 'reverse' | 'bridge';

/** Generator CPU in a closed-model trial above which its throughput is the generator's, as the comparison warns. */
const GENERATOR_BOUND_PCT = 90;

export interface PeerRow {
  readonly name: string;
  readonly version: string | undefined;
  readonly ours: boolean;
  readonly p50Us: number | undefined;
  readonly addedP50Us: number | undefined;
  /** The open-model rate its latency was measured at, where its target held it below the scenario's. */
  readonly rate: number | undefined;
  /** The closed-model clients its calls/s was measured with, where its target held them below the scenario's. */
  readonly vus: number | undefined;
  readonly throughputRps: number;
  /**
   * The generator used over 90% of its core in one of this seat's throughput trials: the figure is the generator's
   * ceiling, and the target can do at least this much.
   */
  readonly generatorBound: boolean;
  /** Calls/s as a fraction of the best of its mode (1 for the best). */
  readonly toBest: number;
  /** Calls/s as a multiple of ours in its mode; undefined when ours was not measured. */
  readonly toOurs: number | undefined;
  readonly cpuUsPerCall: number | null;
  readonly rssPerSessionKiB: number | null;
  readonly ownRssPerSessionKiB: number | null;
  readonly childrenPerSession: number | null;
  readonly errors: number;
  /** Errors by kind (timeout, http-502, crossed …), as the load counted them. */
  readonly errorKinds: Readonly<Record<string, number>>;
}

export interface PeersTable {
  readonly reference: string | undefined;
  readonly modes: ReadonlyArray<{ readonly mode: PeerMode; readonly rows: readonly PeerRow[] }>;
  /** Targets the scenario names that were not installed where it ran. */
  readonly skipped: readonly string[];
}

/** The table, or undefined for a scenario that is not a shootout (its targets carry no `about`). */
export function peersTable(s: CompletedScenario): PeersTable | undefined {
  const entries = Object.entries(s.targets).filter(([, t]) => t.about !== undefined);
  if (entries.length === 0) return undefined;
  const ours = (s.settings['ours'] ?? {}) as Partial<Record<PeerMode, string>>;
  const skipped = Array.isArray(s.settings['skipped']) ? (s.settings['skipped'] as string[]) : [];
  const reference = entries.find(([, t]) => t.about!.mode === 'reference')?.[0];
  const modes = (['reverse', 'bridge'] as const).map((mode) => {
    const inMode = entries.filter(([, t]) => t.about!.mode === mode);
    const best = Math.max(1e-9, ...inMode.map(([, t]) => t.throughputRps));
    const oursRps = inMode.find(([name]) => name === ours[mode])?.[1].throughputRps;
    const rows = inMode
      .map(([name, t]): PeerRow => ({
        name,
        version: t.about!.version,
        ours: name === ours[mode] || t.about!.ours === true,
        p50Us: t.latency?.summary.p50_us,
        addedP50Us: s.metrics[`${name}.added.p50_us`]?.value,
        rate: t.about!.rate,
        vus: t.about!.vus,
        throughputRps: t.throughputRps,
        generatorBound: s.trials.some(
          (trial) =>
            trial.target === name && trial.phase === 'throughput' && trial.generatorCpuPct > GENERATOR_BOUND_PCT,
        ),
        toBest: round(t.throughputRps / best),
        toOurs: oursRps === undefined || oursRps <= 0 ? undefined : round(t.throughputRps / oursRps),
        cpuUsPerCall: t.cpuUsPerRequest.closed,
        rssPerSessionKiB: t.footprint?.rssPerSessionKiB ?? null,
        ownRssPerSessionKiB: t.footprint?.ownRssPerSessionKiB ?? null,
        childrenPerSession: t.footprint?.childrenPerSession ?? null,
        errors: Object.values(t.errors).reduce((a, b) => a + b, 0),
        errorKinds: { ...t.errors },
      }))
      .sort((a, b) => b.throughputRps - a.throughputRps);
    return { mode, rows };
  });
  return { reference, modes: modes.filter((m) => m.rows.length > 0), skipped };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Which of mcp-perf's targets is "ours" in each mode (the shootout's `ours` setting). */
export type OursByMode = Readonly<Partial<Record<PeerMode, string>>>;

/**
 * Whether a peer's figure counts against ours: its calls/s when it carried any; its latency when it was timed at the
 * scenario's rate (a target's `maxRate` may hold it lower: not the same load).
 */
export function measuredPeer(t: TargetResult, latency: boolean): boolean {
  return latency ? t.about?.rate === undefined && t.latency !== undefined : t.throughputRps > 0;
}

/** The peers of ours in `mode`: the targets of that mode that are not mcp-perf's own. */
export function peersIn(targets: Readonly<Record<string, TargetResult>>, mode: PeerMode, ours: string): string[] {
  return Object.entries(targets)
    .filter(([name, t]) => name !== ours && t.about?.mode === mode && t.about.ours !== true)
    .map(([name]) => name);
}

/**
 * Ours against the best peer of its mode, as same-run figures (they travel between machines, so they can gate):
 *   - `<ours>.to_best_peer`: our calls/s over the best peer's;
 *   - `<ours>.added_p50_over_best_peer_us`: the latency we add at p50 less the least any peer adds (both are over the
 *     same reference, whose p50 cancels: our p50 less the lowest peer p50). A peer held to a lower rate than the
 *     scenario's (its target's `maxRate`) was not measured at the same load and is left out of it.
 * A mode with no peer measured has neither.
 */
export function peerMetrics(targets: Readonly<Record<string, TargetResult>>, ours: OursByMode): Record<string, Metric> {
  const out: Record<string, Metric> = {};
  for (const mode of ['reverse', 'bridge'] as const) {
    const name = ours[mode];
    const mine = name === undefined ? undefined : targets[name];
    if (name === undefined || mine === undefined) continue;
    const peers = peersIn(targets, mode, name).map((peer) => targets[peer]!);
    const rps = peers.filter((t) => measuredPeer(t, false)).map((t) => t.throughputRps);
    if (rps.length > 0 && mine.throughputRps > 0)
      out[`${name}.to_best_peer`] = {
        value: round(mine.throughputRps / Math.max(...rps)),
        unit: 'ratio',
        better: 'higher',
      };
    const p50s = peers.filter((t) => measuredPeer(t, true)).map((t) => t.latency!.summary.p50_us);
    const p50 = mine.latency?.summary.p50_us;
    if (p50s.length > 0 && p50 !== undefined)
      out[`${name}.added_p50_over_best_peer_us`] = { value: p50 - Math.min(...p50s), unit: 'us', better: 'lower' };
  }
  return out;
}

const PEER_METRIC = /^([A-Za-z0-9._-]+)\.(to_best_peer|added_p50_over_best_peer_us)$/;

/**
 * peerMetrics round by round (round n: every seat's trial n, run back to back), from the trials: the spread a verdict
 * on them can weigh. Undefined for other metrics, for a seat that is not ours, or with fewer than two rounds.
 */
export function peerRounds(
  s: Pick<CompletedScenario, 'targets' | 'trials' | 'settings'>,
  metric: string,
): number[] | undefined {
  const m = PEER_METRIC.exec(metric);
  if (m === null) return undefined;
  const [, name, which] = m;
  const ours = (s.settings['ours'] ?? {}) as OursByMode;
  const mode = (['reverse', 'bridge'] as const).find((mode) => ours[mode] === name);
  if (mode === undefined) return undefined;
  const throughput = which === 'to_best_peer';
  const peers = peersIn(s.targets, mode, name!).filter((peer) => measuredPeer(s.targets[peer]!, !throughput));
  const phase = throughput ? 'throughput' : 'latency';
  const figure = (target: string, trial: number): number | undefined => {
    const t = s.trials.find((t) => t.phase === phase && t.target === target && t.trial === trial);
    return t === undefined ? undefined : throughput ? t.achieved.rate : t.p50_us;
  };
  const values: number[] = [];
  for (const t of s.trials) {
    if (t.phase !== phase || t.target !== name) continue;
    // A round a peer answered nothing in has no calls/s to set ours against.
    const theirs = peers.flatMap((peer) => figure(peer, t.trial) ?? []).filter((v) => !throughput || v > 0);
    if (theirs.length === 0) continue;
    values.push(throughput ? round(t.achieved.rate / Math.max(...theirs)) : t.p50_us - Math.min(...theirs));
  }
  return values.length >= 2 ? values : undefined;
}

/**
 * Memory per session as the tables show it: the whole process tree's growth. The proxy's own process alone is kept in
 * the results (`ownRssPerSessionKiB`) but not shown: without a forced GC it read −110 KiB per session for our bridge
 * in every run (a collection during the opening burst), a figure that would mislead.
 */
function formatSessionRss(row: Pick<PeerRow, 'rssPerSessionKiB'>): string {
  if (row.rssPerSessionKiB === null) return '—';
  // A tree that shrank while its sessions opened (a per-request child gone, a collection) grew by nothing measurable.
  if (row.rssPerSessionKiB < 0) return 'none seen';
  return `${row.rssPerSessionKiB.toLocaleString('en-US', { maximumFractionDigits: 0 })} KiB`;
}

/** Calls/s as the tables show it, starred when the generator was the limit. */
function formatCalls(row: Pick<PeerRow, 'throughputRps' | 'generatorBound' | 'vus'>): string {
  const clients = row.vus === undefined ? '' : ` (${row.vus} clients)`;
  return `${Math.round(row.throughputRps).toLocaleString('en-US')}/s${clients}${row.generatorBound ? ' *' : ''}`;
}

/** The footnote a starred figure needs. */
export const GENERATOR_BOUND_NOTE = `* the load generator used over ${GENERATOR_BOUND_PCT}% of its core: the target can do at least this much`;

/** Errors as the tables show them: 0, or each kind with its count. */
function formatErrors(row: Pick<PeerRow, 'errorKinds'>): string {
  const kinds = Object.entries(row.errorKinds).filter(([, n]) => n > 0);
  return kinds.length === 0 ? '0' : kinds.map(([kind, n]) => `${kind} ${n.toLocaleString('en-US')}`).join(', ');
}

/** Added p50 as the tables show it, with the rate it was measured at where that was held lower. */
function formatAdded(row: Pick<PeerRow, 'addedP50Us' | 'rate'>): string {
  if (row.addedP50Us === undefined) return '—';
  const us = `${Math.round(row.addedP50Us).toLocaleString('en-US')} µs`;
  return row.rate === undefined ? us : `${us} (at ${row.rate}/s)`;
}

/** What each mode's table is titled. */
export const MODE_TITLE: Readonly<Record<PeerMode, string>> = {
  reverse: 'reverse proxy (HTTP upstream)',
  bridge: 'HTTP → stdio bridge (stdio upstream)',
};

/** The columns after the target's name, as the terminal and the report head them. */
export function peerColumns(peers: PeersTable): string[] {
  return [
    'version',
    'calls/s',
    'to best',
    'to ours',
    `added p50 vs ${peers.reference ?? 'reference'}`,
    'CPU/call',
    'RSS/session',
    'procs/session',
    'errors',
  ];
}

/** A row's cells after its name, formatted once for the terminal and the report. */
export function peerCells(row: PeerRow): string[] {
  const n = (v: number | null | undefined, unit: Parameters<typeof formatValue>[1]): string =>
    v === null || v === undefined ? '—' : formatValue(v, unit);
  return [
    row.version ?? '—',
    formatCalls(row),
    formatValue(row.toBest, 'ratio'),
    n(row.toOurs, 'ratio'),
    formatAdded(row),
    n(row.cpuUsPerCall, 'us'),
    formatSessionRss(row),
    row.childrenPerSession === null ? '—' : row.childrenPerSession.toFixed(2),
    formatErrors(row),
  ];
}

/** Whether some figure of the table is starred (the generator was the limit): the footnote is then due. */
export function anyGeneratorBound(peers: PeersTable): boolean {
  return peers.modes.some((m) => m.rows.some((r) => r.generatorBound));
}
