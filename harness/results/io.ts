/**
 * Writing and reading results files. Reading validates the shape and says plainly what is wrong; a file of an older
 * schema version this reader knows is upgraded on the way in (upgradeResults), so a committed baseline and the runs
 * of an older build in `mcp-perf compare` read as the current version.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ResultsFileError } from '../../core/runtime/errors.js';
import { decodeHistogram } from '../../core/measure/histogram.js';
import { LATENCY_MODELS, RESULTS_SCHEMA, SCHEMA_VERSION, type LatencyModel, type ResultsFile } from './schema.js';

/** Writes atomically (temp file + rename): a crash never leaves half a results file or baseline. */
export async function writeResults(path: string, results: ResultsFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(results, null, 2) + '\n');
  await rename(tmp, path);
}

type Code = 'MCP_PERF_RESULTS_INVALID' | 'MCP_PERF_BASELINE_MISSING' | 'MCP_PERF_BASELINE_INVALID';

/** Reads and validates a results file. `what` names it in messages ("results file", "baseline"). */
export async function readResults(
  path: string,
  what: 'results file' | 'baseline' = 'results file',
): Promise<ResultsFile> {
  const invalid: Code = what === 'baseline' ? 'MCP_PERF_BASELINE_INVALID' : 'MCP_PERF_RESULTS_INVALID';
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ResultsFileError(
      what === 'baseline' && code === 'ENOENT' ? 'MCP_PERF_BASELINE_MISSING' : invalid,
      code === 'ENOENT' ? `${what} not found: ${path}` : `cannot read ${what} ${path}: ${code ?? String(err)}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ResultsFileError(
      invalid,
      `${what} ${path} is not valid JSON (${(err as Error).message}); it may be truncated or hand-edited`,
    );
  }
  return readResultsValue(value, `${what} ${path}`, what);
}

/** Upgrades and validates a parsed results file; `label` names it in the message ("baseline x.json testbeds[0]"). */
export function readResultsValue(value: unknown, label: string, what: 'results file' | 'baseline'): ResultsFile {
  const problem = validateResults(upgradeResults(value));
  if (problem !== undefined)
    throw new ResultsFileError(
      what === 'baseline' ? 'MCP_PERF_BASELINE_INVALID' : 'MCP_PERF_RESULTS_INVALID',
      `${label} is not an mcp-perf results file: ${problem}`,
    );
  return value as ResultsFile;
}

/** Returns a description of the first problem found, or undefined when the value is a valid results file. */
export function validateResults(value: unknown): string | undefined {
  if (!isObject(value)) return 'the top level is not an object';
  if (value.schema !== RESULTS_SCHEMA)
    return `"schema" is ${JSON.stringify(value.schema)}, expected "${RESULTS_SCHEMA}"`;
  if (value.schemaVersion !== SCHEMA_VERSION) {
    return `schemaVersion ${JSON.stringify(value.schemaVersion)} is not supported (this mcp-perf reads version ${SCHEMA_VERSION})`;
  }
  if (!isObject(value.run) || typeof value.run.startedAt !== 'string' || typeof value.run.profile !== 'string')
    return '"run" is missing or incomplete';
  if (!isObject(value.environment) || typeof value.environment.node !== 'string')
    return '"environment" is missing or incomplete';
  if (!Array.isArray(value.scenarios)) return '"scenarios" is not an array';
  for (const [i, s] of value.scenarios.entries()) {
    const where = `scenarios[${i}]`;
    if (!isObject(s) || typeof s.name !== 'string') return `${where} has no name`;
    if (s.state === 'failed') {
      if (typeof s.error !== 'string') return `${where} (${s.name}) is failed but has no error`;
      continue;
    }
    if (s.state !== 'completed') return `${where} (${s.name}) has state ${JSON.stringify(s.state)}`;
    if (!isObject(s.metrics)) return `${where} (${s.name}) has no metrics`;
    for (const [key, m] of Object.entries(s.metrics)) {
      if (!isObject(m) || typeof m.value !== 'number' || !Number.isFinite(m.value) || typeof m.unit !== 'string') {
        return `${where} (${s.name}) metric "${key}" is not {value, unit, better}`;
      }
    }
    if (!isObject(s.targets)) return `${where} (${s.name}) has no targets`;
    for (const [name, t] of Object.entries(s.targets)) {
      if (!isObject(t)) return `${where} (${s.name}) target "${name}" is not an object`;
      for (const field of ['latency', 'serviceTime'] as const) {
        const record = t[field];
        if (record === undefined) continue;
        if (
          !isObject(record) ||
          typeof record.histogram !== 'string' ||
          !isObject(record.summary) ||
          !LATENCY_MODELS.includes(record.model as LatencyModel) ||
          record.unit !== 'us'
        )
          return `${where} (${s.name}) target "${name}" ${field} is not {model: open|closed|delivery, unit: "us", histogram, summary}`;
        try {
          decodeHistogram(record.histogram);
        } catch {
          return `${where} (${s.name}) target "${name}": the ${field} histogram does not decode`;
        }
      }
    }
    if (s.series !== undefined) {
      if (!isObject(s.series)) return `${where} (${s.name}) "series" is not an object`;
      for (const [name, series] of Object.entries(s.series)) {
        const lines = isObject(series) ? series.lines : undefined;
        const ok =
          Array.isArray(lines) &&
          lines.every(
            (l) =>
              isObject(l) &&
              Array.isArray(l.points) &&
              l.points.every((pt) => Array.isArray(pt) && pt.length === 2 && pt.every(Number.isFinite)),
          );
        if (!ok)
          return `${where} (${s.name}) series "${name}" is not {title, x, y, lines: [{label, points: [[x, y], …]}]}`;
      }
    }
  }
  return undefined;
}

/**
 * Brings a parsed file of an older schema version up to the current one, in place; anything else is returned as it
 * is (the validator then says what is wrong). v1 → v2: every target carried a `latency` and a `serviceTime` histogram,
 * untagged, some of them empty; v2 keeps the ones with samples and says how each was timed. What v1 stored under
 * `latency` was open-model latency except in three kinds: concurrency and stdio-hammer stored closed-model service
 * times there, fan-out stored delivery times.
 */
export function upgradeResults(value: unknown): unknown {
  if (
    !isObject(value) ||
    value.schema !== RESULTS_SCHEMA ||
    value.schemaVersion !== 1 ||
    !Array.isArray(value.scenarios)
  )
    return value;
  const latencyModel: Record<string, LatencyModel> = {
    concurrency: 'closed',
    'stdio-hammer': 'closed',
    fanout: 'delivery',
  };
  for (const s of value.scenarios) {
    if (!isObject(s) || !isObject(s.targets)) continue;
    for (const t of Object.values(s.targets)) {
      if (!isObject(t)) continue;
      const tag = (field: 'latency' | 'serviceTime', model: LatencyModel): void => {
        const record = t[field];
        const count = isObject(record) && isObject(record.summary) ? record.summary.count : undefined;
        if (typeof count === 'number' && count > 0)
          t[field] = { model, unit: 'us', ...(record as Record<string, unknown>) };
        else delete t[field];
      };
      tag('latency', latencyModel[String(s.kind)] ?? 'open');
      // v1's concurrency stored the same histogram twice; v2 keeps it once.
      if (String(s.kind) === 'concurrency') delete t.serviceTime;
      else tag('serviceTime', 'closed');
    }
  }
  value.schemaVersion = SCHEMA_VERSION;
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
