/** The registry of scenario kinds: `kind` in a scenario's data → the file that runs it. */
import type { Scenario } from '../../scenarios/define.js';
import { comparisonKind } from './comparison.js';
import { componentsKind } from './components.js';
import { concurrencyKind } from './concurrency.js';
import { fanoutKind } from './fanout.js';
import type { ScenarioKind } from './kind.js';
import { memoryKind } from './memory.js';
import { soakKind } from './soak.js';
import { stdioHammerKind } from './stdio-hammer.js';
import { stressKind } from './stress.js';

type Registry = { readonly [K in Scenario['kind']]: ScenarioKind<Extract<Scenario, { kind: K }>> };

export const KINDS: Registry = Object.freeze({
  comparison: comparisonKind,
  fanout: fanoutKind,
  components: componentsKind,
  'stdio-hammer': stdioHammerKind,
  memory: memoryKind,
  concurrency: concurrencyKind,
  soak: soakKind,
  stress: stressKind,
});

/** The kind of a scenario, typed for it. */
export function kindOf<S extends Scenario>(scenario: S): ScenarioKind<S> {
  return KINDS[scenario.kind] as unknown as ScenarioKind<S>;
}
