/**
 * The pages opened the way a person opens them: a file:// URL in real Chromium (Debian's, through playwright-core),
 * with no network. One smoke release (`mcp-perf release --profile smoke`: every scenario the sign-off reads, which is
 * every chart kind the report draws) feeds them all: report.html must have drawn every chart, trend.html its
 * history, and sign-off.pdf must be an A4 document whose page one holds every gate — one of them failed on purpose.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { readResults } from '../../harness/results/io.js';
import { GATES } from '../../harness/release/gates.js';
import { runCli, type CliResult } from '../helpers/cli.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let dir: string;
let browser: Browser;
let release: CliResult;

before(async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH`,
  );
  dir = await mkdtemp(join(tmpdir(), 'mcp-perf-report-'));
  // The release scenarios draw every kind of chart the report has (stdio-bridge and stress-and-faults draw the same
  // kinds as direct-vs-proxied and soak). 3 ms added to every POST fails the p95 overhead gate on any machine.
  release = await runCli(
    ['release', '--profile', 'smoke', '--allow-dirty', '--proxy-args=--inject-latency-ms 3', '--out', dir],
    { timeoutMs: 240_000, env: { CHROMIUM_PATH: CHROMIUM } },
  );
  assert.equal(release.code, 99, `a failed gate exits 99\n${release.stdout.slice(-2000)}\n${release.stderr}`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});
after(async () => {
  await browser?.close();
  await rm(dir, { recursive: true, force: true });
});

/** A page that records console errors and warnings, and every request that is not for a local file. */
async function watchedPage(): Promise<{ page: Page; problems: string[]; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 1600 } });
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) requests.push(r.url());
  });
  return { page, problems, requests };
}

test('report.html opens from file:// with charts drawn, tables filled and no errors or requests', async () => {
  const { page, problems, requests } = await watchedPage();
  await page.goto(pathToFileURL(join(dir, 'report.html')).href, { waitUntil: 'load' });

  // These callbacks run in the page; the Node typings have no DOM, so the little they touch is typed here.
  type Canvas = {
    id: string;
    width: number;
    height: number;
    getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
  };
  const canvases = await page.evaluate(() =>
    [
      ...(
        globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<Canvas> } }
      ).document.querySelectorAll('canvas'),
    ].map((c) => {
      const ctx = c.getContext('2d');
      const { data } = ctx.getImageData(0, 0, c.width, c.height);
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
      return { id: c.id, width: c.width, height: c.height, painted };
    }),
  );
  // Per scenario: the spectrum and throughput charts when it has targets, then one chart per series, in order.
  const results = await readResults(join(dir, 'results.json'));
  const expected = results.scenarios.flatMap((sc, i) => {
    if (sc.state !== 'completed') return [];
    const perTarget = Object.keys(sc.targets).length > 0 ? [`spectrum-${i}`, `throughput-${i}`] : [];
    return [...perTarget, ...Object.keys(sc.series ?? {}).map((_, k) => `series-${i}-${k}`)];
  });
  assert.ok(
    expected.some((id) => id.startsWith('series-')),
    'the smoke run has series to draw',
  );
  assert.deepEqual(
    canvases.map((c) => c.id),
    expected,
  );
  for (const c of canvases) {
    assert.ok(c.width > 100 && c.height > 100, `${c.id} has a size`);
    assert.ok(c.painted > 2_000, `${c.id} is blank (${c.painted} painted pixels)`);
  }
  // One line per target in the spectrum, labelled with how its latency was timed; one bar per target in the
  // throughput chart.
  for (const [name, targets] of [
    ['direct-vs-proxied', ['direct (open)', 'proxied (open)', 'relay (open)']],
    ['stdio-hammer', ['forward-w1 (closed)', 'forward-w16 (closed)', 'direct-w16 (closed)', 'bridge-c4 (closed)']],
    [
      'sse-fanout',
      ['direct (delivery)', 'proxied (delivery)', 'direct-broadcast (delivery)', 'proxied-broadcast (delivery)'],
    ],
  ] as const) {
    const index = results.scenarios.findIndex((sc) => sc.name === name);
    const datasets = await page.evaluate((i) => {
      const charts = (
        globalThis as unknown as {
          Chart: { getChart(id: string): { data: { datasets: Array<{ label: string; data: unknown[] }> } } };
        }
      ).Chart;
      return {
        spectrum: charts.getChart(`spectrum-${i}`)!.data.datasets.map((d) => [d.label, d.data.length] as const),
        throughput: charts.getChart(`throughput-${i}`)!.data.datasets[0]!.data.length,
      };
    }, index);
    assert.deepEqual(
      datasets.spectrum.map(([label]) => label),
      [...targets],
    );
    for (const [label, points] of datasets.spectrum) assert.ok(points > 5, `${label} spectrum has ${points} points`);
    assert.equal(datasets.throughput, targets.length);
  }
  // Memory against sessions: RSS, heap, after-close and second-wave points, plus the fitted line.
  const memoryIndex = results.scenarios.findIndex((sc) => sc.name === 'memory-per-session');
  const memoryLabels = await page.evaluate((i) => {
    const charts = (
      globalThis as unknown as { Chart: { getChart(id: string): { data: { datasets: Array<{ label: string }> } } } }
    ).Chart;
    return charts.getChart(`series-${i}-0`)!.data.datasets.map((d) => d.label);
  }, memoryIndex);
  assert.equal(memoryLabels.length, 5);
  assert.match(memoryLabels[4]!, /^fit: -?\d+ bytes\/session$/);

  const summaryRows = await page.locator('h2:has-text("direct-vs-proxied") ~ table').first().locator('tr').count();
  assert.equal(summaryRows, 4, 'header + direct, proxied, relay');
  assert.ok((await page.locator('#baseline-diff tr').count()) > 10, 'the baseline diff table is filled');
  assert.match(await page.locator('body').innerText(), /Machine fingerprint/);

  await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
  assert.deepEqual(problems, [], 'no console errors or warnings');
  assert.deepEqual(requests, [], 'no network requests');
  await page.close();
});

