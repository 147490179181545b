/**
 * The shootout kind: the comparison's interleaved load on every target of the scenario that is installed here, each
 * seat also recorded for the peers table (mode, version, command, memory and processes per session). A target whose
 * command is missing is skipped with a line saying how to get it; the reference must be there.
 */
import type { ShootoutScenario } from '../../../scenarios/define.js';
import type { KindResult, ScenarioKind } from '../kind.js';
import { gatesWhere, parseThreshold } from '../../../scenarios/thresholds.js';
import { measuredPeer, peerMetrics, peersIn, type PeerMode } from '../../results/peers.js';
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
    const result = await runComparison(ctx, {
      targets: seats,
      inventory: true,
      warnings: skipped,
      settings: { ours: ctx.scenario.ours, skipped: ctx.scenario.targets.filter((t) => !seats.includes(t)) },
      metrics: (targets) => peerMetrics(targets, ctx.scenario.ours),
    });
    return withoutUnmeasured(result, ctx.scenario.ours);
  },
};

/**
 * A mode with no peer measured (none installed, or none among --seats) has no `<ours>.to_best_peer`, nor an
 * `<ours>.added_p50_over_best_peer_us` (nor that one when no peer ran at the scenario's rate): their gates and goals
 * are set aside with a warning saying so, rather than failing the run as "no such metric".
 */
export function withoutUnmeasured(result: KindResult, ours: ShootoutScenario['ours']): KindResult {
  // Only for want of a peer: ours measured at nothing beside a peer keeps its goal, which then fails as it should.
  const peerIn = (mode: PeerMode, name: string, latency: boolean): boolean =>
    peersIn(result.targets, mode, name).some((peer) => measuredPeer(result.targets[peer]!, latency));
  const judged = new Set([...result.thresholds, ...result.goals].map((t) => parseThreshold(t).metric));
  const missing = Object.entries(ours).flatMap(([mode, name]) =>
    (
      [
        [`${name}.to_best_peer`, false, 'no peer of its mode was measured (not installed, or not among --seats)'],
        [
          `${name}.added_p50_over_best_peer_us`,
          true,
          "no peer of its mode was measured at the scenario's rate (not installed, not among --seats, or held lower)",
        ],
      ] as const
    ).filter(
      ([metric, latency]) =>
        judged.has(metric) && result.metrics[metric] === undefined && !peerIn(mode as PeerMode, name, latency),
    ),
  );
  if (missing.length === 0) return result;
  const measured = (metric: string): boolean => !missing.some(([m]) => m === metric);
  return {
    ...result,
    thresholds: gatesWhere(result.thresholds, measured),
    goals: gatesWhere(result.goals, measured),
    warnings: [...result.warnings, ...missing.map(([metric, , why]) => `${metric} not judged: ${why}`)],
  };
}

export default shootoutKind;
