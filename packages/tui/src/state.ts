import { formatDuration, logReference, stamp, type Blocker, type FinishOutcome, type Plan, type RunEvent, type TaskState } from '@guild/core';

/** Where a task is, as the monitor shows it: core's states plus `starting` (launched, no pid yet). */
export type ViewState = TaskState | 'starting';

/** States shown as rows of the live area. */
const ACTIVE: ReadonlySet<ViewState> = new Set(['starting', 'running', 'waiting', 'retrying']);
/** States a task does not leave again in this session. */
const DONE: ReadonlySet<ViewState> = new Set(['succeeded', 'failed', 'timed-out', 'cancelled', 'skipped']);

/** Whether a task in `state` is over (succeeded, failed, timed out, cancelled or skipped). */
export const isDone = (state: ViewState): boolean => DONE.has(state);

/** One task as the monitor knows it. */
export interface TaskView {
  readonly id: string;
  /** Runner or agent name. */
  readonly runner: string;
  state: ViewState;
  attempt: number;
  /** Slot of the running attempt. */
  slot?: number;
  /** Process group of the running attempt, for the memory and CPU figures. */
  pid?: number;
  /** Epoch ms: when the current attempt started, or when the current wait began. */
  since?: number;
  /** What the task waits for, while `waiting`. */
  blockers?: readonly Blocker[];
  /** Epoch ms of the next attempt, while `retrying`. */
  retryAt?: number;
  /** The last progress a runner reported for this attempt. */
  progress?: { message?: string; fraction?: number; at: number };
}

/** How a line printed above the live area looks. */
export type Tone = 'ok' | 'fail' | 'warn' | 'dim' | 'run' | 'retry';

/** Mark names a line may start with (see `Glyphs`). */
export type MarkName = 'succeeded' | 'failed' | 'retrying' | 'skipped';

/** A line printed once above the live area: a task ended, a retry, a control action. */
export interface PrintedLine {
  mark?: MarkName;
  tone: Tone;
  text: string;
}

/** Everything the monitor draws from; changed only by {@link applyEvent}. */
export interface MonitorState {
  readonly plan: Plan;
  readonly runId: string;
  readonly logDir: string;
  /** The user's folder, for log paths as the plain reporter prints them. */
  readonly cwd: string;
  total: number;
  slots: number;
  boost: number;
  /** Epoch ms this session of the run started (undefined until `run.started`). */
  startedAt?: number;
  endedAt?: number;
  outcome?: 'succeeded' | 'failed' | 'aborted';
  paused: boolean;
  serialized: boolean;
  aborting: boolean;
  readonly tasks: Map<string, TaskView>;
  /** Tasks in a state shown as a row (starting, running, waiting, retrying). */
  readonly active: Set<string>;
  readonly counts: Record<ViewState, number>;
  /** Per slot (index = slot number): the running task's id. */
  readonly slotTask: Array<string | undefined>;
  /** Per slot: how the last task that ran in it ended. */
  readonly slotLast: Array<FinishOutcome | undefined>;
  /** Milliseconds and count of the attempts that succeeded in this run, for estimates. */
  readonly observed: { ms: number; n: number };
  /** Lines to print above the live area, in order; the view prints each once. */
  readonly lines: PrintedLine[];
  /** Bumped on every change, so a frame is redrawn only when something changed. */
  version: number;
}

/** What {@link createMonitorState} needs: the reporter context's fields. */
export interface MonitorStateInit {
  plan: Plan;
  runId: string;
  logDir: string;
  cwd: string;
  slots: number;
  boost: number;
}

/** A state with every task of the plan pending. */
export function createMonitorState(init: MonitorStateInit): MonitorState {
  const tasks = new Map<string, TaskView>();
  for (const t of init.plan.tasks.values()) tasks.set(t.id, { id: t.id, runner: t.runner, state: 'pending', attempt: 0 });
  const counts = {
    pending: tasks.size,
    ready: 0,
    waiting: 0,
    starting: 0,
    running: 0,
    retrying: 0,
    succeeded: 0,
    failed: 0,
    'timed-out': 0,
    cancelled: 0,
    skipped: 0,
  } satisfies Record<ViewState, number>;
  return {
    ...init,
    total: tasks.size,
    paused: false,
    serialized: false,
    aborting: false,
    tasks,
    active: new Set(),
    counts,
    slotTask: [],
    slotLast: [],
    observed: { ms: 0, n: 0 },
    lines: [],
    version: 0,
  };
}

/** Tasks that are over, whatever their outcome. */
export function doneCount(s: MonitorState): number {
  return s.counts.succeeded + s.counts.failed + s.counts['timed-out'] + s.counts.cancelled + s.counts.skipped;
}

function moveTo(s: MonitorState, t: TaskView, next: ViewState): void {
  s.counts[t.state]--;
  s.counts[next]++;
  t.state = next;
  if (ACTIVE.has(next)) s.active.add(t.id);
  else s.active.delete(t.id);
}

