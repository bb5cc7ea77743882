import { GuildError } from '@guild/core';

/** Options of the `guild:tui` plugin, as written in config. */
export interface TuiOptions {
  /** Draw with ASCII only (`>` `+` `=` `x` `~` `.`, a `#`/`-` bar), whatever the locale says. */
  ascii?: boolean;
  /** Most redraws per second (1 to 30, default 8). Logs are followed at the same rate. */
  maxFps?: number;
}

/** {@link TuiOptions} with defaults applied. */
export interface ResolvedTuiOptions {
  ascii: boolean;
  maxFps: number;
}

const ACCEPTED = 'ascii (boolean), maxFps (a number from 1 to 30)';

/**
 * Validates the plugin's options where they enter. Throws a `CONFIG_INVALID` {@link GuildError}
 * naming `where`, the offending option, its value and what is accepted.
 */
export function parseTuiOptions(input: unknown, where: string): ResolvedTuiOptions {
  if (input === undefined || input === null) return { ascii: false, maxFps: 8 };
  if (typeof input !== 'object' || Array.isArray(input)) {
    const got = Array.isArray(input) ? 'an array' : typeof input;
    throw new GuildError('CONFIG_INVALID', `${where}: options must be an object such as { ascii: true } (got ${got}); accepted options: ${ACCEPTED}`);
  }
  const o = input as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => k !== 'ascii' && k !== 'maxFps');
  if (unknown.length > 0) {
    const keys = unknown.map((k) => `"${k}"`).join(', ');
    throw new GuildError('CONFIG_INVALID', `${where}: unknown option${unknown.length > 1 ? 's' : ''} ${keys}; accepted options: ${ACCEPTED}`);
  }
  if (o.ascii !== undefined && typeof o.ascii !== 'boolean') {
    throw new GuildError('CONFIG_INVALID', `${where}: option "ascii" must be true or false (got ${JSON.stringify(o.ascii)})`);
  }
  const fps = o.maxFps;
  if (fps !== undefined && (typeof fps !== 'number' || !Number.isFinite(fps) || fps < 1 || fps > 30)) {
    throw new GuildError('CONFIG_INVALID', `${where}: option "maxFps" must be a number from 1 to 30 (got ${JSON.stringify(fps)})`);
  }
  return { ascii: o.ascii ?? false, maxFps: fps ?? 8 };
}
