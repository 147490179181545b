/**
 * Every scenario mcp-perf knows, found rather than listed: each file under scenarios/ whose default export is a
 * scenario (defineScenario's result). Adding a scenario is adding its file; a full run takes them in name order.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Scenario } from '../../scenarios/define.js';

const DIR = new URL('../../scenarios/', import.meta.url);

async function discover(): Promise<ReadonlyMap<string, Scenario>> {
  const files = readdirSync(fileURLToPath(DIR))
    .filter((f) => f.endsWith('.js'))
    .sort();
  const found = new Map<string, Scenario>();
  for (const file of files) {
    const module = (await import(new URL(file, DIR).href)) as { default?: unknown };
    const scenario = module.default as Scenario | undefined;
    if (typeof scenario !== 'object' || scenario === null || !('kind' in scenario) || !('profiles' in scenario))
      continue; // the definition API, the targets table, the threshold grammar
    if (`${scenario.name}.js` !== file)
      throw new Error(`scenarios/${file.replace(/\.js$/, '.ts')} defines "${scenario.name}": name it after its file`);
    found.set(scenario.name, scenario);
  }
  return new Map([...found].sort(([a], [b]) => a.localeCompare(b)));
}

export const SCENARIOS: ReadonlyMap<string, Scenario> = await discover();
