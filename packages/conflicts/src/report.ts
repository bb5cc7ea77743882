import type { Access, Conflict, Plan } from '@guild/core';
import { AccessIndex, type IndexEntry } from './access-index';
import { describeConflict } from './paths';

interface Declared extends IndexEntry {
  /** Position of the owner in plan order. */
  readonly order: number;
}

/**
 * The static conflict report (`guild conflicts`): every pair of tasks whose accesses conflict
 * and that may run at the same time, i.e. neither depends, even transitively, on the other.
 * Each pair appears once, with `a` before `b` in plan order (the order tasks were declared),
 * and the report is sorted by `a`, then `b`. The reason names the first conflicting accesses
 * found, e.g. `both write src/api/login.ts` or
 * `b reads src/models (directory) that a writes as src/models/user.ts`.
 *
 * Candidate pairs come from a path-segment index, so the cost grows with the number of
 * accesses and of conflicts found, not with the square of the number of tasks.
 */
export function conflictReport(plan: Plan): Conflict[] {
  const index = new AccessIndex<Declared>();
  const size = plan.tasks.size;
  // seenBy[a] === b + 1 once the pair (a, b) has been found: dedupes without a map per task.
  const seenBy = new Int32Array(size);
  const candidates: Conflict[] = [];
  const earlierOf: number[] = [];
  const clashes: Array<{ earlier: Declared; access: Access }> = [];
  let b = 0;
  for (const task of plan.tasks.values()) {
    clashes.length = 0;
    // Only earlier tasks are in the index, so each pair is found once, from its later task.
    for (const access of task.access) {
      index.forEachConflict(access, (earlier) => {
        if (seenBy[earlier.order] === b + 1) return;
        seenBy[earlier.order] = b + 1;
        clashes.push({ earlier, access });
      });
    }
    for (const { earlier, access } of clashes) {
      const described = describeConflict(earlier.access, access, [earlier.owner, task.id]);
      if (described === null) continue;
      candidates.push({ a: earlier.owner, b: task.id, reason: described.reason, key: described.key });
      earlierOf.push(earlier.order);
    }
    for (const access of task.access) index.add({ owner: task.id, access, order: b });
    b++;
  }
  // Pairs ordered by dependencies never run together: drop them, answering all pairs at once.
  const ordered = plan.graph.orderedPairs(candidates.map((c) => [c.a, c.b] as const));
  const found: Conflict[] = [];
  const foundEarlier: number[] = [];
  candidates.forEach((c, i) => {
    if (ordered[i] === 1) return;
    found.push(c);
    foundEarlier.push(earlierOf[i]!);
  });
  return sortByEarlier(found, foundEarlier, size);
}

/**
 * Pairs were found in order of their later task; a stable counting sort on the earlier one
 * gives the report's order in linear time.
 */
function sortByEarlier(found: readonly Conflict[], earlierOf: readonly number[], size: number): Conflict[] {
  const start = new Int32Array(size + 1);
  for (const a of earlierOf) start[a + 1] = (start[a + 1] as number) + 1;
  for (let i = 0; i < size; i++) start[i + 1] = (start[i + 1] as number) + (start[i] as number);
  const sorted = new Array<Conflict>(found.length);
  found.forEach((conflict, i) => {
    const a = earlierOf[i] as number;
    sorted[start[a] as number] = conflict;
    start[a] = (start[a] as number) + 1;
  });
  return sorted;
}
