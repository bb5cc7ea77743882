import { formatDuration, type Blocker, type RunSummary } from '@guild/core';

/*
 * The plain reporter's words (apps/cli/src/reporter.ts), so the monitor and the line output
 * read alike. Plugins do not import the CLI, hence the copy.
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
 * Whole seconds for a live clock that ticks once a second: `41s`, `1m12s`, `2h05m`. (The
 * summary uses core's `formatDuration`, which shows tenths below ten seconds.)
 */
export function formatElapsed(seconds: number): string {
  const total = Math.max(0, Math.floor(seconds));
  if (total < 60) return `${total}s`;
  if (total < 3600) return `${Math.floor(total / 60)}m${String(total % 60).padStart(2, '0')}s`;
  return `${Math.floor(total / 3600)}h${String(Math.floor((total % 3600) / 60)).padStart(2, '0')}m`;
}
