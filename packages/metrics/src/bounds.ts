import { planBounds, type Plan, type PlanBounds, type PlanGraph, type Seconds, type Task } from '@guild/core';

/**
 * The bounds of {@link planBounds} with measured durations in place of estimates: the longest
 * dependency chain by time really spent running, the work spread over the slots, and the work
 * that had to queue for one exclusive resource. `busy` gives each task's running seconds
 * (0 for a task that never ran).
 */
export function measuredBounds(plan: Plan, busy: (id: string) => Seconds, slots: number, boost: number): PlanBounds {
  const tasks = new Map<string, Task>();
  for (const [id, task] of plan.tasks) tasks.set(id, { ...task, estimate: busy(id) });
  const g = plan.graph;
  const criticalPath = longestPath(g, busy);
  // planBounds reads the estimates and the critical path; the rest of the graph is the plan's own.
  const graph: PlanGraph = {
    order: g.order,
    predecessors: (id) => g.predecessors(id),
    successors: (id) => g.successors(id),
    bottomLevel: (id) => g.bottomLevel(id),
    criticalPath: () => criticalPath,
    stages: () => g.stages(),
    reaches: (from, to) => g.reaches(from, to),
    orderedPairs: (pairs) => g.orderedPairs(pairs),
  };
  return planBounds({ ...plan, tasks, graph }, slots, boost);
}

/** The longest chain of dependent tasks by `weight`, over the graph's topological order. */
function longestPath(g: PlanGraph, weight: (id: string) => Seconds): { length: Seconds; ids: string[] } {
  const best = new Map<string, { length: Seconds; prev?: string }>();
  let end: string | undefined;
  let length = 0;
  for (const id of g.order) {
    let from: { length: Seconds; prev?: string } = { length: 0 };
    for (const p of g.predecessors(id)) {
      const l = best.get(p)?.length ?? 0;
      if (l > from.length || from.prev === undefined) from = { length: l, prev: p };
    }
    const here = { length: from.length + weight(id), ...(from.prev !== undefined ? { prev: from.prev } : {}) };
    best.set(id, here);
    if (end === undefined || here.length > length) {
      end = id;
      length = here.length;
    }
  }
  const ids: string[] = [];
  for (let id = end; id !== undefined; id = best.get(id)?.prev) ids.push(id);
  return { length, ids: ids.reverse() };
}
