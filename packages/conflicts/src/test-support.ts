import type { Access, Plan, PlanGraph, Task } from '@guild/core';

/*
 * Builders for this package's tests. Core's plan loader is written alongside this package,
 * so plans here are built by hand: just enough PlanGraph for the conflict report.
 */

const GLOB_SYNTAX = /[*?[\]{}]/;

/** A write of a path, directory or glob (glob when it has glob syntax). */
export const w = (path: string): Access => ({ kind: 'path', path, mode: 'write', glob: GLOB_SYNTAX.test(path) });
/** A read of a path, directory or glob (glob when it has glob syntax). */
export const r = (path: string): Access => ({ kind: 'path', path, mode: 'read', glob: GLOB_SYNTAX.test(path) });
/** A named resource, exclusive unless `shared`. */
export const res = (name: string, shared = false): Access => ({ kind: 'resource', name, shared });

/** A normalised task with the given accesses and defaults for everything else. */
export function task(id: string, access: Access[], extra: Partial<Task> = {}): Task {
  return {
    id,
    title: id,
    priority: 2,
    dependsOn: [],
    runner: 'shell',
    run: 'true',
    cwd: '/repo',
    env: {},
    access,
    estimate: 60,
    estimateFrom: 'default',
    retries: 0,
    spec: { id },
    ...extra,
  };
}

/** A plan over `tasks` (in that order) with a graph built from their `dependsOn`. */
export function plan(tasks: Task[]): Plan {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const successors = new Map<string, string[]>(tasks.map((t) => [t.id, []]));
  for (const t of tasks) for (const dep of t.dependsOn) successors.get(dep)?.push(t.id);
  const order: string[] = [];
  const indegree = new Map(tasks.map((t) => [t.id, t.dependsOn.length]));
  const queue = tasks.filter((t) => t.dependsOn.length === 0).map((t) => t.id);
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head] as string;
    order.push(id);
    for (const s of successors.get(id) ?? []) {
      const left = (indegree.get(s) ?? 0) - 1;
      indegree.set(s, left);
      if (left === 0) queue.push(s);
    }
  }
  const reachable = new Map<string, Set<string>>();
  const reachFrom = (from: string): Set<string> => {
    let seen = reachable.get(from);
    if (seen !== undefined) return seen;
    seen = new Set();
    const stack = [...(successors.get(from) ?? [])];
    while (stack.length > 0) {
      const id = stack.pop() as string;
      if (seen.has(id)) continue;
      seen.add(id);
      stack.push(...(successors.get(id) ?? []));
    }
    reachable.set(from, seen);
    return seen;
  };
  const bottomLevel = (id: string): number =>
    (byId.get(id)?.estimate ?? 0) + Math.max(0, ...(successors.get(id) ?? []).map(bottomLevel));
  const graph: PlanGraph = {
    order,
    predecessors: (id) => byId.get(id)?.dependsOn ?? [],
    successors: (id) => successors.get(id) ?? [],
    bottomLevel,
    criticalPath: () => ({ length: Math.max(0, ...order.map(bottomLevel)), ids: [] }),
    stages: () => [order],
    reaches: (from, to) => reachFrom(from).has(to),
    orderedPairs: (pairs) =>
      Uint8Array.from(pairs, ([a, b]) => (reachFrom(a).has(b) || reachFrom(b).has(a) ? 1 : 0)),
  };
  return { root: '/repo', tasks: byId, graph };
}

/** A deterministic pseudo-random generator (mulberry32), so failures can be replayed. */
export function random(seed: number): { next(): number; int(n: number): number; pick<T>(xs: readonly T[]): T } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return { next, int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)] as T };
}
