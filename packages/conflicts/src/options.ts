import { z, GuildError } from '@guild/core';

/** The options of the `guild:conflicts` plugin (and of {@link LockTable}). */
export const conflictsOptionsSchema = z.strictObject({
  /** `strict` (default) blocks conflicting starts; `advisory` never blocks. */
  mode: z.enum(['strict', 'advisory']).optional(),
});

/** Options of the `guild:conflicts` plugin, as written in config. */
export type ConflictsOptions = z.input<typeof conflictsOptionsSchema>;

/** `strict` holds conflicting tasks back; `advisory` grants everything and only reports. */
export type LockMode = NonNullable<ConflictsOptions['mode']>;

const ACCEPTED = 'mode ("strict" | "advisory")';

/**
 * Validates options where they enter (plugin config, the {@link LockTable} constructor).
 * Throws a `CONFIG_INVALID` {@link GuildError} naming the offending key, its value and the
 * accepted options.
 */
export function parseConflictsOptions(input: unknown, where: string): { mode: LockMode } {
  const result = conflictsOptionsSchema.safeParse(input ?? {});
  if (result.success) return { mode: result.data.mode ?? 'strict' };
  const issue = result.error.issues[0];
  let message: string;
  if (issue?.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    message = `${where}: unknown option${issue.keys.length > 1 ? 's' : ''} ${keys}; accepted options: ${ACCEPTED}`;
  } else if (issue !== undefined && issue.path.length > 0) {
    const key = issue.path.map(String).join('.');
    const value = (input as Record<string, unknown>)[key];
    const got = JSON.stringify(value) ?? String(value);
    message = `${where}: option "${key}" must be "strict" or "advisory" (got ${got})`;
  } else {
    const got = input === null ? 'null' : typeof input;
    message = `${where}: options must be an object such as { mode: "strict" } (got ${got}); accepted options: ${ACCEPTED}`;
  }
  throw new GuildError('CONFIG_INVALID', message, { cause: result.error });
}
