#!/usr/bin/env node
// Why: the apps' folders are meant to depend one way; this lists the import cycles between folders.
// Usage: node scripts/folder-cycles.mjs [app-src-dir...]  (exit 1 when a cycle exists)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Every non-spec .ts file under `dir`. */
function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') && !p.endsWith('.spec.ts') ? [p] : [];
  });
}

/** The top folder of `file` inside `root` ('.' for files at the root). */
function folderOf(root, file) {
  const rel = relative(root, file).split(sep);
  return rel.length > 1 ? rel[0] : '.';
}

/** Folder → folders it imports from, for one app's src. */
export function folderGraph(root) {
  const graph = new Map();
  for (const file of sources(root)) {
    const from = folderOf(root, file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const to = folderOf(root, resolve(dirname(file), m[1]));
      if (to === from || to.startsWith('..')) continue;
      if (!graph.has(from)) graph.set(from, new Set());
      graph.get(from).add(to);
    }
  }
  return graph;
}

/** The strongly connected groups of more than one folder (Tarjan). */
export function folderCycles(graph) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const out = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const group = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) out.push(group.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

/** Each pair of folders that import each other, directly or through others, as "a ↔ b" edges. */
export function cycleEdges(graph) {
  const edges = [];
  for (const group of folderCycles(graph)) {
    for (const a of group) for (const b of graph.get(a) ?? []) if (group.includes(b)) edges.push(`${a} → ${b}`);
  }
  return edges.sort();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const roots = process.argv.slice(2);
  let found = 0;
  for (const root of roots.length ? roots : ['apps/gateway/src', 'apps/neuron/src']) {
    const groups = folderCycles(folderGraph(root));
    found += groups.length;
    console.log(`${root}: ${groups.length ? groups.map((g) => g.join(' ↔ ')).join('; ') : 'no folder cycles'}`);
    for (const e of cycleEdges(folderGraph(root))) console.log(`  ${e}`);
  }
  process.exit(found ? 1 : 0);
}
