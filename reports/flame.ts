/**
 * A CPU profile's call tree (harness/measure/cpu-profile.ts) as an icicle flame graph in SVG: the whole busy time
 * across the top, each callee under its caller, widths in proportion to samples. Vector, so it prints sharp; no
 * script, so it reads the same in a PDF. Colour says who owns a frame (ours, Node, a dependency, the VM) and the
 * legend says it in words; every frame has a <title> with its file, line and share.
 */
import type { CpuProfileRecord, FlameNode, FrameOwner } from '../harness/measure/cpu-profile.js';
import { esc } from './render.js';

const WIDTH = 1000;
const ROW = 17;
const MAX_DEPTH = 40;
/** Frames narrower than this (in viewBox units) are drawn but not labelled. */
const LABEL_MIN = 36;
const CHAR = 6.1;

export const OWNER_COLOUR: Readonly<Record<FrameOwner, string>> = Object.freeze({
  ours: '#f0883e',
  node: '#54aeff',
  deps: '#4ac26b',
  vm: '#afb8c1',
});

export const OWNER_LABEL: Readonly<Record<FrameOwner, string>> = Object.freeze({
  ours: 'mcp-perf (proxy/, core/)',
  node: 'Node.js internals',
  deps: 'dependencies',
  vm: 'V8 / native (GC, syscalls)',
});

export function flameGraphSvg(profile: CpuProfileRecord, id = 'flame'): string {
  const total = profile.tree.total;
  const rects: string[] = [];
  let depth = 0;
  const draw = (node: FlameNode, x: number, level: number): void => {
    const w = total > 0 ? (node.total / total) * WIDTH : 0;
    if (w < 0.3 || level >= MAX_DEPTH) return;
    depth = Math.max(depth, level + 1);
    const y = level * ROW;
    const share = total > 0 ? ((100 * node.total) / total).toFixed(1) : '0';
    const where = node.file === '' ? '' : ` — ${node.file}${node.line > 0 ? `:${node.line}` : ''}`;
    const label = fit(node.name, w);
    rects.push(
      `<g><title>${esc(`${node.name}${where} · ${share}% of busy time (${node.total} samples, ${node.self} self)`)}</title>` +
        `<rect x="${x.toFixed(2)}" y="${y}" width="${Math.max(w - 0.4, 0.2).toFixed(2)}" height="${ROW - 1}" fill="${OWNER_COLOUR[node.owner]}"/>` +
        (label === '' ? '' : `<text x="${(x + 3).toFixed(2)}" y="${y + ROW - 5}">${esc(label)}</text>`) +
        '</g>',
    );
    let cx = x;
    for (const child of node.children) {
      draw(child, cx, level + 1);
      cx += total > 0 ? (child.total / total) * WIDTH : 0;
    }
  };
  draw(profile.tree, 0, 0);
  const height = depth * ROW;
  const ours = shareOf(profile.tree, 'ours', total);
  return `<figure class="flame">
<svg id="${esc(id)}" role="img" aria-labelledby="${esc(id)}-title ${esc(id)}-desc" viewBox="0 0 ${WIDTH} ${height}" width="100%" preserveAspectRatio="xMinYMin meet" font-family="system-ui, sans-serif" font-size="10.5">
<title id="${esc(id)}-title">Flame graph: where ${esc(profile.process)} spends its CPU time</title>
<desc id="${esc(id)}-desc">${profile.samples} busy samples; ${ours.toFixed(1)}% of busy time is self time of mcp-perf's own functions among the frames drawn (those over 0.5% of busy time). The table below lists the top functions by self time.</desc>
${rects.join('\n')}
</svg>
<figcaption>${(Object.keys(OWNER_COLOUR) as FrameOwner[]).map((o) => `<span class="swatch" style="background:${OWNER_COLOUR[o]}"></span> ${esc(OWNER_LABEL[o])}`).join(' &nbsp; ')}
<br>Top: all busy time; below each frame, what it called; width ∝ samples. ${profile.samples} samples at ~${profile.intervalUs} µs over ${(profile.durationMs / 1000).toFixed(1)} s; the process was idle ${profile.idlePct}% of that time (left out).</figcaption>
</figure>`;
}

/** Self time of frames owned by `owner`, % of busy samples. */
function shareOf(node: FlameNode, owner: FrameOwner, total: number): number {
  const self = (n: FlameNode): number => (n.owner === owner ? n.self : 0) + n.children.reduce((a, c) => a + self(c), 0);
  return total > 0 ? (100 * self(node)) / total : 0;
}

function fit(name: string, width: number): string {
  if (width < LABEL_MIN) return '';
  const chars = Math.floor((width - 6) / CHAR);
  return name.length <= chars ? name : `${name.slice(0, Math.max(chars - 1, 1))}…`;
}
