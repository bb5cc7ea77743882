import type { Blocker, RunEvent, Seconds } from '@guild/core';
import type { AttemptMetrics } from './types';

/** What a task did while it was not running: eligible to start, or held back by something. */
export interface Segment {
  from: Seconds;
  to: Seconds;
  kind: 'eligible' | 'lock' | 'agent' | 'paused';
  blockers: readonly Blocker[];
}

/** One task's history, read from the event log. */
export interface TaskTrace {
  ready?: Seconds;
  attempts: AttemptMetrics[];
  segments: Segment[];
  /** When it was skipped, if it was. */
  skipped?: Seconds;
  retries: number;
}

/** A run's history, read from the event log, in run time (see {@link traceRun}). */
export interface RunTrace {
  tasks: Map<string, TaskTrace>;
  sessions: number;
  /** Epoch milliseconds of the first `run.started`. */
  startedAt?: number;
  /** Run time of the last event: the run's wall time. */
  end: Seconds;
  /** Run time of `run.finished`, if the last session finished. */
  finished?: Seconds;
  /** Slots of the last session, from its `run.started`. */
  slots?: number;
  boost?: number;
  /** Pauses, resumes and serializations, in order. */
  controls: Array<{ at: Seconds; action: 'pause' | 'resume' | 'serialize' | 'abort' }>;
}

interface OpenState {
  attempt?: AttemptMetrics;
  segment?: Omit<Segment, 'to'>;
}

/**
 * Folds an event log into per-task attempts and waiting segments. Times become *run time*:
 * seconds since the first `run.started`, leaving out the gap between a session's last event and
 * the next session's start (a crashed run resumed later). Attempts left open by a session (its
 * driver died) end at that session's last event as `unfinished`. Events for unknown tasks, and
 * ends without a start, are ignored, so a damaged or odd log never throws.
 */
export function traceRun(events: readonly RunEvent[], taskIds: Iterable<string>): RunTrace {
  const tasks = new Map<string, TaskTrace>();
  const open = new Map<string, OpenState>();
  for (const id of taskIds) {
    tasks.set(id, { attempts: [], segments: [], retries: 0 });
    open.set(id, {});
  }
  const run: RunTrace = { tasks, sessions: 0, end: 0, controls: [] };
  let sessionStart: number | undefined;
  let base = 0;

  const closeSegment = (o: OpenState, t: Seconds, into: TaskTrace) => {
    if (!o.segment) return;
    const from = Math.min(o.segment.from, t);
    into.segments.push({ ...o.segment, from, to: t });
    o.segment = undefined;
  };
  const closeSession = () => {
    for (const [id, o] of open) {
      const trace = tasks.get(id)!;
      closeSegment(o, run.end, trace);
      if (o.attempt) {
        o.attempt.end = run.end;
        o.attempt = undefined;
      }
    }
  };

  for (const e of events) {
    if (e.type === 'run.started') {
      if (sessionStart !== undefined) {
        closeSession();
        // A new driver starts unpaused.
        run.controls.push({ at: run.end, action: 'resume' });
      }
      base = run.end;
      sessionStart = e.at;
      run.startedAt ??= e.at;
      run.sessions++;
      run.slots = e.slots;
      run.boost = e.boost;
      run.finished = undefined;
      continue;
    }
    sessionStart ??= e.at;
    const start = sessionStart;
    // Run time of an epoch-millisecond instant in this session.
    const runTime = (at: number): Seconds => base + Math.max(0, at - start) / 1000;
    const t = runTime(e.at);
    if (t > run.end) run.end = t;
    if (e.type === 'run.finished') {
      run.finished = t;
      continue;
    }
    if (e.type === 'run.control') {
      run.controls.push({ at: t, action: e.action });
      continue;
    }
    const trace = tasks.get(e.id);
    const o = open.get(e.id);
    if (!trace || !o) continue;
    switch (e.type) {
      case 'task.ready':
        trace.ready ??= t;
        closeSegment(o, t, trace);
        o.segment = { from: t, kind: 'eligible', blockers: [] };
        break;
      case 'task.waiting':
        closeSegment(o, t, trace);
        o.segment = { from: t, kind: segmentKind(e.on), blockers: e.on };
        break;
      case 'task.starting':
      case 'task.started':
        closeSegment(o, t, trace);
        if (o.attempt?.attempt !== e.attempt) {
          if (o.attempt) o.attempt.end = t;
          o.attempt = { attempt: e.attempt, start: t, end: t, outcome: 'unfinished' };
          trace.attempts.push(o.attempt);
        }
        if (e.type === 'task.started') o.attempt.slot = e.slot;
        break;
      case 'task.finished':
        if (!o.attempt) break;
        Object.assign(o.attempt, {
          end: t,
          outcome: e.outcome,
          ...(e.exitCode !== undefined ? { exitCode: e.exitCode } : {}),
          ...(e.signal !== undefined ? { signal: e.signal } : {}),
          ...(e.error !== undefined ? { error: e.error } : {}),
        });
        o.attempt = undefined;
        break;
      case 'task.retrying':
        trace.retries++;
        closeSegment(o, t, trace);
        // The back-off is the retry policy's doing, not a wait: the task is eligible after it.
        // Computed as the clock computes the retry's start, so the two agree to the last bit.
        o.segment = { from: runTime(e.at + Math.max(0, e.delay) * 1000), kind: 'eligible', blockers: [] };
        break;
      case 'task.skipped':
        closeSegment(o, t, trace);
        trace.skipped = t;
        break;
      case 'task.progress':
        break;
    }
  }
  closeSession();
  return run;
}

function segmentKind(on: readonly Blocker[]): Segment['kind'] {
  if (on.some((b) => b.kind === 'lock' || b.kind === 'reserved')) return 'lock';
  if (on.some((b) => b.kind === 'agent')) return 'agent';
  if (on.some((b) => b.kind === 'paused')) return 'paused';
  return 'eligible';
}
