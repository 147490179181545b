import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The package root: where package.json, baseline/ and bin/ live (dist/harness/ is two levels down). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
