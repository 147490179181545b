/**
 * The report opened the way a person opens it: a file:// URL in real Chromium (Debian's, through playwright-core),
 * with no network. The charts must have drawn (pixels on every canvas), the tables must be there, and the page must
 * log no error.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { readResults } from '../../harness/results/io.js';
import { SCENARIOS as ALL_SCENARIOS } from '../../harness/config/scenarios.js';
import { runCli } from '../helpers/cli.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Every kind of chart the report draws, from the scenarios that have them; stdio-bridge and stress-and-faults draw
// the same kinds as direct-vs-proxied and soak, and take 17 s of a smoke run between them.
const SCENARIOS = [...ALL_SCENARIOS.values()]
  .filter((s) => s.onlyWhenNamed !== true && !['stdio-bridge', 'stress-and-faults'].includes(s.name))
  .map((s) => s.name);
let dir: string;
let browser: Browser;

before(async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH`,
  );
  dir = await mkdtemp(join(tmpdir(), 'mcp-perf-report-'));
  const r = await runCli(['run', ...SCENARIOS, '--profile', 'smoke', '--out', dir]);
  assert.ok(r.code === 0 || r.code === 99, r.stderr);
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
    ['stdio-hammer', ['forward-w1 (closed)', 'forward-w16 (closed)', 'bridge-c4 (closed)']],
    ['sse-fanout', ['proxied (delivery)']],
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
