/**
 * (results, gates, previous release) → sign-off.html: one self-contained page meant to be printed (sign-off.pdf is
 * this page printed by Chromium, reports/pdf.ts). Page one is the verdict: every gate with its source, goal, figure,
 * verdict (a word and a symbol, never colour alone) and change since the previous release. Then the comparison with
 * that release, where the time goes (flame graph and top functions), the long runs as charts, and the environment.
 */
import type { CompletedScenario, ResultsFile, Unit } from '../harness/results/schema.js';
import type { GateRow } from '../harness/release/gates.js';
import { SOURCES, signedOff } from '../harness/release/gates.js';
import { formatDelta, formatFigure as formatGate } from '../harness/output/format.js';
import { CHART_SCRIPT } from './charts.js';
import { flameGraphSvg } from './flame.js';
import { chartJs, esc, htmlHead, reportData } from './render.js';

export interface SignOffInput {
  readonly results: ResultsFile;
  readonly rows: readonly GateRow[];
  /** The release being signed off (--version), else the package's version. */
  readonly version: string;
  /** The git tag on the commit measured, when it has one. */
  readonly tag?: string;
  /** The previous release's results, when --previous named them. */
  readonly previous?: { readonly path: string; readonly results: ResultsFile };
}

/** Scenarios whose curves are the long runs' pictures, in the order they are shown. */
const LONG_RUNS = ['soak', 'sse-fanout', 'stdio-hammer', 'memory-per-session'];

const VERDICT_MARK: Readonly<Record<GateRow['verdict'], string>> = Object.freeze({
  pass: '✔ PASS',
  fail: '✘ FAIL',
  'not measured': '? NOT MEASURED',
  reported: '· reported',
});

export function signOffTitle(input: SignOffInput): string {
  return `mcp-perf ${input.version} — release sign-off`;
}

