/**
 * The matrix kind: the comparison's interleaved load, once per MCP revision, on each of the scenario's targets — a
 * seat per revision and target (`2026-07-28.proxied`), its sessions opened in that revision (the stateless one with
 * server/discover and no session). Within a revision the first target is the reference the others' added latency
 * is measured against; across revisions, per target, what moving to the stateless revision costs or saves.
 */
import type { MatrixScenario } from '../../../scenarios/define.js';
import { STATELESS, STATELESS_INPUT, STREAMABLE_HTTP } from '../../../core/protocol/revisions.js';
import type { Metric, TargetResult } from '../../results/schema.js';
import type { ScenarioKind } from '../kind.js';
import { roundTo } from '../result.js';
import { checkSeatsKnown, estimateComparisonMs, runComparison } from './comparison.js';

const KNOWN: readonly string[] = [STATELESS, STATELESS_INPUT, ...STREAMABLE_HTTP];

/** Per target, the stateless revision against the newest one with sessions: what moving costs (> 1) or saves. */
function perRevision(
  scenario: MatrixScenario,
  targets: Readonly<Record<string, TargetResult>>,
): Record<string, Metric> {
  const m: Record<string, Metric> = {};
  if (scenario.revisions.includes(STATELESS) && scenario.revisions.includes(STREAMABLE_HTTP[0]!))
    for (const t of scenario.targets) {
      const now = targets[`${STREAMABLE_HTTP[0]}.${t}`];
      const next = targets[`${STATELESS}.${t}`];
      if (now?.latency !== undefined && next?.latency !== undefined)
        m[`${t}.stateless_p50_ratio`] = {
          value: roundTo(next.latency.summary.p50_us / Math.max(1, now.latency.summary.p50_us), 3),
          unit: 'ratio',
          better: 'lower',
        };
      if (now !== undefined && next !== undefined && now.throughputRps > 0)
        m[`${t}.stateless_throughput_ratio`] = {
          value: roundTo(next.throughputRps / now.throughputRps, 3),
          unit: 'ratio',
          better: 'higher',
        };
    }
  // What a second round costs: each stateless call asked for input once and sent again, against a plain one.
  if (scenario.revisions.includes(STATELESS) && scenario.revisions.includes(STATELESS_INPUT))
    for (const t of scenario.targets) {
      const plain = targets[`${STATELESS}.${t}`];
      const asked = targets[`${STATELESS_INPUT}.${t}`];
      if (plain?.latency !== undefined && asked?.latency !== undefined)
        m[`${t}.input_round_p50_ratio`] = {
          value: roundTo(asked.latency.summary.p50_us / Math.max(1, plain.latency.summary.p50_us), 3),
          unit: 'ratio',
          better: 'lower',
        };
      if (plain !== undefined && asked !== undefined && plain.throughputRps > 0)
        m[`${t}.input_round_throughput_ratio`] = {
          value: roundTo(asked.throughputRps / plain.throughputRps, 3),
          unit: 'ratio',
          better: 'higher',
        };
    }
  return m;
}

const matrixKind: ScenarioKind<MatrixScenario> = {
  kind: 'matrix',
  estimateMs: (scenario, profile) =>
    estimateComparisonMs(scenario, profile, scenario.targets.length * scenario.revisions.length),
  check: (scenario, targets) => {
    checkSeatsKnown(scenario, targets);
    for (const r of scenario.revisions)
      if (!KNOWN.includes(r))
        throw new Error(`scenario ${scenario.name}: revision "${r}" is not one the mocks speak (${KNOWN.join(', ')})`);
  },
  run: (ctx) =>
    runComparison(ctx, {
      revisions: ctx.scenario.revisions,
      settings: { revisions: ctx.scenario.revisions },
      metrics: (targets) => perRevision(ctx.scenario, targets),
    }),
};

export default matrixKind;
