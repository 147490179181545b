/**
 * MCP protocol revisions, in one place. The load generator speaks LATEST; the mocks accept STREAMABLE_HTTP; the
 * legacy HTTP+SSE transport is LEGACY_SSE's; STATELESS is the revision without sessions (requests carry no
 * Mcp-Session-Id; Mcp-Method and Mcp-Name headers travel with each).
 */

/** The newest revision with sessions: what mcp-perf's clients ask for at initialize. */
export const LATEST = '2025-11-25';

/** Revisions the Streamable HTTP and stdio mocks accept, newest first. */
export const STREAMABLE_HTTP = Object.freeze(['2025-11-25', '2025-06-18', '2025-03-26'] as const);

/** The legacy HTTP+SSE transport's revision. */
export const LEGACY_SSE = '2024-11-05';

/** The stateless revision. */
export const STATELESS = '2026-07-28';
/**
 * Not a revision: the stateless one with every call asking the client for input once (a multi round-trip request,
 * `input_required`, answered and sent again), as protocol-matrix seats it to show what the second round costs.
 */
export const STATELESS_INPUT = `${STATELESS}-input`;
/**
 * Not a revision either: the stateless one with every call made a task (the tasks extension: a handle at once, then
 * tasks/get until it is done), as protocol-matrix seats it to show what polling costs.
 */
export const STATELESS_TASK = `${STATELESS}-task`;
