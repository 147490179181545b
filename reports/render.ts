/**
 * (results, baseline diff) → one self-contained HTML file: chart.js is inlined, the data is embedded, and a
 * Content-Security-Policy forbids any network fetch, so the report opens the same from file://, an artifact store or
 * an e-mail attachment. Everything shown is computed from the results file alone.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { decodeHistogram, percentileSpectrum } from '../core/measure/histogram.js';
import { formatDelta, formatValue } from '../harness/output/format.js';
import type { CompletedScenario, ResultsFile } from '../harness/results/schema.js';
import {
  anyGeneratorBound,
  GENERATOR_BOUND_NOTE,
  MODE_TITLE,
  peerCells,
  peerColumns,
  peersTable,
} from '../harness/results/peers.js';
import { CHART_SCRIPT, type ReportData } from './charts.js';

let chartJsSource: string | undefined;
export function chartJs(): string {
  // chart.js does not export its UMD build; it sits beside the CommonJS entry.
  chartJsSource ??= readFileSync(
    join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js'),
    'utf8',
  );
  return chartJsSource;
}

export async function writeReport(results: ResultsFile, path: string): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, renderReport(results));
  return path;
}

export function renderReport(results: ResultsFile): string {
  const data = reportData(results);
  const diff = results.baseline;
  const verdict =
    diff === null
      ? 'no baseline diff'
      : `${diff.failed === 0 ? 'all thresholds passed' : `${diff.failed} threshold(s) failed`}${(diff.inconclusive ?? 0) > 0 ? ` · ${diff.inconclusive} inconclusive` : ''}${diff.missed > 0 ? ` · ${diff.missed} goal(s) not met yet` : ''}`;
  const env = results.environment;

  return `${htmlHead(`mcp-perf report — ${results.run.profile} — ${results.run.startedAt}`)}
<style>
  h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #d0d7de; padding-bottom: .3rem; }
  table { border-collapse: collapse; margin: .6rem 0 1rem; font-variant-numeric: tabular-nums; }
  th, td { padding: .25rem .7rem; border-bottom: 1px solid #eaeef2; text-align: right; } th { background: #f6f8fa; }
  th:first-child, td:first-child, #baseline-diff td:last-child, #baseline-diff th:last-child { text-align: left; }
  .miss { color: #9a6700; } .pass { color: #1a7f37; } .fail { color: #cf222e; font-weight: 600; } .muted { color: #656d76; }
  .verdict { display: inline-block; padding: .2rem .6rem; border-radius: 1rem; background: #f6f8fa; }
  .warn { background: #fff8c5; border: 1px solid #d4a72c; padding: .5rem .8rem; border-radius: 6px; }
  .charts { display: grid; grid-template-columns: 2fr 1fr; gap: 1rem; } .series { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; margin-top: 1rem; } .chart { position: relative; height: 340px; }
</style>
</head>
<body>
<h1>mcp-perf report</h1>
<p class="muted">run ${esc(results.run.id)} · profile <b>${esc(results.run.profile)}</b> · ${esc(results.run.startedAt)} · mcp-perf ${esc(results.tool.version)}
 · commit ${esc(env.gitCommit?.slice(0, 10) ?? 'unknown')}${env.gitDirty ? ' (dirty)' : ''}</p>
<p><span class="verdict ${diff !== null && diff.failed > 0 ? 'fail' : 'pass'}">${esc(verdict)}</span></p>
${results.scenarios.map((s, i) => (s.state === 'completed' ? scenarioSection(s, i) : `<h2>${esc(s.name)}</h2><p class="fail">failed: ${esc(s.error)}</p>`)).join('\n')}
${diffSection(results)}
<h2>Environment</h2>
<table>
${[
  ['Node', env.node],
  ['OS', `${env.platform} ${env.osRelease} (${env.arch})`],
  ['CPU', `${env.cpuModel} × ${env.cores}`],
  ['Memory', `${(env.totalMemoryBytes / 2 ** 30).toFixed(1)} GiB`],
  ['Git commit', `${env.gitCommit ?? 'unknown'}${env.gitDirty ? ' (uncommitted changes)' : ''}`],
  ['Machine fingerprint', env.machineFingerprint],
]
  .map(([k, v]) => `<tr><td>${esc(k!)}</td><td>${esc(v!)}</td></tr>`)
  .join('\n')}
</table>
<script type="application/json" id="mcp-perf-data">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>
<script>${chartJs()}</script>
<script>${CHART_SCRIPT}</script>
</body>
</html>
`;
}

/** What the chart script draws, from the results alone: entry i is the i-th scenario (canvas ids carry i). */
export function reportData(results: ResultsFile): ReportData {
  return {
    // Entry i belongs to the i-th scenario section (canvas ids carry i); a failed scenario has no entry to draw.
    scenarios: results.scenarios.map((s) =>
      s.state !== 'completed'
        ? null
        : {
            name: s.name,
            targets: Object.entries(s.targets).map(([name, t]) => ({
              name,
              model: t.latency?.model ?? null,
              spectrum: t.latency === undefined ? [] : percentileSpectrum(decodeHistogram(t.latency.histogram)),
              throughputRps: t.throughputRps,
              trialRates: s.trials
                .filter((tr) => tr.phase === 'throughput' && tr.target === name)
                .map((tr) => tr.achieved.rate),
              trialP50: s.trials.filter((tr) => tr.phase === 'latency' && tr.target === name).map((tr) => tr.p50_us),
            })),
            series: Object.values(s.series ?? {}),
          },
    ),
  };
}