export function renderSignOff(input: SignOffInput): string {
  const { results, rows, previous } = input;
  const env = results.environment;
  const ok = signedOff(rows);
  const failed = rows.filter((r) => r.verdict === 'fail').length;
  const missing = rows.filter((r) => r.verdict === 'not measured').length;
  const verdict = ok
    ? `SIGNED OFF: all ${rows.filter((r) => r.verdict === 'pass').length} gates pass`
    : `NOT SIGNED OFF: ${[failed > 0 ? `${failed} gate(s) failed` : '', missing > 0 ? `${missing} not measured` : ''].filter(Boolean).join(', ')}`;
  const data = reportData(results);
  const profiled = results.scenarios.find(
    (s): s is CompletedScenario => s.state === 'completed' && s.cpuProfile !== undefined,
  );

  return `${htmlHead(signOffTitle(input))}
<style>
  body { max-width: 190mm; font-size: 12px; }
  h1 { font-size: 1.45rem; margin: 0 0 .2rem; } h2 { font-size: 1.15rem; margin-top: 1.6rem; border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; }
  table { border-collapse: collapse; width: 100%; margin: .4rem 0 .8rem; font-variant-numeric: tabular-nums; }
  th, td { padding: .18rem .4rem; border-bottom: 1px solid #eaeef2; text-align: left; vertical-align: top; }
  thead th { background: #f6f8fa; } td.num { text-align: right; white-space: nowrap; }
  thead { display: table-header-group; } tr, figure, .chart { break-inside: avoid; }
  .pass { color: #1a7f37; font-weight: 600; } .fail { color: #cf222e; font-weight: 700; } .nm { color: #9a6700; font-weight: 600; } .muted { color: #57606a; }
  .badge { display: inline-block; padding: .25rem .7rem; border: 2px solid currentColor; border-radius: 4px; font-weight: 700; }
  .page-one { break-after: page; } .small { font-size: 10.5px; }
  #gates { font-size: 10.5px; line-height: 1.22; } #gates th, #gates td { padding: .12rem .35rem; } #gates th[scope=row] { font-weight: 500; } #gates td.small { white-space: nowrap; } #gates caption { caption-side: bottom; text-align: left; margin-top: .3rem; font-size: 9px; line-height: 1.25; }
  .why { font-size: 9px; font-weight: 400; color: #57606a; white-space: normal; }
  .swatch { display: inline-block; width: .8em; height: .8em; vertical-align: -1px; border: 1px solid #57606a; }
  figure { margin: .5rem 0; } figcaption { font-size: 10.5px; color: #57606a; }
  .charts { display: grid; grid-template-columns: 1fr 1fr; gap: .6rem; } .chart { position: relative; height: 62mm; }
  @page { size: A4; margin: 16mm 12mm 16mm 12mm; }
  @media print { body { padding: 0; } }
</style>
</head>
<body>
<section class="page-one" aria-labelledby="verdict-title">
<h1 id="verdict-title">mcp-perf ${esc(input.version)}: release sign-off</h1>
<p class="muted">commit ${esc(env.gitCommit?.slice(0, 12) ?? 'unknown')}${env.gitDirty ? ' (uncommitted changes)' : ''} · profile <b>${esc(results.run.profile)}</b> · ${esc(results.run.startedAt)} · ${esc(env.cpuModel)} × ${env.cores}, Node ${esc(env.node)}</p>
<p><span id="verdict" class="badge ${ok ? 'pass' : 'fail'}">${esc(verdict)}</span></p>
<table id="gates">
<caption class="small muted">A release passes when every gate passes; "not measured" is not a pass.${previous === undefined ? ' No previous release was given (--previous): no change is shown.' : ''} Figures from this machine: ratios (overhead %) travel between machines, absolute figures do not. Sources: ${Object.entries(
    SOURCES,
  )
    .map(([k, v]) => `<b>${esc(k)}</b>: ${esc(v)}`)
    .join('; ')} (plans in the mcp-perf repository's context notes).</caption>
<thead><tr><th scope="col">Gate</th><th scope="col">Source</th><th scope="col">Goal</th><th scope="col">Measured</th><th scope="col">Verdict</th><th scope="col">Since ${previous === undefined ? 'previous' : esc(versionOf(previous.results))}</th></tr></thead>
<tbody>
${rows.map((r) => gateRow(r, previous !== undefined)).join('\n')}
</tbody>
</table>
</section>

<section aria-labelledby="previous-title">
<h2 id="previous-title">Against the previous release</h2>
${previousSection(input)}
</section>

<section aria-labelledby="time-title">
<h2 id="time-title">Where the time goes</h2>
${profiled?.cpuProfile === undefined ? '<p class="nm">No CPU profile: the footprint scenario did not run or was cut short.</p>' : profileSection(profiled)}
</section>

<section aria-labelledby="long-title">
<h2 id="long-title">The long runs</h2>
${longRuns(results)}
</section>

<section aria-labelledby="env-title">
<h2 id="env-title">Environment</h2>
<table>
<tbody>
${[
  ['Release', input.version],
  ['mcp-perf', results.tool.version],
  ['Git commit', `${env.gitCommit ?? 'unknown'}${env.gitDirty ? ' (uncommitted changes: --allow-dirty)' : ''}`],
  ['Git tag', input.tag ?? '(none on this commit)'],
  ['Profile', `${results.run.profile} (${results.run.scenarios.join(', ')})`],
  ['Run', `${results.run.startedAt} → ${results.run.finishedAt}`],
  ['Node', env.node],
  ['OS', `${env.platform} ${env.osRelease} (${env.arch})`],
  [
    'CPU',
    `${env.cpuModel} × ${env.cores}${env.speed ? ` · ${env.speed.cpuOpsPerMs} ops/ms, loopback ${env.speed.loopbackRttUs} µs` : ''}`,
  ],
  ['Memory', `${(env.totalMemoryBytes / 2 ** 30).toFixed(1)} GiB`],
  ['Machine fingerprint', env.machineFingerprint],
]
  .map(([k, v]) => `<tr><th scope="row">${esc(k!)}</th><td>${esc(v!)}</td></tr>`)
  .join('\n')}
</tbody>
</table>
<p class="small muted">The full report of this run, every scenario and metric, is report.html beside this file; the figures are in results.json.</p>
</section>
<script type="application/json" id="mcp-perf-data">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>
<script>${chartJs()}</script>
<script>Chart.defaults.devicePixelRatio = 2; // printed charts stay sharp (about 190 dpi at their printed size)</script>
<script>${CHART_SCRIPT}</script>
</body>
</html>
`;
}

function gateRow(r: GateRow, withPrevious: boolean): string {
  const g = r.gate;
  const cls =
    r.verdict === 'pass' ? 'pass' : r.verdict === 'fail' ? 'fail' : r.verdict === 'not measured' ? 'nm' : 'muted';
  const measured = r.value === null ? '—' : esc(formatGate(r.value, g.unit));
  // Page one must hold every gate: a long reason is cut here and whole in report.html (the scenario's error).
  const short = r.why !== undefined && r.why.length > 72 ? `${r.why.slice(0, 71)}…` : r.why;
  const why = short === undefined ? '' : `<div class="why" title="${esc(r.why ?? '')}">${esc(short)}</div>`;
  const since = !withPrevious
    ? '<span class="muted">—</span>'
    : r.previous === undefined || r.previous.value === null
      ? '<span class="muted">not in it</span>'
      : `${esc(formatDelta(r.previous.changePct))}${r.previous.verdict !== undefined ? ` <b>${esc(r.previous.verdict)}</b>` : ''}`;
  return `<tr data-gate="${esc(g.id)}"><th scope="row">${esc(g.title)}</th><td class="small">${esc(g.source)}</td><td class="num">${g.goal === undefined ? '<span class="muted">reported</span>' : esc(goalText(g.goal, g.unit))}</td><td class="num">${measured}</td><td class="${cls}">${esc(VERDICT_MARK[r.verdict])}${why}</td><td class="num small">${since}</td></tr>`;
}

