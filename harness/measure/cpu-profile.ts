/**
 * A V8 `.cpuprofile` (node --cpu-prof) → what a report can draw and a reader can act on: the call tree as a flame
 * graph (each frame's samples, pruned to what is visible) and the functions with the most self time. Idle samples
 * are left out, so percentages are of the time the process was busy. Pure: the file is read by the caller.
 */

/** Who owns the code a frame runs: ours (proxy/, core/), Node's own, a dependency, or the VM (GC, native). */
export type FrameOwner = 'ours' | 'node' | 'deps' | 'vm';

export interface FlameNode {
  readonly name: string;
  /** Where it is: a path inside the package (proxy/http1/server.js), node:internal/…, or '' for the VM. */
  readonly file: string;
  /** 1-based, 0 when unknown. */
  readonly line: number;
  readonly owner: FrameOwner;
  /** Samples in this frame itself. */
  readonly self: number;
  /** Samples in this frame and everything it called. */
  readonly total: number;
  readonly children: readonly FlameNode[];
}

export interface TopFunction {
  readonly name: string;
  readonly file: string;
  readonly line: number;
  readonly owner: FrameOwner;
  /** Share of busy samples spent in the function itself, %. */
  readonly selfPct: number;
  readonly selfMs: number;
  /** Share of busy samples with the function anywhere on the stack, %. */
  readonly totalPct: number;
}

/** A process's CPU profile as results.json keeps it: small enough to store, enough to draw. */
export interface CpuProfileRecord {
  /** Which process, under what load ("proxy (reverse), 500 calls/s open model"). */
  readonly process: string;
  readonly durationMs: number;
  /** Busy samples (idle left out). */
  readonly samples: number;
  readonly intervalUs: number;
  /** Share of the profile's time the process was idle, %. */
  readonly idlePct: number;
  readonly tree: FlameNode;
  readonly top: readonly TopFunction[];
}

