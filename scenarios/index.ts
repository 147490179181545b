/** Every scenario mcp-perf knows, by name, in the order a full run takes them. */
import type { Scenario } from './define.js';
import directVsProxied from './direct-vs-proxied.js';
import components from './components.js';
import sseFanout from './sse-fanout.js';
import stdioBridge from './stdio-bridge.js';
import stdioHammer from './stdio-hammer.js';
import memoryPerSession from './memory-per-session.js';
import concurrency from './concurrency.js';
import soak from './soak.js';
import stressAndFaults from './stress-and-faults.js';

export {
  defineScenario,
  PROFILES,
  type ProfileName,
  type Scenario,
  type ComparisonScenario,
  type ComparisonProfile,
  type FanoutScenario,
  type FanoutProfile,
  type ComponentsScenario,
  type StdioHammerScenario,
  type MemoryScenario,
  type ConcurrencyScenario,
  type SoakScenario,
  type StressScenario,
  type TargetName,
} from './define.js';

export const SCENARIOS: ReadonlyMap<string, Scenario> = new Map(
  [
    directVsProxied,
    stdioBridge,
    stdioHammer,
    sseFanout,
    memoryPerSession,
    concurrency,
    soak,
    stressAndFaults,
    components,
  ].map((s) => [s.name, s]),
);
