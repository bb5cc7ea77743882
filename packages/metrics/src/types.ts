import type { FinishOutcome, PlanBounds, Seconds, TaskState } from '@guild/core';

/**
 * What a run's metrics look like: the `metrics` object of `summary.json`, the input of the
 * Prometheus export, the text output and the HTML report. Times are seconds since the run
 * started, counted on the clock of the run's events; for a resumed run the time between a
 * crashed driver's last event and the next driver's start is left out, so the sessions
 * follow one another.
 */
export interface RunMetrics {
  version: 1;
  runId: string;
  /** How the run ended; `unfinished` while it runs, or when its driver died and it was not resumed. */
  outcome: 'succeeded' | 'failed' | 'aborted' | 'unfinished';
  /** How many drivers ran it (1, plus one per resume). */
  sessions: number;
  /** Number of events the metrics were computed from; tells a stale `summary.json` from a fresh one. */
  events: number;
  /** Epoch milliseconds of the first `run.started`, if any. */
  startedAt?: number;
  /** Slots for tasks of any priority (the run's `concurrency`). */
  slots: number;
  /** Total slots, the ones above `slots` for priority-0 tasks only. */
  boost: number;
  /** Slots drawn in the timeline: `slots`, or more if boost slots were used. */
  lanes: number;
  /** Seconds the run took (summed over sessions). */
  wall: Seconds;
  /** Seconds tasks ran, summed over every attempt. */
  work: Seconds;
  /** work / wall: how many tasks ran at once on average. */
  speedup: number;
  /** speedup / slots = work / (wall * slots): the share of the slots' time that was used. */
  efficiency: number;
  utilization: Utilization;
  /** Bounds from the plan's estimates (as `guild plan` shows them) and from the measured durations. */
  bounds: { estimated: PlanBounds; measured: PlanBounds };
  /** wall / measured lower bound: 1 is a perfect schedule; `null` when the bound is 0. */
  makespanRatio: number | null;
  overhead: Overhead;
  /** Seconds tasks spent held back, summed over tasks (see {@link TaskMetrics.wait}). */
  waits: WaitTotals;
  conflictsPrevented: ConflictsPrevented;
  /** From the static conflict report; `null` when it was not available (a run read back without one). */
  conflicts: ConflictRate | null;
  /** Attempts started, summed over tasks. */
  attempts: number;
  /** Attempts granted by the retry policy (`task.retrying` events). */
  retries: number;
  counts: Record<TaskEnd, number>;
  /** Succeeded tasks / all tasks. */
  successRate: number;
  /** Every task of the plan, in plan order. */
  tasks: TaskMetrics[];
}

/** How a task ended; `unfinished` covers every state that is not an end. */
export type TaskEnd = 'succeeded' | 'failed' | 'timed-out' | 'cancelled' | 'skipped' | 'unfinished';

/** How an attempt ended; `unfinished`: the log has no end for it (still running, or its driver died). */
export type AttemptOutcome = FinishOutcome | 'unfinished';

/** Busy time per slot and per agent. */
export interface Utilization {
  /** One entry per lane, slot 1 first: its busy seconds / wall. */
  slots: Array<{ slot: number; busy: Seconds; attempts: number; utilization: number }>;
  /** One entry per runner that ran something: its busy seconds / (wall * slots). */
  agents: Array<{ agent: string; busy: Seconds; attempts: number; tasks: number; utilization: number }>;
}

/**
 * The time the run lost to guild itself. A task is *eligible* while it is ready (its
 * dependencies done, its retry back-off over) and nothing holds it back (no lock, reservation
 * or agent rule, the run not paused); a slot is *free for it* while fewer attempts run than its
 * priority may use (`slots`, or `boost` for priority 0; 1 once the run is serialized).
 */
export interface Overhead {
  /**
   * Task-seconds: summed over time, the number of eligible tasks that a free slot could have
   * taken (higher priority first) but that had not started yet.
   */
  dispatch: Seconds;
  /** Wall seconds during which at least one such task was waiting for the scheduler. */
  idle: Seconds;
  /** Wall seconds from the end of the last attempt to `run.finished` (0 for a run that did not finish). */
  finish: Seconds;
  /** idle + finish: wall seconds the run lost to guild. */
  total: Seconds;
  /** total / wall. */
  share: number;
}

/** Seconds held back, by cause. */
export interface WaitTotals {
  /** Waiting for a lock or a reservation of another task (a conflict). */
  lock: Seconds;
  /** Waiting because of an agent rule (per-agent limit, never-together, singleton). */
  agent: Seconds;
  /** Eligible but not started: waiting for a slot (or for the scheduler, see {@link Overhead}). */
  queue: Seconds;
}

/** Starts held back by a lock: the conflicts the lock table prevented. */
export interface ConflictsPrevented {
  /** `task.waiting` events naming a lock or a reservation. */
  count: number;
  /** Distinct tasks held back at least once. */
  tasks: number;
  /** Each hold: which task, when, for how long, and what held it back. */
  holds: ConflictHold[];
}

/** One time a task's start was held back by other tasks' locks or reservations. */
export interface ConflictHold {
  task: string;
  at: Seconds;
  /** Seconds until the holders let go (or the task's next event). */
  wait: Seconds;
  on: Array<{ kind: 'lock' | 'reserved'; key: string; by: string; run?: string }>;
}

/** Conflicting pairs among all pairs of tasks. */
export interface ConflictRate {
  /** Pairs of tasks that conflict and are not ordered by dependencies. */
  pairs: number;
  /** n * (n - 1) / 2. */
  possible: number;
  /** pairs / possible (0 for a plan of one task). */
  rate: number;
}

/** What happened to one task. */
export interface TaskMetrics {
  id: string;
  title: string;
  /** Runner (agent) name. */
  runner: string;
  priority: number;
  /** The state the log leaves it in. */
  state: TaskState;
  /** When its dependencies were first done. */
  ready?: Seconds;
  /** Start of its first attempt and end of its last. */
  start?: Seconds;
  end?: Seconds;
  /** Seconds running, summed over attempts. */
  busy: Seconds;
  wait: WaitTotals;
  attempts: AttemptMetrics[];
  /** Spans held back by locks, reservations or agent rules, in time order. */
  waits: WaitSpan[];
  /** Exit code of the last attempt, when it had one. */
  exitCode?: number;
  /** Why it was skipped. */
  because?: string;
}

/** One attempt of a task. */
export interface AttemptMetrics {
  attempt: number;
  /** Missing when the driver died between writing `task.starting` and `task.started`. */
  slot?: number;
  start: Seconds;
  end: Seconds;
  outcome: AttemptOutcome;
  exitCode?: number;
  signal?: string;
  error?: string;
}

/** A span a task spent held back. */
export interface WaitSpan {
  from: Seconds;
  to: Seconds;
  kind: 'lock' | 'agent';
  /** What held it back, for people: `resource:db (a)`, `reserved src/x.ts (b)`, `agent codex: limit`. */
  on: string[];
}
