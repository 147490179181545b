/**
 * A seeded run of malformed, truncated and hostile requests (test/helpers/http-fuzz.ts: 16 shapes — flipped bytes,
 * truncated heads and bodies, framing conflicts, bad chunks, bare LF, bad request lines, oversized heads and bodies,
 * pipelines, other methods, HTTP/1.0, random bytes — split at random points, a quarter hung up early) against the
 * reverse proxy and the stdio bridge. The proxy must never crash, never log a handler failure, and keep serving a
 * session opened before the run, checked every 500 cases. MCP_PERF_FUZZ_CASES sets the count (default 2,000 per
 * mode); MCP_PERF_FUZZ_SEED the seed.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, test, type TestContext } from 'node:test';
import { serviceGroup } from '../helpers/cli.js';
import { fuzz } from '../helpers/http-fuzz.js';
import { alive, answerText, callTool, openSession, portOf } from '../helpers/mcp-http.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/misbehaving-stdio-server.js', import.meta.url));
const CASES = Number(process.env.MCP_PERF_FUZZ_CASES ?? 2_000);
const SEED = Number(process.env.MCP_PERF_FUZZ_SEED ?? 18);
const group = serviceGroup();
after(async () => assert.deepEqual(await group.stopAll(), []));

async function fuzzProxy(t: TestContext, args: string[], seed: number): Promise<void> {
  const proxy = await group.start(['proxy', ...args, '--log-level', 'error']);
  let stderr = '';
  proxy.proc.stderr?.on('data', (d: Buffer) => (stderr += String(d)));
  // The fuzzer plays with one session (it may well DELETE it); the checks use another it never learns.
  const session = await openSession(proxy.url);
  const kept = await openSession(proxy.url);
  let checks = 0;
  const tally = await fuzz({
    port: portOf(proxy.url),
    seed,
    count: CASES,
    concurrency: 8,
    session,
    check: async () => {
      assert.ok(alive(proxy.pid), `the proxy died after ${checks * 500} cases: ${stderr.slice(0, 2_000)}`);
      const r = await callTool(proxy.url, kept, 'echo', { text: `check ${++checks}`, payloadBytes: 0 });
      assert.equal(
        answerText(r.body),
        `check ${checks}`,
        `check ${checks}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`,
      );
    },
  });
  t.diagnostic(
    `fuzz ${args[0]} seed ${seed}: ${tally.cases} cases, ${(tally.bytes / 2 ** 20).toFixed(1)} MiB, shapes ${JSON.stringify(tally.shapes)}, answers ${JSON.stringify(tally.answers)}`,
  );
  assert.equal(tally.cases, CASES);
  assert.ok(Object.keys(tally.shapes).length >= 16, 'every shape was played');
  assert.doesNotMatch(stderr, /handler failed|Uncaught|TypeError|RangeError/, 'no handler failure was logged');
  assert.ok(checks >= Math.floor(CASES / 500));
}

test('reverse proxy: no crash, no handler failure, a prior session served throughout', async (t) => {
  const mock = await group.start(['mock', 'http']);
  await fuzzProxy(t, ['--upstream', mock.url], SEED);
});

test('stdio bridge: the same', async (t) => {
  // Every valid initialize spawns a child: short idle expiry and a session cap keep a long run's children bounded.
  await fuzzProxy(
    t,
    ['--upstream-cmd', `"${process.execPath}" "${FIXTURE}"`, '--session-idle-ms', '30000', '--max-sessions', '64'],
    SEED + 1,
  );
});
