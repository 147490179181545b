/**
 * The peers table of a shootout: per mode (reverse: fronting the HTTP mock; bridge: fronting the stdio mock), one
 * row per target, ranked by closed-model calls/s, with ratios to the best of its mode and to ours, beside what it
 * costs (added p50 over the reference, CPU per call, memory and processes per session) and its errors. Read from a
 * results file, so the terminal, the report and docs/peers.md show the same figures.
 */
import type { CompletedScenario } from './schema.js';
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
