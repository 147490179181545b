/**
 * The WebAssembly modules of core/protocol (head-scan.wat, jsonrpc-scan.wat): compiled to .wasm beside the compiled
 * JavaScript by `npm run build` (scripts/build-wasm.ts), so nothing is compiled at run time but the module itself.
 */
import { readFileSync } from 'node:fs';

/** The part of the WebAssembly API used here (TypeScript declares it with the DOM's library, which we do not load). */
declare const WebAssembly:
  | {
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object) => { exports: Record<string, unknown> };
    }
  | undefined;

/**
 * The exports of the module `name` (a .wasm file in this directory), or undefined where there is no WebAssembly
 * (`node --jitless`): its caller then does the same work in JavaScript. A build without the file is an error that
 * says how to make it.
 */
export function instantiate(name: string): Record<string, unknown> | undefined {
  if (typeof WebAssembly !== 'object') return undefined;
  const file = new URL(`./${name}.wasm`, import.meta.url);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    throw new Error(`${file.pathname} is missing: \`npm run build\` compiles it from core/protocol/${name}.wat`);
  }
  return new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports;
}

/** A module's exported memory. */
export function memoryOf(exports: Record<string, unknown>): ArrayBuffer {
  return (exports.memory as { buffer: ArrayBuffer }).buffer;
}