function previousSection(input: SignOffInput): string {
  const { previous, rows } = input;
  if (previous === undefined)
    return '<p class="muted">No previous release was given (<code>--previous DIR|FILE</code>): nothing to compare with.</p>';
  const env = previous.results.environment;
  const sameMachine = env.machineFingerprint === input.results.environment.machineFingerprint;
  return `<p class="muted">${esc(previous.path)} · ${esc(versionOf(previous.results))} · commit ${esc(env.gitCommit?.slice(0, 12) ?? 'unknown')} · ${esc(previous.results.run.startedAt)} · profile ${esc(previous.results.run.profile)}</p>
${sameMachine ? '' : '<p class="nm">⚠ The previous release was measured on another machine: absolute figures do not transfer; ratios (overhead %) may.</p>'}
${previous.results.run.profile === input.results.run.profile ? '' : `<p class="nm">⚠ The previous release ran the ${esc(previous.results.run.profile)} profile, this one ${esc(input.results.run.profile)}: their figures are not comparable.</p>`}
<table id="previous">
<thead><tr><th scope="col">Gate</th><th scope="col">Previous</th><th scope="col">Now</th><th scope="col">Change</th><th scope="col">Judged</th></tr></thead>
<tbody>
${rows
  .map((r) => {
    const p = r.previous;
    const judged =
      p === undefined || p.value === null
        ? '—'
        : p.basis === 'trials'
          ? `${p.verdict ?? '~'} (${p.note ?? ''}; as <code>mcp-perf compare</code> judges)`
          : 'one figure each: shown, not judged';
    return `<tr><th scope="row">${esc(r.gate.title)}</th><td class="num">${esc(p?.value == null ? '—' : formatGate(p.value, r.gate.unit))}</td><td class="num">${esc(r.value === null ? '—' : formatGate(r.value, r.gate.unit))}</td><td class="num">${esc(formatDelta(p?.changePct ?? null))}</td><td class="small">${judged}</td></tr>`;
  })
  .join('\n')}
</tbody>
</table>`;
}

function profileSection(s: CompletedScenario): string {
  const profile = s.cpuProfile!;
  return `<p>${esc(profile.process)}: the proxy started with <code>node --cpu-prof</code>, samples of the load window only (start-up and shutdown left out).</p>
${flameGraphSvg(profile)}
<table id="top-functions">
<caption class="small muted" style="caption-side: top; text-align: left">Top ${profile.top.length} functions by self time (% of busy samples); total: with the function anywhere on the stack.</caption>
<thead><tr><th scope="col">#</th><th scope="col">Function</th><th scope="col">Where</th><th scope="col">Self</th><th scope="col">Self time</th><th scope="col">Total</th></tr></thead>
<tbody>
${profile.top
  .map(
    (f, i) =>
      `<tr><td class="num">${i + 1}</td><th scope="row">${esc(f.name)}</th><td class="small">${esc(f.file === '' ? '(native / VM)' : `${f.file}${f.line > 0 ? `:${f.line}` : ''}`)}${f.owner === 'ours' ? ' <b>(ours)</b>' : ''}</td><td class="num">${f.selfPct.toFixed(1)}%</td><td class="num">${f.selfMs.toFixed(1)} ms</td><td class="num">${f.totalPct.toFixed(1)}%</td></tr>`,
  )
  .join('\n')}
</tbody>
</table>`;
}

function longRuns(results: ResultsFile): string {
  const blocks = LONG_RUNS.map((name) => {
    const index = results.scenarios.findIndex((s) => s.name === name);
    const s = results.scenarios[index];
    if (s === undefined) return `<h3>${esc(name)}</h3><p class="nm">Not run.</p>`;
    if (s.state !== 'completed') return `<h3>${esc(name)}</h3><p class="fail">Failed: ${esc(s.error)}</p>`;
    const series = Object.values(s.series ?? {});
    // Delivery latency (fan-out) is a distribution, drawn as the report draws it: by percentile.
    const spectrum = Object.values(s.targets).some((t) => t.latency?.model === 'delivery')
      ? `<div class="chart"><canvas id="spectrum-${index}" role="img" aria-label="${esc(`${name}: delivery latency by percentile`)}"></canvas></div>`
      : '';
    if (series.length === 0 && spectrum === '') return `<h3>${esc(name)}</h3><p class="muted">No curves recorded.</p>`;
    return `<h3>${esc(name)}</h3>
<p class="small muted">${esc(s.description)}</p>
<div class="charts">
${spectrum}${series.map((x, k) => `<div class="chart"><canvas id="series-${index}-${k}" role="img" aria-label="${esc(`${name}: ${x.title} (${x.y.label} against ${x.x.label})`)}"></canvas></div>`).join('\n')}
</div>`;
  });
  return blocks.join('\n');
}

function versionOf(results: ResultsFile): string {
  return `mcp-perf ${results.tool.version}`;
}

function goalText(goal: { op: string; value: number }, unit: Unit): string {
  const op = goal.op === '>=' ? '≥' : goal.op === '<=' ? '≤' : goal.op;
  return `${op} ${formatGate(goal.value, unit)}`;
}
