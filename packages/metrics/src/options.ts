import { GuildError } from '@guild/core';

/** Options of the `guild:metrics` plugin, as written in config. */
export interface MetricsOptions {
  /** Write `report.html` into each run's folder when it ends (default true). */
  report?: boolean;
  /** Learn tasks' durations in `.guild/history.json` and estimate from them (default true). */
  history?: boolean;
  /** Durations kept per task (default 5). */
  historyDepth?: number;
  /** Tasks kept in the history; the least recently run go first (default 1000). */
  historyLimit?: number;
}

/** {@link MetricsOptions} with defaults filled in. */
export type ResolvedMetricsOptions = Required<MetricsOptions>;

const KINDS = {
  report: 'boolean',
  history: 'boolean',
  historyDepth: 'count',
  historyLimit: 'count',
} as const satisfies Record<keyof MetricsOptions, 'boolean' | 'count'>;

const EXPECTED = { boolean: 'true or false', count: 'a whole number of at least 1' } as const;
const ACCEPTED = Object.entries(KINDS)
  .map(([key, kind]) => `${key} (${EXPECTED[kind]})`)
  .join(', ');

/**
 * Validates the plugin's options where they enter. Throws a `CONFIG_INVALID` {@link GuildError}
 * naming the offending option, its value and what is accepted.
 */
export function parseMetricsOptions(input: unknown, where = 'guild:metrics'): ResolvedMetricsOptions {
  const options = input ?? {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    const got = Array.isArray(options) ? 'an array' : typeof options;
    throw new GuildError('CONFIG_INVALID', `${where}: options must be an object such as { report: false } (got ${got}); accepted options: ${ACCEPTED}`);
  }
  const resolved: ResolvedMetricsOptions = { report: true, history: true, historyDepth: 5, historyLimit: 1000 };
  for (const [key, value] of Object.entries(options)) {
    if (!(key in KINDS)) throw new GuildError('CONFIG_INVALID', `${where}: unknown option "${key}"; accepted options: ${ACCEPTED}`);
    if (value === undefined) continue;
    const kind = KINDS[key as keyof MetricsOptions];
    const ok = kind === 'boolean' ? typeof value === 'boolean' : Number.isInteger(value) && (value as number) >= 1;
    if (!ok) throw new GuildError('CONFIG_INVALID', `${where}: option "${key}" must be ${EXPECTED[kind]} (got ${JSON.stringify(value) ?? String(value)})`);
    Object.assign(resolved, { [key]: value });
  }
  return resolved;
}
