/**
 * The report opened the way a person opens it: a file:// URL in real Chromium (Debian's, through playwright-core),
 * with no network. The charts must have drawn (pixels on every canvas), the tables must be there, and the page must
 * log no error.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { readResults } from '../../harness/results/io.js';
import { runCli } from '../helpers/cli.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let dir: string;
let browser: Browser;

before(async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH`,
  );
  dir = await mkdtemp(join(tmpdir(), 'mcp-perf-report-'));
  const r = await runCli(['run', '--profile', 'smoke', '--out', dir]);
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

test('report.html opens from file:// with charts drawn, tables filled and no errors or requests', async () => {
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
    ['stdio-bridge', ['direct (open)', 'bridged (open)']],
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