test('trend.html from five stored runs: every gated metric drawn over the runs, with no errors or requests', async () => {
  // Five runs of history: the smoke run above, stored as five nights with their figures moved a little.
  const history = join(dir, 'history');
  await mkdir(history, { recursive: true });
  const run = await readResults(join(dir, 'results.json'));
  for (let night = 0; night < 5; night++) {
    const factor = 1 + night * 0.02;
    const moved = {
      ...run,
      run: { ...run.run, startedAt: `2026-11-2${night}T03:00:00.000Z` },
      environment: { ...run.environment, gitCommit: `${night}`.repeat(40) },
      scenarios: run.scenarios.map((s) =>
        s.state !== 'completed'
          ? s
          : {
              ...s,
              metrics: Object.fromEntries(
                Object.entries(s.metrics).map(([k, m]) => [k, { ...m, value: m.value * factor }]),
              ),
            },
      ),
    };
    await writeFile(join(history, `night-${night}.json`), JSON.stringify(moved));
  }
  const r = await runCli(['trend', history]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /trend\.html \(5 runs\)/);

  const { page, problems, requests } = await watchedPage();
  await page.goto(pathToFileURL(join(history, 'trend.html')).href, { waitUntil: 'load' });
  type Canvas = {
    id: string;
    getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
    width: number;
    height: number;
  };
  const drawn = await page.evaluate(() =>
    [
      ...(
        globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<Canvas> } }
      ).document.querySelectorAll('canvas'),
    ].map((c) => {
      const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
      const chart = (
        globalThis as unknown as {
          Chart: { getChart(id: string): { data: { labels: unknown[] } } };
        }
      ).Chart.getChart(c.id);
      return { id: c.id, painted, points: chart?.data.labels.length ?? 0 };
    }),
  );
  // One chart per metric a threshold names, across the scenarios of the run.
  // One chart per metric a threshold or goal names (a smoke run shows its thresholds as goals).
  const gated = new Set(
    run.scenarios.flatMap((s) => [...s.thresholds, ...s.goals].map((t) => `${s.name} ${t.trim().split(/\s+/)[0]}`)),
  );
  const produced = [...gated].filter((id) => {
    const [name, metric] = id.split(' ');
    const s = run.scenarios.find((x) => x.name === name);
    return s?.state === 'completed' && s.metrics[metric!] !== undefined;
  });
  assert.equal(drawn.length, produced.length, 'a chart for every gated metric the runs produced');
  assert.ok(drawn.length >= 10, `${drawn.length} charts`);
  for (const c of drawn) {
    assert.ok(c.painted > 2_000, `${c.id} is blank (${c.painted} painted pixels)`);
    assert.equal(c.points, 5, `${c.id} has a point per run`);
  }
  assert.deepEqual(problems, [], 'no console errors or warnings');
  assert.deepEqual(requests, [], 'no network requests');
  await page.close();
});

