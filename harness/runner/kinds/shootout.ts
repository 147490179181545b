/**
 * The shootout kind: the comparison's interleaved load on every target of the scenario that is installed here, each
 * seat also recorded for the peers table (mode, version, command, memory and processes per session). A target whose
 * command is missing is skipped with a line saying how to get it; the reference must be there.
 */
import type { ShootoutScenario } from '../../../scenarios/define.js';
import type { KindResult, ScenarioKind } from '../kind.js';
import { gatesWhere } from '../../../scenarios/thresholds.js';
import type { Metric, TargetResult } from '../../results/schema.js';
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
      metrics: (targets) => toBestPeer(targets, ctx.scenario.ours),
    });
    return withoutUnmeasured(result, ctx.scenario.ours);
  },
};

/**
 * A mode with no peer measured (none installed, or none among --seats) has no `<ours>.to_best_peer`: its gates and
 * goals are set aside with a warning saying so, rather than failing the run as "no such metric".
 */
export function withoutUnmeasured(result: KindResult, ours: ShootoutScenario['ours']): KindResult {
  // Only for want of a peer: ours measured at nothing beside a peer keeps its goal, which then fails as it should.
  const peerIn = (mode: string): boolean =>
    Object.values(result.targets).some((t) => t.about?.mode === mode && t.about.ours !== true && t.throughputRps > 0);
  const missing = Object.entries(ours)
    .filter(([mode, name]) => result.metrics[`${name}.to_best_peer`] === undefined && !peerIn(mode))
    .map(([, name]) => `${name}.to_best_peer`);
  if (missing.length === 0) return result;
  const measured = (metric: string): boolean => !missing.includes(metric);
  return {
    ...result,
    thresholds: gatesWhere(result.thresholds, measured),
    goals: gatesWhere(result.goals, measured),
    warnings: [
      ...result.warnings,
      ...missing.map(
        (metric) => `${metric} not judged: no peer of its mode was measured (not installed, or not among --seats)`,
      ),
    ],
  };
}

/**
 * `<ours>.to_best_peer` per mode: our calls/s over the best peer's in that mode (a peer: not one of mcp-perf's own
 * targets, with throughput measured). A same-run ratio, so it travels between machines and can gate.
 */
export function toBestPeer(
  targets: Readonly<Record<string, TargetResult>>,
  ours: ShootoutScenario['ours'],
): Record<string, Metric> {
  const out: Record<string, Metric> = {};
  for (const mode of ['reverse', 'bridge'] as const) {
    const name = ours[mode];
    const mine = name === undefined ? undefined : targets[name];
    const peers = Object.values(targets).filter(
      (t) => t.about?.mode === mode && t.about.ours !== true && t.throughputRps > 0,
    );
    if (mine === undefined || peers.length === 0 || mine.throughputRps <= 0) continue;
    const best = Math.max(...peers.map((t) => t.throughputRps));
    out[`${name}.to_best_peer`] = {
      value: Math.round((mine.throughputRps / best) * 1000) / 1000,
      unit: 'ratio',
      better: 'higher',
    };
  }
  return out;
}

export default shootoutKind;