function scenarioSection(s: CompletedScenario, index: number): string {
  if (Object.keys(s.targets).length === 0) {
    // Metrics (and curves, when the scenario has them), no per-target latency.
    return `<h2>${esc(s.name)}${s.partial ? ' <span class="warn">(partial: interrupted)</span>' : ''}</h2>
<p>${esc(s.description)}</p>
${s.warnings.map((w) => `<p class="warn">⚠ ${esc(w)}</p>`).join('\n')}
${metricsTable(s)}
${seriesCharts(s, index)}`;
  }
  const us = (v: number): string => esc(formatValue(v, 'us'));
  const rows = Object.entries(s.targets)
    .map(([name, t]) => {
      const l = t.latency?.summary;
      const errors = Object.values(t.errors).reduce((a, b) => a + b, 0);
      const cell = (v: number | undefined): string => `<td>${v === undefined ? '—' : us(v)}</td>`;
      return `<tr><td>${esc(name)}</td><td>${esc(t.latency?.model ?? '—')}</td>${cell(l?.p50_us)}${cell(l?.p90_us)}${cell(l?.p99_us)}${cell(l?.['p99.9_us'])}${cell(l?.max_us)}<td>${l?.count ?? 0}</td><td>${esc(formatValue(t.throughputRps, 'rps'))}</td><td class="${errors > 0 ? 'fail' : ''}">${errors}</td><td>${t.cpuUsPerRequest.closed === null ? '—' : us(t.cpuUsPerRequest.closed)}</td></tr>`;
    })
    .join('\n');
  const added = Object.keys(s.targets).filter((t) => s.metrics[`${t}.added.p50_us`] !== undefined);
  const addedRows = added
    .map(
      (t) =>
        `<tr><td>${esc(t)}</td>${(['p50', 'p90', 'p95', 'p99', 'p99.9'] as const).map((p) => `<td>${us(s.metrics[`${t}.added.${p}_us`]!.value)} <span class="muted">(${esc(formatValue(s.metrics[`${t}.overhead_pct.${p}`]!.value, 'pct'))})</span></td>`).join('')}<td>${s.metrics[`${t}.throughput_ratio`] === undefined ? '—' : esc(formatValue(s.metrics[`${t}.throughput_ratio`]!.value, 'ratio'))}</td></tr>`,
    )
    .join('\n');
  const settings = s.settings as {
    rate?: number;
    trials?: number;
    latencyTrialMs?: number;
    throughputConcurrency?: number;
  };
  const asked = s.metrics['load.achieved_rate'];
  return `<h2>${esc(s.name)}${s.partial ? ' <span class="warn">(partial: interrupted)</span>' : ''}</h2>
<p>${esc(s.description)}</p>
${
  // The load line describes a comparison's trials; other kinds say how they load in their description and table.
  s.kind === 'comparison' || s.kind === 'shootout'
    ? `<p class="muted">open model at ${settings.rate ?? '?'} req/s asked, ${asked ? esc(formatValue(asked.value, 'rps')) : '?'} achieved (median trial) ·
${settings.trials ?? '?'} interleaved trials of ${((settings.latencyTrialMs ?? 0) / 1000).toFixed(1)} s per target after warm-up ·
throughput: closed model, ${settings.throughputConcurrency ?? '?'} clients, mock latency 0 · latency timed from the intended send time</p>`
    : ''
}
${s.warnings.map((w) => `<p class="warn">⚠ ${esc(w)}</p>`).join('\n')}
<table>
<tr><th>target</th><th>timed</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th><th>samples</th><th>throughput</th><th>errors</th><th>CPU / request</th></tr>
${rows}
</table>
${added.length > 0 ? `<table><tr><th>added vs ${esc(Object.keys(s.targets)[0] ?? '')}</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>p99.9</th><th>throughput ratio</th></tr>\n${addedRows}\n</table>` : ''}
${peersSection(s)}
${s.kind !== 'comparison' && s.kind !== 'shootout' ? metricsTable(s) : ''}
<div class="charts">
  <div class="chart"><canvas id="spectrum-${index}" aria-label="latency percentile spectrum"></canvas></div>
  <div class="chart"><canvas id="throughput-${index}" aria-label="throughput per target"></canvas></div>
</div>
${seriesCharts(s, index)}`;
}

