/** A target's version, for the peers table: read from the npm package this package installed, or from its output. */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TargetSpec } from '../../scenarios/targets.js';
import { PACKAGE_ROOT, VERSION } from '../version.js';

const execFileAsync = promisify(execFile);

/** `undefined` when the row names no source or the source cannot be read (the table then shows "—"). */
export async function targetVersion(spec: TargetSpec): Promise<string | undefined> {
  const source = spec.version;
  if (source === undefined) return undefined;
  if ('npm' in source) {
    if (source.npm === 'mcp-perf') return VERSION;
    try {
      const text = await readFile(join(PACKAGE_ROOT, 'node_modules', source.npm, 'package.json'), 'utf8');
      return (JSON.parse(text) as { version?: string }).version;
    } catch {
      return undefined;
    }
  }
  try {
    // nginx -v prints "nginx version: nginx/1.22.1" on stderr.
    const { stdout, stderr } = await execFileAsync(source.command[0]!, source.command.slice(1), { timeout: 5_000 });
    return /\d+\.\d+(?:\.\d+)?/.exec(`${stdout}\n${stderr}`)?.[0];
  } catch {
    return undefined;
  }
}
