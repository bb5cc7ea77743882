import type { RunEvent, TaskState } from './types.js';

/** What the event log says about one task. */
export interface TaskStatus {
  id: string;
  state: TaskState;
  attempts: number;
  slot?: number;
  /** Epoch milliseconds. */
  startedAt?: number;
  endedAt?: number;
  exitCode?: number;
  /** Process group of the running attempt, and its start time, to find it again after a crash. */
  pid?: number;
  procStart?: number;
  because?: string;
  /** Skipped because it, or a dependency, was dropped: not a failure. */
  dropped?: boolean;
  error?: string;
}

/** What the event log says about a run. */
export interface RunState {
  runId: string;
  /** `running` while unfinished; `crashed` is decided by the reader (the driver is gone). */
  state: 'running' | 'succeeded' | 'failed' | 'aborted';
  startedAt?: number;
  endedAt?: number;
  /** How many times a driver (re)started this run. */
  sessions: number;
  paused: boolean;
  serialized: boolean;
  tasks: Map<string, TaskStatus>;
}

/** A fresh state for a run of these tasks, all pending. */
export function initialRunState(runId: string, taskIds: Iterable<string>): RunState {
  const tasks = new Map<string, TaskStatus>();
  for (const id of taskIds) tasks.set(id, { id, state: 'pending', attempts: 0 });
  return { runId, state: 'running', sessions: 0, paused: false, serialized: false, tasks };
}

/**
 * Folds one event into the state. The same reducer serves the live snapshot and the replay
 * of a log after a crash, so both always agree.
 */
export function applyEvent(state: RunState, e: RunEvent): void {
  const task = 'id' in e ? state.tasks.get(e.id) : undefined;
  switch (e.type) {
    case 'run.started':
      state.sessions++;
      state.startedAt ??= e.at;
      state.state = 'running';
      state.endedAt = undefined;
      state.paused = false;
      break;
    case 'run.finished':
      state.state = e.outcome;
      state.endedAt = e.at;
      break;
    case 'run.control':
      if (e.action === 'pause') state.paused = true;
      if (e.action === 'resume') state.paused = false;
      if (e.action === 'serialize') state.serialized = true;
      break;
    case 'task.ready':
      if (task) task.state = 'ready';
      break;
    case 'task.waiting':
      if (task) task.state = 'waiting';
      break;
    case 'task.starting':
    case 'task.started':
      // task.starting (logged before the launch) already counts as running on replay: its
      // process may exist without a pid on record. task.started adds the slot and the pid.
      if (!task) break;
      task.state = 'running';
      task.attempts = e.attempt;
      task.startedAt = e.at;
      task.endedAt = undefined;
      task.exitCode = undefined;
      task.error = undefined;
      task.pid = e.type === 'task.started' ? e.pid : undefined;
      task.procStart = e.type === 'task.started' ? e.procStart : undefined;
      if (e.type === 'task.started') task.slot = e.slot;
      break;
    case 'task.finished':
      if (!task) break;
      task.state = e.outcome;
      task.endedAt = e.at;
      task.exitCode = e.exitCode;
      task.error = e.error;
      task.pid = undefined;
      task.procStart = undefined;
      break;
    case 'task.retrying':
      if (task) task.state = 'retrying';
      break;
    case 'task.skipped':
      if (!task) break;
      task.state = 'skipped';
      task.because = e.because;
      if (e.dropped) task.dropped = true;
      break;
    case 'task.progress':
      break;
  }
}

/** Counts of tasks by state. */
export function countStates(state: RunState): Record<TaskState, number> {
  const counts = {
    pending: 0,
    ready: 0,
    waiting: 0,
    running: 0,
    retrying: 0,
    succeeded: 0,
    failed: 0,
    'timed-out': 0,
    cancelled: 0,
    skipped: 0,
  } satisfies Record<TaskState, number>;
  for (const t of state.tasks.values()) counts[t.state]++;
  return counts;
}

/** A JSON-ready copy of the state (tasks as an array, in plan order). */
export function runStateJson(state: RunState): Omit<RunState, 'tasks'> & { tasks: TaskStatus[] } {
  return { ...state, tasks: [...state.tasks.values()] };
}
