/**
 * The shootout kind: the comparison's interleaved load on every target of the scenario that is installed here, each
 * seat also recorded for the peers table (mode, version, command, memory and processes per session). A target whose
 * command is missing is skipped with a line saying how to get it; the reference must be there.
 */
import type { ShootoutScenario } from '../../../scenarios/define.js';
import type { ScenarioKind } from '../kind.js';
import { checkSeatsKnown, estimateComparisonMs, runComparison } from './comparison.js';

const shootoutKind: ScenarioKind<ShootoutScenario> = {
  kind: 'shootout',
  estimateMs: (scenario, profile) => estimateComparisonMs(scenario, profile),
  check: (scenario, targets) => {
    checkSeatsKnown(scenario, targets);
    for (const [mode, name] of Object.entries(scenario.ours))
      if (!scenario.targets.includes(name))
        throw new Error(`scenario ${scenario.name}: ours.${mode} "${name}" is not one of its targets`);
  },
  async run(ctx) {
    const skipped: string[] = [];
    const seats = ctx.scenario.targets.filter((name, index) => {
      const why = ctx.unavailable(name);
      if (why === undefined) return true;
      if (index === 0) throw new Error(`the reference ${name} cannot run: ${why}`);
      skipped.push(`${name} was skipped: ${why}`);
      ctx.step(`${name} skipped: ${why}`);
      return false;
    });
    return runComparison(ctx, {
      targets: seats,
      inventory: true,
      warnings: skipped,
      settings: { ours: ctx.scenario.ours, skipped: ctx.scenario.targets.filter((t) => !seats.includes(t)) },
    });
  },
};

export default shootoutKind;
