/** A comparison as a terminal table, Markdown (a PR comment, $GITHUB_STEP_SUMMARY) and JUnit XML (CI test reports). */
import { formatValue, table } from '../output/format.js';
import type { Comparison, CompareRow } from './analyse.js';

const MARK = { regressed: '✘ regressed', improved: '✔ improved', '~': '~' } as const;

function change(r: CompareRow): string {
  if (r.changePct === null) return '—';
  const sign = (v: number): string => `${v > 0 ? '+' : ''}${v.toFixed(1)}%`;
  const ci = r.ciLowPct !== null && r.ciHighPct !== null ? ` [${sign(r.ciLowPct)}, ${sign(r.ciHighPct)}]` : '';
  return `${sign(r.changePct)}${ci}`;
}

function pValue(p: number): string {
  return p < 0.001 ? p.toExponential(1) : p.toFixed(3);
}

export function headline(c: Comparison): string {
  const parts = [
    c.regressed > 0 ? `${c.regressed} metric(s) regressed` : 'no regression',
    c.improved > 0 ? `${c.improved} improved` : '',
    c.thresholdsFailed > 0 ? `${c.thresholdsFailed} threshold(s) failed` : 'all thresholds passed',
  ].filter(Boolean);
  return `${parts.join(' · ')} — ${c.samples.base} base vs ${c.samples.head} head runs, α ${c.options.alpha} (Holm–Bonferroni over ${c.tested} varying metrics), noise floor ≥ ${c.options.noiseFloorPct}%`;
}

export function renderCompareTable(c: Comparison): string {
  const out: string[] = [];
  if (c.machineMismatch)
    out.push('⚠ WARNING: base and head ran on different machines: absolute figures do not transfer; ratios may.\n');
  for (const w of c.warnings) out.push(`⚠ ${w}\n`);
  out.push(
    table(
      ['metric', 'base (median)', 'head (median)', 'change [95% CI]', 'floor', 'p (adj.)', 'verdict'],
      c.rows.map((r) => [
        `${r.scenario} ${r.metric}`,
        formatValue(r.baseMedian, r.unit),
        formatValue(r.headMedian, r.unit),
        change(r),
        `±${r.floorPct.toFixed(1)}%`,
        pValue(r.pAdjusted),
        `${MARK[r.verdict]}${r.note ? ` (${r.note})` : ''}`,
      ]),
    ),
  );
  const failed = c.thresholds.filter((t) => !t.pass);
  if (failed.length > 0) {
    out.push("\nthresholds not met (absolute: on head's median; relative: on the change):\n");
    for (const t of failed)
      out.push(
        `  ${t.goal ? '○ goal' : '✘'} ${t.scenario} ${t.threshold} (${t.value === null ? 'no value' : t.value})\n`,
      );
  }
  out.push(`\n${headline(c)}\n`);
  return out.join('');
}

export function renderCompareMarkdown(c: Comparison, title = 'mcp-perf: head vs base'): string {
  const cell = (s: string): string => s.replace(/\|/g, '\\|');
  const icon = { regressed: '🔴 regressed', improved: '🟢 improved', '~': '~' } as const;
  const lines = [`### ${title}`, '', `**${headline(c)}**`, ''];
  if (c.machineMismatch)
    lines.push('> ⚠️ Base and head ran on different machines: absolute figures do not transfer; ratios may.', '');
  for (const w of c.warnings) lines.push(`> ⚠️ ${cell(w)}`, '');
  lines.push(
    '| metric | base (median) | head (median) | change [95% CI] | floor | p (adj.) | verdict |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  );
  for (const r of c.rows) {
    lines.push(
      `| ${cell(`${r.scenario} ${r.metric}`)} | ${cell(formatValue(r.baseMedian, r.unit))} | ${cell(formatValue(r.headMedian, r.unit))} | ${cell(change(r))} | ±${r.floorPct.toFixed(1)}% | ${pValue(r.pAdjusted)} | ${icon[r.verdict]}${r.note ? ` (${cell(r.note)})` : ''} |`,
    );
  }
  const failed = c.thresholds.filter((t) => !t.pass);
  if (failed.length > 0) {
    lines.push('', '**Thresholds not met**', '');
    for (const t of failed)
      lines.push(
        `- ${t.goal ? 'goal' : '❌'} \`${t.scenario}\` \`${t.threshold}\` (${t.value === null ? 'no value' : t.value})`,
      );
  }
  lines.push(
    '',
    `<sub>Mann–Whitney U, Hodges–Lehmann change with its 95% interval, Holm–Bonferroni across metrics; a change under the noise floor (the larger of the floor asked for and the metric's own run-to-run spread) is "~" whatever its p-value. Each sample is one \`mcp-perf run\`; base and head runs alternate.</sub>`,
    '',
  );
  return lines.join('\n');
}

/** One test case per compared metric (failing when regressed) and per threshold (failing when not met; goals skip). */
export function renderCompareJUnit(c: Comparison): string {
  const x = (s: string): string =>
    s.replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch]!);
  const metricCases = c.rows.map((r) => {
    const name = `${r.scenario} ${r.metric}`;
    const detail = `base ${formatValue(r.baseMedian, r.unit)}, head ${formatValue(r.headMedian, r.unit)}, change ${change(r)}, p(adj.) ${pValue(r.pAdjusted)}`;
    return r.verdict === 'regressed'
      ? `    <testcase classname="mcp-perf.compare.${x(r.scenario)}" name="${x(name)}"><failure message="${x(`regressed: ${detail}`)}"/></testcase>`
      : `    <testcase classname="mcp-perf.compare.${x(r.scenario)}" name="${x(name)}"><system-out>${x(`${r.verdict}: ${detail}`)}</system-out></testcase>`;
  });
  const thresholdCases = c.thresholds.map((t) => {
    const open = `    <testcase classname="mcp-perf.thresholds.${x(t.scenario)}" name="${x(t.threshold)}">`;
    if (t.pass) return `${open}</testcase>`;
    if (t.goal) return `${open}<skipped message="${x(`goal not met yet (value ${String(t.value)})`)}"/></testcase>`;
    return `${open}<failure message="${x(`not met: value ${String(t.value)}`)}"/></testcase>`;
  });
  const failures = c.regressed + c.thresholdsFailed;
  const skipped = c.thresholds.filter((t) => !t.pass && t.goal).length;
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="mcp-perf compare" tests="${metricCases.length + thresholdCases.length}" failures="${failures}">
  <testsuite name="compared metrics" tests="${metricCases.length}" failures="${c.regressed}">
${metricCases.join('\n')}
  </testsuite>
  <testsuite name="thresholds" tests="${thresholdCases.length}" failures="${c.thresholdsFailed}" skipped="${skipped}">
${thresholdCases.join('\n')}
  </testsuite>
</testsuites>
`;
}
