import type { Seconds } from './types.js';

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/**
 * Parses a duration: a number of seconds, or a string such as `500ms`, `2s`, `1.5m`, `1h`, or a
 * sum of parts like `1h30m`. Returns seconds, or `undefined` if the text is not a duration.
 */
export function parseDuration(value: number | string): Seconds | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text);
  let total = 0;
  let rest = text;
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*/.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * (UNIT_SECONDS[m[2]!] ?? 0);
    rest = rest.slice(m[0].length);
  }
  return total;
}

/** Formats seconds for people: `850ms`, `4.2s`, `3m05s`, `1h02m`. */
export function formatDuration(seconds: Seconds): string {
  if (seconds === 0) return '0s';
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)}s`;
  const total = Math.round(seconds);
  if (total < 3600) return `${Math.floor(total / 60)}m${String(total % 60).padStart(2, '0')}s`;
  return `${Math.floor(total / 3600)}h${String(Math.floor((total % 3600) / 60)).padStart(2, '0')}m`;
}
