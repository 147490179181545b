/**
 * Scenario kinds are found by name: the scenario's `kind` → `harness/runner/kinds/<kind>.ts`, whose default export
 * is its ScenarioKind. Adding a kind is adding that file; only the kinds a run uses are loaded.
 */
import type { Scenario } from '../../scenarios/define.js';
import { McpPerfError } from '../../core/runtime/errors.js';
import type { ScenarioKind } from './kind.js';

const loaded = new Map<string, Promise<ScenarioKind<Scenario>>>();

/** The kind of a scenario, typed for it; a clear error when no file runs it. */
export function kindOf<S extends Scenario>(scenario: S): Promise<ScenarioKind<S>> {
  const name: string = scenario.kind;
  let kind = loaded.get(name);
  if (kind === undefined) loaded.set(name, (kind = load(name)));
  return kind as unknown as Promise<ScenarioKind<S>>;
}

async function load(name: string): Promise<ScenarioKind<Scenario>> {
  const missing = (): McpPerfError =>
    new McpPerfError('MCP_PERF_CONFIG', `no scenario kind "${name}": harness/runner/kinds/${name}.ts does not exist`);
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw missing();
  let module: { default?: ScenarioKind<Scenario> };
  try {
    module = (await import(`./kinds/${name}.js`)) as { default?: ScenarioKind<Scenario> };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(`kinds/${name}.js`)) throw missing();
    throw err;
  }
  if (module.default?.kind !== name)
    throw new McpPerfError(
      'MCP_PERF_CONFIG',
      `harness/runner/kinds/${name}.ts must export default the ScenarioKind of kind "${name}"`,
    );
  return module.default;
}
