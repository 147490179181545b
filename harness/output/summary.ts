/** The terminal summary of a run: per-target latency and throughput, then the baseline diff with verdicts. */
import type { BaselineComparison, ResultsFile } from '../results/schema.js';
import { formatDelta, formatValue, table } from './format.js';
import {
  anyGeneratorBound,
  GENERATOR_BOUND_NOTE,
  MODE_TITLE,
  peerCells,
  peerColumns,
  peersTable,
  type PeersTable,
} from '../results/peers.js';

const VERDICT_MARK = {
  pass: '✔ pass',
  fail: '✘ FAIL',
  miss: '○ goal missed',
  info: '',
  'no-baseline': '? no baseline',
  inconclusive: '~ inconclusive',
} as const;

/** The peers table as text: one block per mode, best first. */
export function renderPeers(peers: PeersTable): string {
  const out: string[] = [];
  for (const { mode, rows } of peers.modes) {
    out.push(`\npeers, ${MODE_TITLE[mode]}, best first:\n`);
    out.push(
      table(
        ['target', ...peerColumns(peers)],
        rows.map((r) => [r.ours ? `${r.name} (ours)` : r.name, ...peerCells(r)]),
      ),
    );
  }
  if (anyGeneratorBound(peers)) out.push(`${GENERATOR_BOUND_NOTE}\n`);
  if (peers.skipped.length > 0) out.push(`not installed here, skipped: ${peers.skipped.join(', ')}\n`);
  return out.join('');
}

export function renderSummary(results: ResultsFile): string {
  const out: string[] = [];
  for (const s of results.scenarios) {
    if (s.state === 'failed') {
      out.push(`${s.name}: FAILED — ${s.error}\n`);
      continue;
    }
    out.push(`\n${s.name} (${s.profile}${s.partial ? ', PARTIAL: interrupted' : ''}): ${s.description}\n`);
    if (Object.keys(s.targets).length === 0) {
      out.push(
        table(
          ['metric', 'value'],
          Object.entries(s.metrics).map(([k, m]) => [k, formatValue(m.value, m.unit)]),
        ),
      );
      for (const w of s.warnings) out.push(`⚠ ${w}\n`);
      continue;
    }
    const us = (v: number): string => formatValue(v, 'us');
    out.push(
      table(
        ['target', 'timed', 'p50', 'p90', 'p99', 'p99.9', 'max', 'throughput', 'errors', 'CPU/req'],
        Object.entries(s.targets).map(([name, t]) => [
          name,
          t.latency?.model ?? '—',
          ...(['p50_us', 'p90_us', 'p99_us', 'p99.9_us', 'max_us'] as const).map((k) =>
            t.latency === undefined ? '—' : us(t.latency.summary[k]),
          ),
          formatValue(t.throughputRps, 'rps'),
          String(Object.values(t.errors).reduce((a, b) => a + b, 0)),
          t.cpuUsPerRequest.closed === null ? '—' : us(t.cpuUsPerRequest.closed),
        ]),
      ),
    );
    const added = Object.keys(s.targets).filter((t) => s.metrics[`${t}.added.p50_us`] !== undefined);
    if (added.length > 0) {
      out.push('\nadded latency vs direct:\n');
      out.push(
        table(
          ['target', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'throughput ratio'],
          added.map((t) => [
            t,
            ...(['p50', 'p90', 'p95', 'p99', 'p99.9'] as const).map(
              (p) =>
                `${formatValue(s.metrics[`${t}.added.${p}_us`]!.value, 'us')} (${formatValue(s.metrics[`${t}.overhead_pct.${p}`]!.value, 'pct')})`,
            ),
            // Absent in a scenario cut short before its throughput trials.
            s.metrics[`${t}.throughput_ratio`] === undefined
              ? '—'
              : formatValue(s.metrics[`${t}.throughput_ratio`]!.value, 'ratio'),
          ]),
        ),
      );
    }
    const peers = peersTable(s);
    if (peers !== undefined) out.push(renderPeers(peers));
    // Scenarios other than comparisons carry figures of their own beyond per-target latency.
    else if (s.kind !== 'comparison')
      out.push(
        table(
          ['metric', 'value'],
          Object.entries(s.metrics).map(([k, m]) => [k, formatValue(m.value, m.unit)]),
        ),
      );
    for (const w of s.warnings) out.push(`⚠ ${w}\n`);
  }
  return out.join('');
}

/** Rows with thresholds, plus a few headline figures; everything else is in results.json and the report. */
const HEADLINE = /\.(latency\.(p50|p99)_us|throughput_rps|throughput_vs_relay|cpu_us_per_req)$/;

export function renderDiff(diff: BaselineComparison): string {
  if (diff.unavailable !== undefined) return `\nbaseline: ${diff.unavailable}\n`;
  const from = [diff.baselineCommit ? `commit ${diff.baselineCommit.slice(0, 10)}` : '', diff.baselineStartedAt ?? '']
    .filter(Boolean)
    .join(', ');
  const out: string[] = [
    diff.baselineStartedAt === null
      ? '\nthresholds (no baseline to compare with):\n'
      : `\nagainst baseline ${diff.baselinePath}${from ? ` (${from})` : ''}\n`,
  ];
  if (diff.machineMismatch) {
    out.push(
      '⚠ WARNING: the baseline was measured on a different machine (CPU, cores, memory, OS or Node differ).\n  Absolute figures do not transfer between machines; ratios such as overhead % may.\n',
    );
  }
  const rows = diff.rows.filter(
    (r) => r.thresholds.length > 0 || r.goals.length > 0 || r.verdict === 'fail' || HEADLINE.test(r.metric),
  );
  out.push(
    table(
      ['metric', 'baseline', 'now', 'delta', 'verdict', 'threshold'],
      rows.map((r) => [
        `${r.scenario} ${r.metric}`,
        formatValue(r.baseline, r.unit),
        formatValue(r.now, r.unit),
        formatDelta(r.deltaPct),
        VERDICT_MARK[r.verdict],
        [
          ...r.thresholds,
          ...r.goals.map((g) => `goal: ${g}`),
          // Why a gate failed or was not judged, beside the gate itself.
          ...(r.note !== undefined && r.thresholds.length > 0 && (r.verdict === 'fail' || r.verdict === 'inconclusive')
            ? [`(${r.note})`]
            : []),
          // How a goal fared round by round, where the rounds disagreed.
          ...(r.note !== undefined && r.thresholds.length === 0 && r.goals.length > 0 ? [`(${r.note})`] : []),
        ].join('; ') ||
          (r.note ?? ''),
      ]),
    ),
  );
  if (diff.testbed !== undefined && diff.baselineStartedAt !== null) out.push(`testbed: ${diff.testbed}\n`);
  out.push(
    diff.failed === 0 ? 'all thresholds passed' : `${diff.failed} threshold${diff.failed === 1 ? '' : 's'} FAILED`,
  );
  const unsure = diff.inconclusive ?? 0;
  if (unsure > 0)
    out.push(
      `; ${unsure} inconclusive (crossed within the run's noise or on a busy machine: not failing; \`mcp-perf compare\` decides)`,
    );
  out.push(
    diff.missed > 0 ? `; ${diff.missed} goal${diff.missed === 1 ? '' : 's'} not met yet (shown, not gating)\n` : '\n',
  );
  return out.join('');
}
