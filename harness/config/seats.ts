/**
 * `--seats A,B`: run only some seats of each comparison and shootout. The reference seat (the first, `direct`)
 * always runs, since every ratio is to it; a `--target` seat always runs, since it was asked for. A seat left out
 * takes its gates and goals with it (a gate on a seat that did not run would fail as "no such metric"), and a
 * shootout's "ours" in a mode whose seat is left out is dropped (its ratios to ours are then not drawn).
 */
import type { ComparisonScenario, Scenario, ShootoutScenario } from '../../scenarios/define.js';
import { gatesWhere } from '../../scenarios/thresholds.js';
import { ConfigError } from '../../core/runtime/errors.js';

type Seated = ComparisonScenario | ShootoutScenario;

function isSeated(s: Scenario): s is Seated {
  return s.kind === 'comparison' || s.kind === 'shootout';
}

/** The names in `--seats`, checked: a comma-separated list of names, none empty. */
export function seatsFlag(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  const names = String(value)
    .split(',')
    .map((n) => n.trim());
  if (names.some((n) => n === ''))
    throw new ConfigError(
      `--seats takes seat names separated by commas, e.g. --seats bridged,mcp-proxy; got "${String(value)}"`,
    );
  return names;
}

/**
 * The scenarios with only the seats named (and each one's reference). A name that is no seat of any comparison or
 * shootout named, nor a --target, is refused with the seats there are.
 */
export function selectSeats(
  scenarios: readonly Scenario[],
  seats: readonly string[],
  extraTargets: readonly string[],
  /** Who asked, for the errors: the flag, or the config file's field. */
  source = '--seats',
): Scenario[] {
  const seated = scenarios.filter(isSeated);
  if (seated.length === 0)
    throw new ConfigError(
      `${source} picks seats of comparisons and shootouts; none of the scenarios named has seats (${scenarios.map((s) => s.name).join(', ')})`,
    );
  const known = new Set([...seated.flatMap((s) => s.targets), ...extraTargets]);
  const unknown = seats.filter((n) => !known.has(n));
  if (unknown.length > 0)
    throw new ConfigError(
      `${source}: ${unknown.map((n) => `"${n}"`).join(', ')} is not a seat of ${seated.map((s) => s.name).join(', ')}; the seats: ${[...known].join(', ')}`,
    );
  return scenarios.map((s) => (isSeated(s) ? narrow(s, new Set(seats)) : s));
}

function narrow<S extends Seated>(s: S, seats: ReadonlySet<string>): S {
  const kept = s.targets.filter((t, i) => i === 0 || seats.has(t));
  const left = new Set(s.targets.filter((t) => !kept.includes(t)));
  // A seat's metrics are named after it: `<seat>.errors`, `<seat>.to_best_peer`, …
  const measured = (metric: string): boolean => !left.has(metric.split('.')[0]!);
  const narrowed = {
    ...s,
    targets: kept,
    thresholds: gatesWhere(s.thresholds, measured),
    goals: gatesWhere(s.goals, measured),
  };
  if (s.kind !== 'shootout') return narrowed;
  const ours = Object.fromEntries(Object.entries(s.ours).filter(([, name]) => kept.includes(name)));
  return { ...narrowed, ours } as S;
}
