/**
 * The stateless revision's streams: what sse-fanout measures on GET streams, on `subscriptions/listen` (2026-07-28:
 * no session, one long-lived POST per client whose SSE answer carries the notifications asked for). Each client asks
 * for tools/list_changed; the mock sends them sequenced and timestamped at the profile's rate. Run when named, beside
 * sse-fanout, to see what the revision's streams cost through the proxy.
 */
import { defineScenario } from './define.js';
import sseFanout from './sse-fanout.js';

// The same profiles and gates as sse-fanout: the two are read side by side.
export default defineScenario({
  ...sseFanout,
  name: 'listen-fanout',
  onlyWhenNamed: true,
  streamsVia: 'listen',
  description:
    'N concurrent subscriptions/listen streams (revision 2026-07-28, no session) through the proxy receiving sequenced tools/list_changed: delivery latency, loss, duplicates, reordering, proxy memory and CPU.',
});
