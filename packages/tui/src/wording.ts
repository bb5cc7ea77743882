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
