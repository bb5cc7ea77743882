import { createPlan, type Plan, type TaskSpec } from '@guild/core';
import { createMonitorState, type MonitorState } from './state';

/*
 * Builders for this package's tests: real plans from core's own plan builder.
 */

/** A plan of `specs` rooted at `/repo` (nothing on disk is touched). */
export function plan(specs: TaskSpec[]): Plan {
  return createPlan(specs, { root: '/repo' });
}

/** A fresh monitor state for `specs`, with `slots` slots (and no boost). */
export function stateFor(specs: TaskSpec[], slots = 3): MonitorState {
  return createMonitorState({
    plan: plan(specs),
    runId: 'RUN1',
    logDir: '/repo/.guild/runs/RUN1/logs',
    cwd: '/repo',
    slots,
    boost: slots,
  });
}
