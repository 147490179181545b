/**
 * The matrix kind: the comparison's interleaved load, once per MCP revision, on each of the scenario's targets — a
 * seat per revision and target (`2026-07-28.proxied`), its sessions opened in that revision (the stateless one with
 * server/discover and no session). Within a revision the first target is the reference the others' added latency
 * is measured against; across revisions, per target, what moving to the stateless revision costs or saves.
 */
import type { MatrixScenario } from '../../../scenarios/define.js';
import { STATELESS, STATELESS_INPUT, STATELESS_TASK, STREAMABLE_HTTP } from '../../../core/protocol/revisions.js';
import type { Metric, TargetResult } from '../../results/schema.js';
import type { ScenarioKind } from '../kind.js';
import { StatelessHttpSession } from '../../load/mcp-session.js';
import type { CallableSession } from '../../load/outcome.js';
import { roundTo } from '../result.js';
import { checkSeatsKnown, estimateComparisonMs, runComparison } from './comparison.js';

const KNOWN: readonly string[] = [STATELESS, STATELESS_INPUT, STATELESS_TASK, ...STREAMABLE_HTTP];

/**
 * Per target, one seat's revision against another's: p50 and calls/s ratios, `<target>.<name>_p50_ratio` (> 1 costs)
 * and `<target>.<name>_throughput_ratio` (< 1 costs).
 */
function ratios(
  scenario: MatrixScenario,
  targets: Readonly<Record<string, TargetResult>>,
  name: string,
  from: string,
  to: string,
): Record<string, Metric> {
  const m: Record<string, Metric> = {};
  if (!scenario.revisions.includes(from) || !scenario.revisions.includes(to)) return m;
  for (const t of scenario.targets) {
    const a = targets[`${from}.${t}`];
    const b = targets[`${to}.${t}`];
    if (a?.latency !== undefined && b?.latency !== undefined)
      m[`${t}.${name}_p50_ratio`] = {
        value: roundTo(b.latency.summary.p50_us / Math.max(1, a.latency.summary.p50_us), 3),
        unit: 'ratio',
        better: 'lower',
      };
    if (a !== undefined && b !== undefined && a.throughputRps > 0)
      m[`${t}.${name}_throughput_ratio`] = {
        value: roundTo(b.throughputRps / a.throughputRps, 3),
        unit: 'ratio',
        better: 'higher',
      };
  }
  return m;
}

/**
 * Per target: the stateless revision against the newest one with sessions (what moving costs or saves), and a call
 * that asks for input once against a plain stateless one (what a multi round-trip request's second round costs), and
 * one made a task and polled against a plain one (what the tasks extension costs a call).
 */
function perRevision(
  scenario: MatrixScenario,
  targets: Readonly<Record<string, TargetResult>>,
): Record<string, Metric> {
  return {
    ...ratios(scenario, targets, 'stateless', STREAMABLE_HTTP[0]!, STATELESS),
    ...ratios(scenario, targets, 'input_round', STATELESS, STATELESS_INPUT),
    ...ratios(scenario, targets, 'task', STATELESS, STATELESS_TASK),
  };
}

/**
 * Per seat of the stateless revision, what its calls were (warm-ups included): `<seat>.tasks_per_call` (answered with a
 * task handle), `<seat>.polls_per_task` (tasks/get sent per task) and `<seat>.input_rounds_per_call` (input_required
 * answered) — so a -task seat can be checked to have made every call a task and polled it, which its p50 alone
 * cannot show.
 */
function callShapes(sessions: ReadonlyMap<string, readonly CallableSession[]>): Record<string, Metric> {
  const m: Record<string, Metric> = {};
  for (const [seat, list] of sessions) {
    const counts = { calls: 0, tasks: 0, polls: 0, inputRounds: 0 };
    for (const session of list) {
      if (!(session instanceof StatelessHttpSession)) continue;
      for (const k of Object.keys(counts) as Array<keyof typeof counts>) counts[k] += session.counts[k];
    }
    if (counts.calls === 0) continue;
    const ratio = (value: number): Metric => ({ value: roundTo(value, 3), unit: 'ratio', better: 'none' });
    m[`${seat}.tasks_per_call`] = ratio(counts.tasks / counts.calls);
    m[`${seat}.polls_per_task`] = ratio(counts.tasks === 0 ? 0 : counts.polls / counts.tasks);
    m[`${seat}.input_rounds_per_call`] = ratio(counts.inputRounds / counts.calls);
  }
  return m;
}

const matrixKind: ScenarioKind<MatrixScenario> = {
  kind: 'matrix',
  estimateMs: (scenario, profile) =>
    estimateComparisonMs(
      scenario,
      profile,
      scenario.revisions.flatMap(() => scenario.targets),
    ),
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
      metrics: (targets, sessions) => ({ ...perRevision(ctx.scenario, targets), ...callShapes(sessions) }),
    }),
};

export default matrixKind;