function freeSlot(s: MonitorState, t: TaskView, outcome: FinishOutcome | undefined): void {
  if (t.slot === undefined) return;
  if (s.slotTask[t.slot] === t.id) s.slotTask[t.slot] = undefined;
  s.slotLast[t.slot] = outcome;
  t.slot = undefined;
}

const FINISH_LOOK: Record<FinishOutcome, { mark: MarkName; tone: Tone }> = {
  succeeded: { mark: 'succeeded', tone: 'ok' },
  failed: { mark: 'failed', tone: 'fail' },
  'timed-out': { mark: 'failed', tone: 'fail' },
  cancelled: { mark: 'failed', tone: 'warn' },
};

/**
 * Folds one event into the state. With `quiet`, no lines are printed: used to replay what a
 * resumed run did before this session.
 */
export function applyEvent(s: MonitorState, e: RunEvent, quiet = false): void {
  const at = (ms: number) => stamp(ms - (s.startedAt ?? ms));
  const print = (line: PrintedLine) => {
    if (!quiet) s.lines.push(line);
  };
  s.version++;
  if (e.type === 'run.started') {
    // A new session: whatever ran or waited in an earlier one (a resumed run) starts over.
    for (const id of [...s.active]) {
      const t = s.tasks.get(id)!;
      freeSlot(s, t, undefined);
      moveTo(s, t, 'pending');
    }
    s.startedAt = e.at;
    s.endedAt = undefined;
    s.outcome = undefined;
    s.total = e.tasks;
    s.slots = e.slots;
    s.boost = e.boost;
    s.paused = false;
    s.aborting = false;
    return;
  }
  if (e.type === 'run.finished') {
    s.endedAt = e.at;
    s.outcome = e.outcome;
    return;
  }
  if (e.type === 'run.control') {
    if (e.action === 'pause') s.paused = true;
    if (e.action === 'resume') s.paused = false;
    if (e.action === 'serialize') s.serialized = true;
    if (e.action === 'abort') s.aborting = true;
    print({ tone: 'warn', text: `${at(e.at)} run ${e.action}${e.action === 'abort' ? 'ing' : 'd'}` });
    return;
  }
  const t = s.tasks.get(e.id);
  if (!t) return;
  switch (e.type) {
    case 'task.ready':
      moveTo(s, t, 'ready');
      t.blockers = undefined;
      break;
    case 'task.waiting':
      if (t.state !== 'waiting') t.since = e.at;
      moveTo(s, t, 'waiting');
      t.blockers = e.on;
      break;
    case 'task.starting':
      moveTo(s, t, 'starting');
      t.attempt = e.attempt;
      t.since = e.at;
      t.blockers = undefined;
      t.progress = undefined;
      break;
    case 'task.started':
      moveTo(s, t, 'running');
      t.attempt = e.attempt;
      t.since = e.at;
      t.slot = e.slot;
      t.pid = e.pid;
      s.slotTask[e.slot] = t.id;
      break;
    case 'task.progress':
      t.progress = { message: e.message, fraction: e.fraction, at: e.at };
      break;
    case 'task.finished': {
      const took = e.at - (t.since ?? e.at);
      if (e.outcome === 'succeeded') {
        s.observed.ms += took;
        s.observed.n++;
      }
      moveTo(s, t, e.outcome);
      freeSlot(s, t, e.outcome);
      t.pid = undefined;
      const exit = e.exitCode !== undefined ? ` (exit ${e.exitCode})` : e.signal ? ` (${e.signal})` : '';
      const verb = e.outcome === 'timed-out' ? 'timed out' : e.outcome;
      const tail = e.outcome === 'succeeded' ? '' : `${e.error ? `: ${e.error}` : ''}; ${logReference(s.logDir, s.cwd, t.id)}`;
      print({ ...FINISH_LOOK[e.outcome], text: `${at(e.at)} ${t.id} ${verb} in ${formatDuration(took / 1000)}${exit}${tail}` });
      break;
    }
    case 'task.retrying':
      moveTo(s, t, 'retrying');
      t.attempt = e.attempt;
      t.since = e.at;
      t.retryAt = e.at + e.delay * 1000;
      print({
        mark: 'retrying',
        tone: 'retry',
        text: `${at(e.at)} ${t.id} will retry (attempt ${e.attempt}) in ${formatDuration(e.delay)}`,
      });
      break;
    case 'task.skipped':
      // A running task whose runner found it is not this run's to do ends here, without task.finished.
      moveTo(s, t, 'skipped');
      freeSlot(s, t, undefined);
      t.pid = undefined;
      print({ mark: 'skipped', tone: 'dim', text: `${at(e.at)} ${t.id} ${e.dropped ? 'dropped' : 'skipped'}: ${e.because}` });
      break;
  }
}

