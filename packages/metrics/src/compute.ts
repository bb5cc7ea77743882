import { applyEvent, initialRunState, planBounds, type Conflict, type Plan, type RunEvent, type TaskState } from '@guild/core';
import { measuredBounds } from './bounds';
import { measureOverhead } from './overhead';
import { traceRun, type RunTrace } from './trace';
import type { RunMetrics, TaskEnd, TaskMetrics, Utilization } from './types';
import { conflictHolds, splitAtRelease, timeIn, waitSpans } from './waits';

/** What {@link computeMetrics} works from. */
export interface MetricsInput {
  /** The run's events in log order (e.g. `readEventLog(paths.events).events`). */
  events: readonly RunEvent[];
  /** The plan that ran: titles, runners, priorities, dependencies, resources and estimates. */
  plan: Plan;
  /** Default: the id in the first `run.started`. */
  runId?: string;
  /** Slots and boost slots; default: those of the last `run.started` (1 without one). */
  slots?: number;
  boost?: number;
  /** The static conflict report (`RunEndContext.conflicts()`); without it `conflicts` is `null`. */
  conflicts?: readonly Conflict[];
}

const END_STATES: ReadonlySet<TaskState> = new Set(['succeeded', 'failed', 'timed-out', 'cancelled', 'skipped']);

/**
 * Computes a run's metrics from its event log: a pure function of its input, exact on a
 * virtual clock. Tolerates odd logs (a crashed and resumed run, repeated attempts, events for
 * tasks not in the plan) without throwing. Definitions are on {@link RunMetrics}.
 */
export function computeMetrics(input: MetricsInput): RunMetrics {
  const { events, plan } = input;
  const run = traceRun(events, plan.tasks.keys());
  splitAtRelease(run);
  const state = initialRunState('', plan.tasks.keys());
  for (const e of events) applyEvent(state, e);
  const slots = Math.max(1, input.slots ?? run.slots ?? 1);
  const boost = Math.max(slots, input.boost ?? run.boost ?? slots);
  const runId = input.runId ?? events.find((e) => e.type === 'run.started')?.runId ?? '';

  const tasks: TaskMetrics[] = [];
  const counts: Record<TaskEnd, number> = { succeeded: 0, failed: 0, 'timed-out': 0, cancelled: 0, skipped: 0, unfinished: 0 };
  const busy = new Map<string, number>();
  let work = 0;
  let attempts = 0;
  let retries = 0;
  for (const task of plan.tasks.values()) {
    const trace = run.tasks.get(task.id)!;
    const status = state.tasks.get(task.id)!;
    const ran = trace.attempts.reduce((sum, a) => sum + (a.end - a.start), 0);
    busy.set(task.id, ran);
    work += ran;
    attempts += trace.attempts.length;
    retries += trace.retries;
    counts[END_STATES.has(status.state) ? (status.state as TaskEnd) : 'unfinished']++;
    const last = trace.attempts.at(-1);
    tasks.push({
      id: task.id,
      title: task.title,
      runner: task.runner,
      priority: task.priority,
      state: status.state,
      ...(trace.ready !== undefined ? { ready: trace.ready } : {}),
      ...(trace.attempts[0] ? { start: trace.attempts[0].start } : {}),
      ...(last ? { end: last.end } : {}),
      busy: ran,
      wait: { lock: timeIn(trace, 'lock'), agent: timeIn(trace, 'agent'), queue: timeIn(trace, 'eligible') },
      attempts: trace.attempts,
      waits: waitSpans(trace),
      ...(last?.exitCode !== undefined ? { exitCode: last.exitCode } : {}),
      ...(status.because !== undefined ? { because: status.because } : {}),
    });
  }

  const wall = run.end;
  const lanes = laneCount(run, slots);
  const speedup = wall > 0 ? work / wall : 0;
  const measured = measuredBounds(plan, (id) => busy.get(id) ?? 0, slots, boost);
  const holds = conflictHolds(run);
  const n = plan.tasks.size;
  const possible = (n * (n - 1)) / 2;
  return {
    version: 1,
    runId,
    outcome: state.state === 'running' ? 'unfinished' : state.state,
    sessions: run.sessions,
    events: events.length,
    ...(run.startedAt !== undefined ? { startedAt: run.startedAt } : {}),
    slots,
    boost,
    lanes,
    wall,
    work,
    speedup,
    efficiency: speedup / slots,
    utilization: utilization(tasks, { lanes, wall, slots }),
    bounds: { estimated: planBounds(plan, slots, boost), measured },
    makespanRatio: measured.lowerBound > 0 ? wall / measured.lowerBound : null,
    overhead: measureOverhead(run, (id) => plan.tasks.get(id)?.priority ?? 2, slots, boost),
    waits: {
      lock: sum(tasks, (t) => t.wait.lock),
      agent: sum(tasks, (t) => t.wait.agent),
      queue: sum(tasks, (t) => t.wait.queue),
    },
    conflictsPrevented: { count: holds.length, tasks: new Set(holds.map((h) => h.task)).size, holds },
    conflicts: input.conflicts
      ? { pairs: input.conflicts.length, possible, rate: possible > 0 ? input.conflicts.length / possible : 0 }
      : null,
    attempts,
    retries,
    counts,
    successRate: n > 0 ? counts.succeeded / n : 0,
    tasks,
  };
}

function sum<T>(items: readonly T[], of: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += of(item);
  return total;
}

/** The plain slots, and any boost slot that was used. */
function laneCount(run: RunTrace, slots: number): number {
  let lanes = slots;
  for (const trace of run.tasks.values()) for (const a of trace.attempts) if (a.slot !== undefined && a.slot > lanes) lanes = a.slot;
  return lanes;
}

function utilization(
  tasks: readonly TaskMetrics[],
  run: { lanes: number; wall: number; slots: number },
): Utilization {
  const { wall, slots } = run;
  const perSlot = Array.from({ length: run.lanes }, (_, i) => ({ slot: i + 1, busy: 0, attempts: 0, utilization: 0 }));
  const perAgent = new Map<string, { agent: string; busy: number; attempts: number; tasks: number; utilization: number }>();
  for (const task of tasks) {
    if (task.attempts.length === 0) continue;
    let agent = perAgent.get(task.runner);
    if (!agent) perAgent.set(task.runner, (agent = { agent: task.runner, busy: 0, attempts: 0, tasks: 0, utilization: 0 }));
    agent.tasks++;
    for (const a of task.attempts) {
      const d = a.end - a.start;
      agent.busy += d;
      agent.attempts++;
      const lane = a.slot === undefined ? undefined : perSlot[a.slot - 1];
      if (lane) {
        lane.busy += d;
        lane.attempts++;
      }
    }
  }
  const capacity = wall * slots;
  for (const lane of perSlot) lane.utilization = wall > 0 ? lane.busy / wall : 0;
  const agents = [...perAgent.values()].sort((a, b) => b.busy - a.busy || (a.agent < b.agent ? -1 : 1));
  for (const agent of agents) agent.utilization = capacity > 0 ? agent.busy / capacity : 0;
  return { slots: perSlot, agents };
}
