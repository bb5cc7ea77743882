import type { Blocker, Seconds } from '@guild/core';
import type { RunTrace, Segment, TaskTrace } from './trace';
import type { ConflictHold, WaitSpan } from './types';

/**
 * Ends each lock segment when its holders let go. A blocked task emits no event when its lock
 * is released and it then waits for a slot, so the log's waiting segment can run on past the
 * release: a lock held by a task of this run lasts until that task's attempt ends, a
 * reservation until the reserving task starts (or is skipped). What follows the release is an
 * eligible segment. Holders outside the run, and agent rules, last the whole segment.
 */
export function splitAtRelease(run: RunTrace): void {
  for (const trace of run.tasks.values()) {
    const split: Segment[] = [];
    for (const seg of trace.segments) {
      if (seg.kind !== 'lock') {
        split.push(seg);
        continue;
      }
      const released = Math.min(seg.to, Math.max(seg.from, ...seg.blockers.map((b) => releaseOf(run, b, seg))));
      split.push({ ...seg, to: released });
      if (released < seg.to) split.push({ from: released, to: seg.to, kind: 'eligible', blockers: [] });
    }
    trace.segments = split;
  }
}

function releaseOf(run: RunTrace, b: Blocker, seg: Segment): Seconds {
  if (b.kind === 'lock' && b.run === undefined) {
    const held = run.tasks.get(b.heldBy)?.attempts.find((a) => a.end >= seg.from && a.start <= seg.from);
    return held?.end ?? seg.to;
  }
  if (b.kind === 'reserved') {
    const by = run.tasks.get(b.by);
    const started = by?.attempts.find((a) => a.start >= seg.from)?.start;
    const skipped = by?.skipped !== undefined && by.skipped >= seg.from ? by.skipped : undefined;
    return Math.min(started ?? seg.to, skipped ?? seg.to);
  }
  return seg.to;
}

/** Summed seconds of a task's segments of one kind. */
export function timeIn(trace: TaskTrace, kind: Segment['kind']): Seconds {
  let total = 0;
  for (const s of trace.segments) if (s.kind === kind) total += s.to - s.from;
  return total;
}

/** A task's lock and agent waits, for people. */
export function waitSpans(trace: TaskTrace): WaitSpan[] {
  const spans: WaitSpan[] = [];
  for (const s of trace.segments) {
    if (s.kind === 'lock' || s.kind === 'agent') spans.push({ from: s.from, to: s.to, kind: s.kind, on: s.blockers.map(describeBlocker) });
  }
  return spans;
}

/** Every start held back by a lock or reservation, in time order. */
export function conflictHolds(run: RunTrace): ConflictHold[] {
  const holds: ConflictHold[] = [];
  for (const [task, trace] of run.tasks) {
    for (const s of trace.segments) {
      if (s.kind !== 'lock') continue;
      const on: ConflictHold['on'] = [];
      for (const b of s.blockers) {
        if (b.kind === 'lock') on.push({ kind: 'lock', key: b.key, by: b.heldBy, ...(b.run !== undefined ? { run: b.run } : {}) });
        else if (b.kind === 'reserved') on.push({ kind: 'reserved', key: b.key, by: b.by });
      }
      holds.push({ task, at: s.from, wait: s.to - s.from, on });
    }
  }
  return holds.sort((a, b) => a.at - b.at || (a.task < b.task ? -1 : a.task > b.task ? 1 : 0));
}

/** A blocker as people read it: `resource:db (held by a)`. */
export function describeBlocker(b: Blocker): string {
  switch (b.kind) {
    case 'lock':
      return `${b.key} (held by ${b.heldBy}${b.run !== undefined ? ` of run ${b.run}` : ''})`;
    case 'reserved':
      return `${b.key} (reserved by ${b.by})`;
    case 'agent':
      return `agent ${b.agent}: ${b.reason}${b.with !== undefined ? ` with ${b.with}` : ''}`;
    case 'slot':
      return 'no free slot';
    case 'paused':
      return 'the run is paused';
  }
}
