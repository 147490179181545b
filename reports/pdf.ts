/**
 * An HTML page → an A4 PDF, printed by Chromium through playwright-core (no browser download: a Chromium installed
 * on the machine, Debian's by default). The page is laid out for print before its scripts run (print media, the
 * width of an A4 page inside its margins), so charts are drawn at the size they are printed; every page carries a
 * header (title, commit, date) and its number.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ConfigError, McpPerfError } from '../core/runtime/errors.js';
import { esc } from './render.js';

/** Where a Chromium is looked for, in order, after $CHROMIUM_PATH. */
export const CHROMIUM_CANDIDATES = Object.freeze([
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
]);

/** The Chromium to print with: the one asked for (it must exist), else $CHROMIUM_PATH, else the first found. */
export function findChromium(asked: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (asked !== undefined) {
    if (!existsSync(asked)) throw new ConfigError(`no browser at --chromium ${asked}`);
    return asked;
  }
  const found = [env['CHROMIUM_PATH'], ...CHROMIUM_CANDIDATES].find(
    (p) => p !== undefined && p !== '' && existsSync(p),
  );
  if (found === undefined)
    throw new ConfigError(
      `no Chromium found to print the PDF (looked at $CHROMIUM_PATH and ${CHROMIUM_CANDIDATES.slice(0, 4).join(', ')}): install it (Debian/Ubuntu: apt-get install chromium) or give --chromium PATH`,
    );
  return found;
}

/** A4 at 96 px per inch, inside the 12 mm side margins the PDF is printed with. */
const PRINT_WIDTH_PX = Math.round(((210 - 24) / 25.4) * 96);

export interface PdfOptions {
  readonly chromium: string;
  /** Left of every page's header. */
  readonly title: string;
  /** Middle and right of the header. */
  readonly commit: string;
  readonly date: string;
  /** Closes the browser at once (Ctrl-C): the print then rejects. */
  readonly signal?: AbortSignal;
}

/** Prints `htmlPath` to `pdfPath`. */
export async function printPdf(htmlPath: string, pdfPath: string, options: PdfOptions): Promise<void> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: options.chromium,
    // Our caller owns Ctrl-C: it closes the browser and removes what was half written.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  const close = (): void => void browser.close().catch(() => {});
  options.signal?.addEventListener('abort', close, { once: true });
  if (options.signal?.aborted) close();
  try {
    const page = await browser.newPage({ viewport: { width: PRINT_WIDTH_PX, height: 1123 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.emulateMedia({ media: 'print' });
    await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });
    if (problems.length > 0)
      throw new McpPerfError('MCP_PERF_REPORT', `the page failed while printing: ${problems.join('; ')}`);
    const small = 'font-size:8px;color:#57606a;width:100%;padding:0 12mm;display:flex;justify-content:space-between';
    await page.pdf({
      path: pdfPath,
      format: 'A4',
      printBackground: true,
      displayHeaderFooter: true,
      headerTemplate: `<div style="${small}"><span>${esc(options.title)}</span><span>commit ${esc(options.commit)}</span><span>${esc(options.date)}</span></div>`,
      footerTemplate: `<div style="${small};justify-content:center"><span>page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>`,
      margin: { top: '16mm', bottom: '16mm', left: '12mm', right: '12mm' },
    });
  } finally {
    options.signal?.removeEventListener('abort', close);
    await browser.close().catch(() => {});
  }
}