interface RawNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface RawProfile {
  readonly nodes: readonly RawNode[];
  readonly samples: readonly number[];
  readonly timeDeltas?: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface SummariseOptions {
  readonly process: string;
  /** Frames below this share of busy samples are left out of the tree (their time stays in their parent's total). */
  readonly minPct?: number;
  readonly topCount?: number;
  /**
   * Keep only samples taken in this window, µs on the monotonic clock (V8's profile clock is CLOCK_MONOTONIC, as is
   * process.hrtime): the load, without the process's start-up and shutdown.
   */
  readonly window?: { readonly fromUs: number; readonly toUs: number };
}

/** Reads a parsed `.cpuprofile`; throws on a shape that is not one. */
export function summariseCpuProfile(profile: unknown, options: SummariseOptions): CpuProfileRecord {
  const raw = profile as RawProfile;
  if (!Array.isArray(raw?.nodes) || !Array.isArray(raw.samples) || typeof raw.startTime !== 'number')
    throw new Error('not a V8 CPU profile (no nodes, samples and startTime)');
  const byId = new Map<number, RawNode>(raw.nodes.map((n) => [n.id, n]));
  const selfCount = new Map<number, number>();
  const window = options.window;
  let at = raw.startTime;
  let kept = 0;
  let first = Infinity;
  let last = -Infinity;
  raw.samples.forEach((id, i) => {
    at += raw.timeDeltas?.[i] ?? 0;
    if (window !== undefined && (at < window.fromUs || at > window.toUs)) return;
    kept++;
    first = Math.min(first, at);
    last = Math.max(last, at);
    selfCount.set(id, (selfCount.get(id) ?? 0) + 1);
  });
  if (window !== undefined && kept === 0) throw new Error('no sample of the CPU profile falls in the load window');
  const childIds = new Set(raw.nodes.flatMap((n) => n.children ?? []));
  const root = raw.nodes.find((n) => !childIds.has(n.id));
  if (root === undefined) throw new Error('a CPU profile without a root node');

  const idle = raw.nodes
    .filter((n) => n.callFrame.functionName === '(idle)')
    .reduce((a, n) => a + (selfCount.get(n.id) ?? 0), 0);
  const busy = kept - idle;
  const spanUs = window === undefined ? raw.endTime - raw.startTime : last - first;
  const durationMs = spanUs / 1000;
  const intervalUs = kept > 0 ? spanUs / kept : 0;
  const minSamples = ((options.minPct ?? 0.5) / 100) * busy;

  // The whole tree with totals, idle left out; frames of one function under one parent merged.
  interface Full {
    key: string;
    node: RawNode;
    self: number;
    total: number;
    children: Full[];
  }
  const build = (node: RawNode): Full => {
    const merged = new Map<string, Full>();
    for (const id of node.children ?? []) {
      const child = byId.get(id);
      if (child === undefined || child.callFrame.functionName === '(idle)') continue;
      const built = build(child);
      const same = merged.get(built.key);
      if (same === undefined) merged.set(built.key, built);
      else mergeInto(same, built);
    }
    const children = [...merged.values()];
    const self = selfCount.get(node.id) ?? 0;
    return { key: frameKey(node), node, self, total: self + children.reduce((a, c) => a + c.total, 0), children };
  };
  const mergeInto = (into: Full, from: Full): void => {
    into.self += from.self;
    into.total += from.total;
    for (const c of from.children) {
      const same = into.children.find((x) => x.key === c.key);
      if (same === undefined) into.children.push(c);
      else mergeInto(same, c);
    }
  };
  const full = build(root);

  const prune = (f: Full): FlameNode => {
    const { name, file, line, owner } = describeFrame(f.node);
    return {
      name,
      file,
      line,
      owner,
      self: f.self,
      total: f.total,
      children: f.children
        .filter((c) => c.total >= minSamples && c.total > 0)
        .sort((a, b) => b.total - a.total)
        .map(prune),
    };
  };

  // Self time by function; total counts a function once per stack, however deep its recursion.
  const selfBy = new Map<string, { node: RawNode; self: number; total: number }>();
  const onPath = new Map<string, number>();
  const walk = (f: Full): void => {
    let entry = selfBy.get(f.key);
    if (entry === undefined) selfBy.set(f.key, (entry = { node: f.node, self: 0, total: 0 }));
    entry.self += f.self;
    const depth = onPath.get(f.key) ?? 0;
    if (depth === 0) entry.total += f.total;
    onPath.set(f.key, depth + 1);
    for (const c of f.children) walk(c);
    onPath.set(f.key, depth);
  };
  for (const c of full.children) walk(c);
  const pct = (n: number): number => (busy > 0 ? Math.round((1000 * n) / busy) / 10 : 0);
  const top = [...selfBy.values()]
    .filter((e) => e.self > 0)
    .sort((a, b) => b.self - a.self)
    .slice(0, options.topCount ?? 15)
    .map((e) => ({
      ...describeFrame(e.node),
      selfPct: pct(e.self),
      selfMs: Math.round((e.self * intervalUs) / 100) / 10,
      totalPct: pct(e.total),
    }));

  return {
    process: options.process,
    durationMs: Math.round(durationMs),
    samples: busy,
    intervalUs: Math.round(intervalUs),
    idlePct: kept > 0 ? Math.round((1000 * idle) / kept) / 10 : 0,
    tree: { ...prune(full), name: 'all', file: '', line: 0, owner: 'vm' },
    top,
  };
}

function frameKey(node: RawNode): string {
  const f = node.callFrame;
  return `${f.functionName}\u0000${f.url}\u0000${f.lineNumber}`;
}

/** A frame's name, its file as a reader knows it, and who owns it. */
export function describeFrame(node: Pick<RawNode, 'callFrame'>): {
  name: string;
  file: string;
  line: number;
  owner: FrameOwner;
} {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName === '' ? '(anonymous)' : functionName;
  const line = lineNumber >= 0 ? lineNumber + 1 : 0;
  if (url === '') return { name, file: '', line: 0, owner: 'vm' };
  if (url.startsWith('node:')) return { name, file: url, line, owner: 'node' };
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) return { name, file: path.slice(modules + '/node_modules/'.length), line, owner: 'deps' };
  const dist = path.lastIndexOf('/dist/');
  const file = dist >= 0 ? path.slice(dist + '/dist/'.length) : path;
  return { name, file, line, owner: /^(proxy|core|mock-upstreams|harness)\//.test(file) ? 'ours' : 'deps' };
}
