/**
 * The nightly view: each gated metric over the runs of a history directory, oldest first, as one self-contained HTML
 * page (chart.js inlined, no network). Each point is a run (labelled by commit and date) with its noise band — the
 * range of its trials where trials measured the metric, else the series' own median ± 2 MAD — and marked where the
 * run's verdict failed or where `mcp-perf compare` found a change at that commit.
 */
import { formatValue } from '../harness/output/format.js';
import { trialValues } from '../harness/baseline/diff.js';
import type { CompletedScenario, ResultsFile, Unit } from '../harness/results/schema.js';
import { chartJs, esc, htmlHead } from './render.js';

/** A change `mcp-perf compare` found: at head commit `commit`, this metric moved. */
export interface CompareFinding {
  readonly commit: string;
  readonly scenario: string;
  readonly metric: string;
  readonly verdict: string;
  readonly changePct: number | null;
}

export interface TrendPoint {
  readonly label: string;
  readonly value: number;
  readonly lo: number | null;
  readonly hi: number | null;
  /** Why the point is marked: the run's verdict failed, or compare found a change at its commit. */
  readonly mark: string | null;
}

export interface TrendSeries {
  readonly id: string;
  readonly scenario: string;
  readonly metric: string;
  readonly unit: Unit;
  readonly thresholds: readonly string[];
  readonly points: readonly TrendPoint[];
  /** The series' own noise band, where no point has trials: median ± 2 MAD. */
  readonly band: { readonly lo: number; readonly hi: number } | null;
}

export function trendSeries(runs: readonly ResultsFile[], findings: readonly CompareFinding[]): TrendSeries[] {
  const sorted = [...runs].sort((a, b) => a.run.startedAt.localeCompare(b.run.startedAt));
  // Gated metrics: every metric a threshold or a goal names, in any run (a smoke run shows its thresholds as goals).
  const gated = new Map<string, { scenario: string; metric: string; thresholds: Set<string> }>();
  for (const r of sorted)
    for (const s of r.scenarios)
      for (const t of [...s.thresholds, ...s.goals.map((g) => `goal: ${g}`)]) {
        const metric = t
          .replace(/^goal: /, '')
          .trim()
          .split(/\s+/)[0]!;
        const id = `${s.name} ${metric}`;
        if (!gated.has(id)) gated.set(id, { scenario: s.name, metric, thresholds: new Set() });
        gated.get(id)!.thresholds.add(t);
      }
  const out: TrendSeries[] = [];
  for (const [id, g] of gated) {
    const points: TrendPoint[] = [];
    let unit: Unit = 'count';
    for (const r of sorted) {
      const s = r.scenarios.find((x) => x.name === g.scenario);
      const m = s?.state === 'completed' ? s.metrics[g.metric] : undefined;
      if (s === undefined || s.state !== 'completed' || m === undefined) continue;
      unit = m.unit;
      const trials = trialValues(s as CompletedScenario, g.metric);
      const commit = r.environment.gitCommit?.slice(0, 8) ?? 'unknown';
      const failed = r.baseline?.rows.some(
        (row) => row.scenario === g.scenario && row.metric === g.metric && row.verdict === 'fail',
      );
      const found = findings.find(
        (f) => f.scenario === g.scenario && f.metric === g.metric && r.environment.gitCommit?.startsWith(f.commit),
      );
      points.push({
        label: `${commit}${r.environment.gitDirty ? '+' : ''} ${r.run.startedAt.slice(5, 16).replace('T', ' ')}`,
        value: m.value,
        lo: trials === undefined ? null : Math.min(...trials),
        hi: trials === undefined ? null : Math.max(...trials),
        mark: failed
          ? 'threshold failed'
          : found !== undefined
            ? `compare: ${found.verdict}${found.changePct === null ? '' : ` ${found.changePct.toFixed(1)}%`}`
            : null,
      });
    }
    if (points.length === 0) continue;
    const band = points.some((p) => p.lo !== null) ? null : madBand(points.map((p) => p.value));
    out.push({ id, scenario: g.scenario, metric: g.metric, unit, thresholds: [...g.thresholds], points, band });
  }
  return out;
}

