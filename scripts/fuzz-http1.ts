/**
 * A long differential fuzz run of the proxy's HTTP/1.1 parser against llhttp (test/helpers/http1-differential.ts):
 *
 *   npm run fuzz:http1 -- --minutes 10 [--seed N]
 *
 * Everything runs in this process (no ports, no children). A progress line every 10 s; at the end the verdicts, and
 * each finding with its bytes, so it can become a case in test/unit/http1-differential.test.ts. Exit 1 on a finding,
 * 2 on a bad flag.
 */
import { runDifferential, type DiffTally } from '../test/helpers/http1-differential.js';
import { fail, scriptArgs } from './args.js';

const USAGE = `usage: npm run fuzz:http1 -- [--minutes N] [--seed N]
  --minutes N   how long to run (default 10, at most a day)
  --seed N      the generator's seed, to repeat a run (default: from the clock, printed at the start)`;
const usage = (message: string): never => fail('fuzz-http1', message, USAGE);
const values = scriptArgs('fuzz-http1', USAGE, { minutes: { type: 'string' }, seed: { type: 'string' } });
const minutes = Number(values.minutes ?? 10);
const seed = Number(values.seed ?? Date.now() % 2 ** 31);
if (!(minutes > 0 && minutes <= 24 * 60))
  usage(`--minutes must be a number of minutes up to a day, not ${values.minutes}`);
if (!Number.isInteger(seed) || seed < 0) usage(`--seed must be a whole number, not ${values.seed}`);

const started = Date.now();
let lastLine = started;
const findings = (t: DiffTally): number =>
  (t.verdicts.laxer ?? 0) + (t.verdicts.disagree ?? 0) + (t.verdicts['wrong-status'] ?? 0);
process.stdout.write(`fuzz-http1: seed ${seed}, ${minutes} min, ours against llhttp (node ${process.version})\n`);
let shown = 0;
const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
const tally = await runDifferential({
  seed,
  until: started + minutes * 60_000,
  signal: controller.signal,
  keep: 20,
  progressEvery: 500,
  // Each finding as it is found (the first 20 in full), so a long run shows them at once.
  onFinding: (f) => {
    if (++shown > 20) return;
    process.stdout.write(
      `\n${f.verdict} (case ${f.case}, ${f.shape}): ${f.why ?? ''}\n  bytes  ${JSON.stringify(f.bytes)}\n  ours   ${JSON.stringify(f.ours)}\n  llhttp ${JSON.stringify(f.llhttp)}\n\n`,
    );
  },
  onProgress: (t) => {
    if (Date.now() - lastLine < 10_000) return;
    lastLine = Date.now();
    const s = Math.round((lastLine - started) / 1000);
    process.stdout.write(`  ${s}s: ${t.cases.toLocaleString('en-US')} cases, ${findings(t)} findings\n`);
  },
});
const seconds = (Date.now() - started) / 1000;
process.stdout.write(
  `fuzz-http1: ${tally.cases.toLocaleString('en-US')} cases in ${seconds.toFixed(0)} s (${Math.round(tally.cases / seconds)}/s), seed ${seed}\n` +
    `  verdicts ${JSON.stringify(tally.verdicts)}\n  shapes ${JSON.stringify(tally.shapes)}\n`,
);
process.exitCode = findings(tally) > 0 ? 1 : 0;