/** A shootout's peers table: per mode, best first, with the command that reproduces it and each version. */
function peersSection(s: CompletedScenario): string {
  const peers = peersTable(s);
  if (peers === undefined) return '';
  const head = ['target', ...peerColumns(peers)].map((c) => `<th scope="col">${esc(c)}</th>`).join('');
  const blocks = peers.modes.map(
    ({ mode, rows }) => `<table class="peers">
<caption>${esc(MODE_TITLE[mode].replace(/^./, (c) => c.toUpperCase()))}, best first</caption>
<tr>${head}</tr>
${rows
  .map((r) => {
    const cells = peerCells(r).map((c, k, all) =>
      k === all.length - 1 && r.errors > 0 ? `<td class="fail">${esc(c)} ✘</td>` : `<td>${esc(c)}</td>`,
    );
    return `<tr><th scope="row">${esc(r.name)}${r.ours ? ' <span class="muted">(ours)</span>' : ''}</th>${cells.join('')}</tr>`;
  })
  .join('\n')}
</table>`,
  );
  return `<h3>Peers</h3>
<p class="muted">Reproduce: <code>npx mcp-perf run ${esc(s.name)} --profile ${esc(s.profile)}</code>. Calls/s: closed model at saturation (mock latency 0); added p50: open model at the profile's rate; RSS and processes per session: the target's whole process tree before and after its sessions opened (stdio children included, no GC forced).${peers.skipped.length > 0 ? ` Not installed here, skipped: ${esc(peers.skipped.join(', '))}.` : ''}</p>
${blocks.join('\n')}
${anyGeneratorBound(peers) ? `<p class="muted">${esc(GENERATOR_BOUND_NOTE)}</p>` : ''}`;
}

function metricsTable(s: CompletedScenario): string {
  return `<table class="metrics"><tr><th>metric</th><th>value</th></tr>
${Object.entries(s.metrics)
  .map(([k, m]) => `<tr><td>${esc(k)}</td><td>${esc(formatValue(m.value, m.unit))}</td></tr>`)
  .join('\n')}
</table>`;
}

/** One canvas per series, in the order the chart data lists them. */
function seriesCharts(s: CompletedScenario, index: number): string {
  const series = Object.values(s.series ?? {});
  if (series.length === 0) return '';
  return `<div class="series">\n${series.map((x, k) => `  <div class="chart"><canvas id="series-${index}-${k}" aria-label="${esc(x.title)}"></canvas></div>`).join('\n')}\n</div>`;
}

function diffSection(results: ResultsFile): string {
  const diff = results.baseline;
  if (diff === null) return '<h2>Baseline</h2><p class="muted">This run was not diffed against a baseline.</p>';
  const head = `<h2>Against the baseline</h2>
<p class="muted">${esc(diff.baselinePath)}${diff.baselineCommit ? ` · commit ${esc(diff.baselineCommit.slice(0, 10))}` : ''}${diff.baselineStartedAt ? ` · ${esc(diff.baselineStartedAt)}` : ''}</p>
${diff.unavailable !== undefined ? `<p class="warn">${esc(diff.unavailable)}</p>` : diff.testbed !== undefined ? `<p class="muted">testbed: ${esc(diff.testbed)}</p>` : ''}
${diff.machineMismatch ? '<p class="warn">⚠ The baseline was measured on a different machine: absolute figures do not transfer; ratios such as overhead % may.</p>' : ''}`;
  const rows = diff.rows
    .map((r) => {
      const cls =
        r.verdict === 'fail'
          ? 'fail'
          : r.verdict === 'pass'
            ? 'pass'
            : r.verdict === 'miss' || r.verdict === 'inconclusive'
              ? 'miss'
              : 'muted';
      return `<tr><td>${esc(r.scenario)} ${esc(r.metric)}</td><td>${esc(formatValue(r.baseline, r.unit))}</td><td>${esc(formatValue(r.now, r.unit))}</td><td>${esc(formatDelta(r.deltaPct))}</td><td class="${cls}">${esc(r.verdict === 'info' ? '' : r.verdict)}</td><td class="muted">${esc([...r.thresholds, ...r.goals.map((g) => `goal: ${g}`), ...(r.note !== undefined && r.thresholds.length > 0 && (r.verdict === 'inconclusive' || r.verdict === 'fail') ? [r.note] : []), ...(r.note !== undefined && r.thresholds.length === 0 && r.goals.length > 0 ? [`(${r.note})`] : [])].join('; ') || r.note || '')}</td></tr>`;
    })
    .join('\n');
  return `${head}
<table id="baseline-diff"><tr><th>metric</th><th>baseline</th><th>now</th><th>delta</th><th>verdict</th><th>threshold</th></tr>
${rows}
</table>`;
}

/**
 * The opening of every page we write: a Content-Security-Policy that forbids any network fetch (the page must open
 * the same from file://, an artifact store or an attachment), and the base style; the page adds its own.
 */
export function htmlHead(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1.5rem; color: #1b1f24; }
</style>`;
}

export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
