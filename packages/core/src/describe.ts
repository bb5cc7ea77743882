import { existsSync } from 'node:fs';
import path from 'node:path';
import { formatDuration } from './duration.js';
import type { RunSummary } from './scheduler.js';
import type { Blocker } from './types.js';

/*
 * The words guild uses for what it reports, shared by every reporter (the plain lines, the
 * live monitor) so they read alike.
 */

/** `src/api held by api-login`, `resource:db held by seed`, ...: what keeps a task waiting. */
export function describeBlocker(b: Blocker): string {
  switch (b.kind) {
    case 'lock':
      return b.run ? `${b.key} held by task ${b.heldBy} of run ${b.run} (another guild run here)` : `${b.key} held by ${b.heldBy}`;
    case 'reserved':
      return `${b.key} reserved by ${b.by} (waiting longer)`;
    case 'agent':
      return `agent ${b.agent} ${b.reason}${b.with ? ` (with ${b.with})` : ''}`;
    case 'slot':
      return 'no free slot';
    case 'paused':
      return 'run paused';
  }
}

/**
 * The closing line: `summary: 4 succeeded, 1 failed · wall 12s · task time 30s · speedup 2.50x`.
 * `sep` replaces the middle dot for terminals that cannot show it.
 */
export function summaryLine(s: RunSummary, sep = '·'): string {
  const parts = [`${s.counts.succeeded} succeeded`];
  if (s.counts.failed) parts.push(`${s.counts.failed} failed`);
  if (s.counts['timed-out']) parts.push(`${s.counts['timed-out']} timed out`);
  if (s.counts.cancelled) parts.push(`${s.counts.cancelled} cancelled`);
  if (s.counts.skipped) parts.push(`${s.counts.skipped} skipped`);
  if (s.counts.dropped) parts.push(`${s.counts.dropped} dropped`);
  return (
    `summary: ${parts.join(', ')} ${sep} wall ${formatDuration(s.wall)} ${sep} task time ${formatDuration(s.work)}` +
    ` ${sep} speedup ${s.speedup.toFixed(2)}x`
  );
}

/** `[mm:ss.mmm]`: milliseconds since the run started, as the plain reporter stamps its lines. */
export function stamp(ms: number): string {
  const total = Math.max(0, Math.round(ms));
  const m = Math.floor(total / 60000);
  const s = Math.floor((total % 60000) / 1000);
  return `[${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(total % 1000).padStart(3, '0')}]`;
}

/**
 * `log: .guild/runs/<run>/logs/<id>.log` (relative to `cwd`), or `no output` when the task left
 * no log: a task that printed nothing may have none.
 */
export function logReference(logDir: string, cwd: string, id: string): string {
  const file = path.join(logDir, `${id}.log`);
  return existsSync(file) ? `log: ${path.relative(cwd, file) || `${id}.log`}` : 'no output';
}
