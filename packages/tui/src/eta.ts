import type { Seconds } from '@guild/core';
import { isDone, type MonitorState } from './state.js';

/**
 * Seconds until the run is likely over, or `undefined` when there is no honest guess.
 *
 * The remaining critical path, as `plan.graph.bottomLevel` measures it, recomputed over the
 * tasks not done: each task counts its estimate, minus the time it has been running (a retry
 * adds its back-off); a task's level is that plus the largest level among its successors.
 * The answer is the larger of the longest level and the remaining work spread over the slots.
 * Tasks whose estimate is only the default take the mean duration of the tasks that succeeded
 * in this run; before any did, the answer is `undefined`, as it is when tasks have overrun their
 * estimates so that nothing is left to count.
 */
export function estimateRemaining(s: MonitorState, now: number): Seconds | undefined {
  const { graph } = s.plan;
  const mean = s.observed.n > 0 ? s.observed.ms / s.observed.n / 1000 : undefined;
  const level = new Map<string, Seconds>();
  let longest = 0;
  let work = 0;
  let open = 0;
  for (let i = graph.order.length - 1; i >= 0; i--) {
    const id = graph.order[i]!;
    const view = s.tasks.get(id);
    const task = s.plan.tasks.get(id);
    if (!view || !task || isDone(view.state)) continue;
    open++;
    const estimate = task.estimateFrom === 'default' ? mean : task.estimate;
    if (estimate === undefined) return undefined;
    let own = estimate;
    if ((view.state === 'running' || view.state === 'starting') && view.since !== undefined) {
      own = Math.max(0, estimate - (now - view.since) / 1000);
    } else if (view.state === 'retrying' && view.retryAt !== undefined) {
      own = estimate + Math.max(0, (view.retryAt - now) / 1000);
    }
    let after = 0;
    for (const next of graph.successors(id)) after = Math.max(after, level.get(next) ?? 0);
    const mine = own + after;
    level.set(id, mine);
    longest = Math.max(longest, mine);
    work += own;
  }
  if (open === 0) return 0;
  const eta = Math.max(longest, work / Math.max(1, s.slots));
  return eta >= 1 ? eta : undefined;
}
