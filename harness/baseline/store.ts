/**
 * The baseline store: one baseline per testbed (Bencher's word for a machine measurements are comparable on), in one
 * file, `baseline/measurements.json`. A testbed is the machine fingerprint (CPU model, cores, memory, OS, Node
 * major) *and* its speed figures (measure/speed.ts): VMs of one model differ in speed by up to 2×, and their
 * absolute figures must never be compared. A run uses the testbed whose fingerprint matches and whose speed figures
 * are within tolerance; on a machine with none, relative thresholds are skipped with one clear line.
 *
 * A plain results file (what `--baseline FILE` pointed at before, and the v1 store) is read as a store of one
 * testbed; one without speed figures never matches (it cannot be shown to be this machine).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ResultsFileError } from '../../core/runtime/errors.js';
import { sameSpeed } from '../measure/speed.js';
import { readResultsValue } from '../results/io.js';
import type { Environment } from '../measure/environment.js';
import type { ResultsFile } from '../results/schema.js';

export const BASELINES_SCHEMA = 'mcp-perf-baselines';
export const BASELINES_VERSION = 1;

export interface BaselineStore {
  readonly schema: typeof BASELINES_SCHEMA;
  readonly schemaVersion: typeof BASELINES_VERSION;
  /** One results file per testbed, newest recorded last. */
  readonly testbeds: readonly ResultsFile[];
}

/** Reads the store; undefined when the file does not exist. A file that is neither a store nor results is an error. */
export async function readBaselineStore(path: string): Promise<BaselineStore | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new ResultsFileError('MCP_PERF_BASELINE_INVALID', `cannot read baseline ${path}: ${code ?? String(err)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ResultsFileError(
      'MCP_PERF_BASELINE_INVALID',
      `baseline ${path} is not valid JSON (${(err as Error).message}); it may be truncated or hand-edited`,
    );
  }
  const store = value as Partial<BaselineStore> | null;
  if (store !== null && typeof store === 'object' && store.schema === BASELINES_SCHEMA) {
    if (store.schemaVersion !== BASELINES_VERSION || !Array.isArray(store.testbeds))
      throw new ResultsFileError(
        'MCP_PERF_BASELINE_INVALID',
        `baseline ${path}: schemaVersion ${JSON.stringify(store.schemaVersion)} is not supported (this mcp-perf reads ${BASELINES_VERSION}), or "testbeds" is missing`,
      );
    const testbeds = store.testbeds.map((t, i) => readResultsValue(t, `baseline ${path} testbeds[${i}]`, 'baseline'));
    return { schema: BASELINES_SCHEMA, schemaVersion: BASELINES_VERSION, testbeds };
  }
  return {
    schema: BASELINES_SCHEMA,
    schemaVersion: BASELINES_VERSION,
    testbeds: [readResultsValue(value, `baseline ${path}`, 'baseline')],
  };
}

/** The testbed this run belongs to, or why there is none. */
export function findTestbed(
  store: BaselineStore,
  now: Environment,
): { readonly baseline: ResultsFile; readonly why: string } | { readonly baseline: null; readonly why: string } {
  const reasons: string[] = [];
  for (const candidate of [...store.testbeds].reverse()) {
    const env = candidate.environment;
    if (env.machineFingerprint !== now.machineFingerprint) {
      reasons.push(`${describe(env)}: another machine`);
      continue;
    }
    if (env.speed === undefined || now.speed === undefined) {
      reasons.push(`${describe(env)}: recorded without speed figures`);
      continue;
    }
    const speed = sameSpeed(now.speed, env.speed);
    if (!speed.same) {
      reasons.push(`${describe(env)}: same model, another speed (${speed.why})`);
      continue;
    }
    return { baseline: candidate, why: `this machine's baseline (${speed.why})` };
  }
  return {
    baseline: null,
    why:
      store.testbeds.length === 0
        ? 'the baseline file holds no testbed'
        : `none of the ${store.testbeds.length} recorded testbed(s) is this machine — ${reasons.join('; ')}`,
  };
}

/**
 * The store with `results` as its machine's baseline: the matching testbed replaced, or a new one added. Entries
 * without speed figures (from before testbeds) are dropped: they can never match a machine.
 */
export function withTestbed(store: BaselineStore | undefined, results: ResultsFile): BaselineStore {
  const kept = (store?.testbeds ?? []).filter((t) => t.environment.speed !== undefined).filter((t) => findTestbed({ ...emptyStore(), testbeds: [t] }, results.environment).baseline === null);
  return { ...emptyStore(), testbeds: [...kept, { ...results, baseline: null }] };
}

export async function writeBaselineStore(path: string, store: BaselineStore): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(store, null, 2) + '\n');
  await rename(tmp, path);
}

function emptyStore(): BaselineStore {
  return { schema: BASELINES_SCHEMA, schemaVersion: BASELINES_VERSION, testbeds: [] };
}

/** A testbed in a line: CPU, cores, speed. */
export function describe(env: Environment): string {
  const speed = env.speed === undefined ? '' : `, ${env.speed.cpuOpsPerMs} ops/ms, loopback ${env.speed.loopbackRttUs} µs`;
  return `${env.cpuModel} × ${env.cores}${speed} (${env.machineFingerprint})`;
}
