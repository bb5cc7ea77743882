import type { Seconds } from '@guild/core';
import type { RunTrace } from './trace';
import type { Overhead } from './types';

/** A change at one moment: attempts running, eligible tasks by priority class, or a control. */
type Change =
  | { at: Seconds; kind: 'running' | 'urgent' | 'other'; delta: 1 | -1 }
  | { at: Seconds; kind: 'control'; action: 'pause' | 'resume' | 'serialize' | 'abort' };

/**
 * Measures the scheduler's overhead (see {@link Overhead}) with one sweep over every attempt,
 * eligible segment and control of the run. `priorityOf` says which tasks are priority 0 (they
 * may use the boost slots and go first).
 */
export function measureOverhead(
  run: RunTrace,
  priorityOf: (id: string) => number,
  slots: number,
  boost: number,
): Overhead {
  const changes: Change[] = [];
  let lastEnd = 0;
  for (const [id, trace] of run.tasks) {
    const kind = priorityOf(id) === 0 ? 'urgent' : 'other';
    for (const a of trace.attempts) {
      changes.push({ at: a.start, kind: 'running', delta: 1 }, { at: a.end, kind: 'running', delta: -1 });
      if (a.end > lastEnd) lastEnd = a.end;
    }
    for (const s of trace.segments) {
      if (s.kind === 'eligible' && s.to > s.from) changes.push({ at: s.from, kind, delta: 1 }, { at: s.to, kind, delta: -1 });
    }
  }
  for (const c of run.controls) changes.push({ at: c.at, kind: 'control', action: c.action });
  changes.sort((a, b) => a.at - b.at);

  let running = 0;
  let urgent = 0;
  let other = 0;
  let paused = false;
  let serialized = false;
  let dispatch = 0;
  let idle = 0;
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i]!;
    if (c.kind === 'control') {
      if (c.action === 'pause') paused = true;
      else if (c.action === 'resume') paused = false;
      else if (c.action === 'serialize') serialized = true;
    } else if (c.kind === 'running') running += c.delta;
    else if (c.kind === 'urgent') urgent += c.delta;
    else other += c.delta;
    const next = changes[i + 1];
    const dt = next ? next.at - c.at : 0;
    if (dt <= 0 || paused) continue;
    // Priority-0 tasks go first and may use the boost slots; the rest share the plain slots.
    const freeUrgent = Math.max(0, (serialized ? 1 : boost) - running);
    const startableUrgent = Math.min(urgent, freeUrgent);
    const freeOther = Math.max(0, (serialized ? 1 : slots) - running - startableUrgent);
    const startable = startableUrgent + Math.min(other, freeOther);
    dispatch += dt * startable;
    if (startable > 0) idle += dt;
  }
  const finish = run.finished !== undefined ? Math.max(0, run.finished - lastEnd) : 0;
  const total = idle + finish;
  return { dispatch, idle, finish, total, share: run.end > 0 ? total / run.end : 0 };
}