/** The text of each page of a PDF, in reading order (pdf.js, the way a reader's viewer extracts it). */
async function pdfPages(path: string): Promise<string[]> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const doc = await pdfjs.getDocument({ data: new Uint8Array(await readFile(path)), verbosity: 0 }).promise;
  const pages: string[] = [];
  for (let i = 1; i <= doc.numPages; i++) {
    const content = await (await doc.getPage(i)).getTextContent();
    pages.push(
      content.items
        .map((item) => ('str' in item ? item.str : ''))
        .join(' ')
        .replace(/\s+/g, ' '),
    );
  }
  await doc.destroy();
  return pages;
}

test('sign-off.pdf: A4 pages with header and numbers, every gate on page one, the forced failure failed there', async () => {
  assert.match(release.stdout, /NOT SIGNED OFF: \d+ passed, [1-9]\d* failed/);
  assert.ok(!existsSync(join(dir, 'sign-off.pdf.partial')) && !existsSync(join(dir, 'sign-off.staging.html')));
  const pages = await pdfPages(join(dir, 'sign-off.pdf'));
  assert.ok(pages.length >= 3, `${pages.length} pages`);
  // Compared without spaces: pdf.js gives a title wrapped in its cell (after a hyphen, too) in pieces, and splits
  // the fi / ff ligatures Chromium prints ("sign-o ff").
  const squeeze = (text: string): string => text.replace(/\s+/g, '');
  const one = pages[0]!;
  const flat = squeeze(one);
  assert.match(flat, /mcp-perf\S+:releasesign-off/);
  assert.match(flat, /NOTSIGNEDOFF:[1-9]\d*gate\(s\)failed/);
  assert.match(flat, /page1of\d+/, 'the footer numbers the pages');
  assert.match(flat, /commit[0-9a-f]{10}/, 'the header names the commit');
  // Every gate's row on page one, each with a verdict in words; the injected 3 ms fails the p95 overhead gate.
  const verdicts = [...flat.matchAll(/(✔PASS|✘FAIL|\?NOTMEASURED|·reported)/g)].map((m) => m[1]);
  assert.equal(verdicts.length, GATES.length, 'one verdict per gate on page one');
  let from = 0;
  for (const gate of GATES) {
    const at = flat.indexOf(squeeze(gate.title), from);
    assert.ok(at >= 0, `"${gate.title}" on page one, in order`);
    from = at;
  }
  const overhead = flat.indexOf(squeeze(GATES[0]!.title));
  assert.match(flat.slice(overhead, overhead + 120), /✘FAIL/, 'the overhead gate failed on page one');
  assert.match(squeeze(pages[pages.length - 1]!), new RegExp(`page${pages.length}of${pages.length}`));

  // The flame graph names the proxy's own functions, not only the VM's.
  const results = await readResults(join(dir, 'results.json'));
  const profile = results.scenarios.find((s) => s.name === 'footprint' && s.state === 'completed');
  assert.ok(profile !== undefined && profile.state === 'completed' && profile.cpuProfile !== undefined);
  const ours = profile.cpuProfile.top.filter((f) => f.owner === 'ours');
  assert.ok(ours.length > 0, `own functions in the top list: ${JSON.stringify(profile.cpuProfile.top.slice(0, 5))}`);
  assert.ok(ours.every((f) => /^(proxy|core)\//.test(f.file) && f.name !== ''));
  const html = await readFile(join(dir, 'sign-off.html'), 'utf8');
  assert.match(
    html,
    new RegExp(`<title>[^<]*${ours[0]!.file.replace(/[.]/g, '\\.')}`),
    'its frames in the flame graph',
  );

  // Printed the way it is read: the charts of the long runs are drawn, and the page logs no error.
  const { page, problems, requests } = await watchedPage();
  await page.goto(pathToFileURL(join(dir, 'sign-off.html')).href, { waitUntil: 'load' });
  assert.ok((await page.locator('canvas[role="img"][aria-label]').count()) >= 4, 'long-run charts with text');
  assert.equal(await page.locator('#gates tbody tr').count(), GATES.length);
  assert.deepEqual(problems, []);
  assert.deepEqual(requests, []);
  await page.close();
});
