#!/usr/bin/env node
// Thin launcher: the CLI is compiled TypeScript in dist/ (built by `npm install` via the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/harness/cli.js', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write('mcp-perf: not built yet (dist/ is missing). Run `npm install` or `npm run build` first.\n');
  process.exit(2);
}
const { main } = await import(cli);
await main();
