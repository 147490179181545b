/**
 * The rooms and which way their imports may point (docs/architecture.md): core/ is the floor and imports nothing of
 * ours above it; the proxy and the mocks are processes of their own and import only core/ and themselves; scenarios
 * are data over the definition API; the harness runs the proxy and the mocks as processes and never imports their
 * code, save the CLI's lazy dispatch in harness/cli.ts.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { test } from 'node:test';
import { PACKAGE_ROOT } from '../helpers/cli.js';

const ALLOWED: Record<string, readonly string[]> = {
  core: ['core'],
  proxy: ['core', 'proxy'],
  'mock-upstreams': ['core', 'mock-upstreams'],
  scenarios: ['core', 'scenarios'],
  harness: ['core', 'harness', 'scenarios', 'reports'],
  reports: ['core', 'reports', 'harness'],
};
/** The one file allowed to name the processes' code: it loads their commands lazily. */
const DISPATCH = 'harness/cli.ts';
const SPEC = /(?:from\s+|import\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

function sources(dir: string): string[] {
  return readdirSync(join(PACKAGE_ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(PACKAGE_ROOT, join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)));
}

/** Every relative import in the rooms, as [importing file, room imported]. */
function edges(): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const room of Object.keys(ALLOWED)) {
    for (const file of sources(room)) {
      for (const [, spec] of readFileSync(join(PACKAGE_ROOT, file), 'utf8').matchAll(SPEC)) {
        const target = normalize(join(dirname(file), spec!));
        out.push([file, target.split('/')[0]!]);
      }
    }
  }
  return out;
}

test('every import points the way the rooms allow', () => {
  const found = edges();
  assert.ok(found.length > 100, `the scan found the imports (${found.length})`);
  const wrong = found.filter(([file, to]) => {
    const from = file.split('/')[0]!;
    if (file === DISPATCH && (to === 'proxy' || to === 'mock-upstreams')) return false;
    return !ALLOWED[from]!.includes(to);
  });
  assert.deepEqual(
    wrong.map(([file, to]) => `${file} → ${to}/`),
    [],
  );
});

test('the rule would catch a wrong import (the scan reads what it should)', () => {
  const found = edges();
  assert.ok(
    found.some(([file, to]) => file === DISPATCH && to === 'proxy'),
    'the CLI dispatch is seen',
  );
  assert.ok(
    found.some(([file, to]) => file.startsWith('proxy/') && to === 'core'),
    'proxy → core is seen',
  );
});
