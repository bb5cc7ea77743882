import { formatDuration } from '@guild/core';
import type { RunMetrics } from './types';

/** Seconds for people (`850ms`, `4.2s`, `3m05s`), as the rest of guild prints them. */
export const duration = formatDuration;

/** A share as a whole percentage: `0.464` -> `46%`. */
export const percent = (share: number): string => `${Math.round(share * 100)}%`;

/** A factor with two decimals: `1.857` -> `1.86x`. */
export const factor = (x: number): string => `${x.toFixed(2)}x`;

/** `1 task`, `2 tasks`; `1 retry`, `2 retries` with `many` given. */
export const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

/** The task counts that are not zero: `3 succeeded, 1 failed, 1 skipped`. */
export function countsText(m: RunMetrics): string {
  return Object.entries(m.counts)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${n} ${state}`)
    .join(', ');
}

/** The parts of a lower bound: `critical path 6.0s, work / slots 3.3s, resource db 6.0s`. */
export function boundParts(b: RunMetrics['bounds']['measured'], slots: number): string {
  const parts = [`critical path ${duration(b.criticalPath.length)}`, `work / ${plural(slots, 'slot')} ${duration(b.work / slots)}`];
  if (b.busiestResource) parts.push(`resource ${b.busiestResource.name} ${duration(b.busiestResource.work)}`);
  return parts.join(', ');
}

/** Ids of a long chain with the middle left out: `a -> b -> ... (7 more) -> z`. */
export function chain(ids: readonly string[], max = 6): string {
  const shown = ids.length <= max ? ids : [...ids.slice(0, max - 2), `... (${ids.length - max + 1} more)`, ids.at(-1)!];
  return shown.join(' -> ');
}