function madBand(values: readonly number[]): { lo: number; hi: number } {
  const median = (xs: readonly number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    const mid = s.length >> 1;
    return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  };
  const m = median(values);
  const mad = median(values.map((v) => Math.abs(v - m)));
  return { lo: m - 2 * mad, hi: m + 2 * mad };
}

export function renderTrend(runs: readonly ResultsFile[], findings: readonly CompareFinding[]): string {
  const series = trendSeries(runs, findings);
  const first = runs.map((r) => r.run.startedAt).sort()[0] ?? '';
  const last =
    runs
      .map((r) => r.run.startedAt)
      .sort()
      .at(-1) ?? '';
  return `${htmlHead(`mcp-perf trend — ${runs.length} runs`)}
<style>
  h1 { font-size: 1.5rem; } .muted { color: #656d76; } .grid { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
  .chart { position: relative; height: 300px; } table { border-collapse: collapse; } td, th { padding: .2rem .6rem; border-bottom: 1px solid #eaeef2; text-align: left; }
</style>
</head>
<body>
<h1>mcp-perf trend</h1>
<p class="muted">${runs.length} runs from ${esc(first)} to ${esc(last)} · ${series.length} gated metrics · the band is each run's spread of trials where trials measured the metric, else the series' median ± 2 MAD; red points failed a threshold, orange ones are where <code>mcp-perf compare</code> found a change</p>
${findings.length === 0 ? '' : `<h2>Changes found by compare</h2><table><tr><th>commit</th><th>metric</th><th>verdict</th><th>change</th></tr>${findings.map((f) => `<tr><td>${esc(f.commit.slice(0, 10))}</td><td>${esc(`${f.scenario} ${f.metric}`)}</td><td>${esc(f.verdict)}</td><td>${f.changePct === null ? '—' : esc(f.changePct.toFixed(1))}%</td></tr>`).join('')}</table>`}
<div class="grid">
${series.map((s, i) => `<figure><div class="chart"><canvas id="trend-${i}" role="img" aria-label="${esc(`${s.id} over ${s.points.length} runs; last ${formatValue(s.points.at(-1)!.value, s.unit)}`)}"></canvas></div><figcaption class="muted">${esc(s.thresholds.join('; '))}</figcaption></figure>`).join('\n')}
</div>
<script type="application/json" id="trend-data">${JSON.stringify(series).replace(/</g, '\\u003c')}</script>
<script>${chartJs()}</script>
<script>${TREND_SCRIPT}</script>
</body>
</html>
`;
}

const TREND_SCRIPT = String.raw`
(function () {
  'use strict';
  var series = JSON.parse(document.getElementById('trend-data').textContent);
  Chart.defaults.animation = false;
  Chart.defaults.responsive = true;
  Chart.defaults.maintainAspectRatio = false;
  series.forEach(function (s, i) {
    var labels = s.points.map(function (p) { return p.label; });
    var lo = s.points.map(function (p) { return p.lo !== null ? p.lo : s.band ? s.band.lo : null; });
    var hi = s.points.map(function (p) { return p.hi !== null ? p.hi : s.band ? s.band.hi : null; });
    new Chart(document.getElementById('trend-' + i), {
      type: 'line',
      data: {
        labels: labels,
        datasets: [
          { label: 'noise band (high)', data: hi, borderColor: 'transparent', pointRadius: 0, fill: false },
          { label: 'noise band', data: lo, borderColor: 'transparent', pointRadius: 0, backgroundColor: '#0969da22', fill: '-1' },
          {
            label: s.metric + ' (' + s.unit + ')',
            data: s.points.map(function (p) { return p.value; }),
            borderColor: '#0969da',
            pointRadius: s.points.map(function (p) { return p.mark ? 6 : 3; }),
            pointBackgroundColor: s.points.map(function (p) {
              return p.mark === null ? '#0969da' : p.mark.indexOf('threshold') === 0 ? '#cf222e' : '#bc4c00';
            })
          }
        ]
      },
      options: {
        plugins: {
          title: { display: true, text: s.scenario + ' ' + s.metric },
          legend: { labels: { filter: function (item) { return item.text !== 'noise band (high)'; } } },
          tooltip: { callbacks: { afterLabel: function (item) { var p = s.points[item.dataIndex]; return item.datasetIndex === 2 && p.mark ? p.mark : ''; } } }
        },
        scales: { y: { title: { display: true, text: s.unit } } }
      }
    });
  });
})();
`;
