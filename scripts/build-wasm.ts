/**
 * The build's second step (`npm run build`, after tsc): every WebAssembly text file in core/ compiled to its binary
 * beside the compiled JavaScript — core/protocol/head-scan.wat → dist/core/protocol/head-scan.wasm. Fails the build,
 * naming the file and the line, when one does not assemble or validate.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabt from 'wabt';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dist = join(root, 'dist');

const sources = readdirSync(join(root, 'core'), { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.wat'))
  .map((file) => join(root, 'core', file));
const assembler = await wabt();
for (const source of sources) {
  const name = relative(root, source);
  try {
    const module = assembler.parseWat(name, readFileSync(source, 'utf8'), { simd: true });
    module.validate();
    writeFileSync(join(dist, name.replace(/\.wat$/, '.wasm')), module.toBinary({}).buffer);
    module.destroy();
  } catch (error) {
    process.stderr.write(`build-wasm: ${name}: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
