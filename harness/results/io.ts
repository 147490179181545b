/** Writing and reading results files. Reading validates the shape and says plainly what is wrong. */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ResultsFileError } from '../../core/runtime/errors.js';
import { decodeHistogram } from '../../core/measure/histogram.js';
import { RESULTS_SCHEMA, SCHEMA_VERSION, type ResultsFile } from './schema.js';

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
  const problem = validateResults(value);
  if (problem !== undefined)
    throw new ResultsFileError(invalid, `${what} ${path} is not an mcp-perf results file: ${problem}`);
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
      if (!isObject(t) || !isObject(t.latency) || typeof t.latency.histogram !== 'string')
        return `${where} (${s.name}) target "${name}" has no latency histogram`;
      try {
        decodeHistogram(t.latency.histogram);
      } catch {
        return `${where} (${s.name}) target "${name}": the latency histogram does not decode`;
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

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
