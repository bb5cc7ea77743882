import { z, GuildError } from '@guild/core';

const NAME = 'must be a name (text without spaces)';
const name = z.string({ error: NAME }).regex(/^\S+$/, { error: NAME });
const names = z.array(name, { error: 'must be a list of names, e.g. ["backend"]' });
const BD = 'must be a path or a command name';
const RETRIES = 'must be a whole number from 0 to 20';
const flag = z.boolean({ error: 'must be true or false' });

/** The options of the `guild:beads` plugin, as written in config. */
export const beadsOptionsSchema = z.strictObject({
  /** The `bd` executable: a path (relative to the config's folder) or a command name. Default: `bd` on PATH. */
  bd: z.string({ error: BD }).min(1, { error: BD }).optional(),
  /**
   * Who claims issues. Each run claims as `<actor>/<run-id>`, so two runs never share a claim
   * and a resumed run keeps its own. Default `guild`.
   */
  actor: name.optional(),
  /** Only issues with all of these labels (`bd ready --label`). */
  labels: names.optional(),
  /** Only issues with at least one of these labels (`bd ready --label-any`). */
  labelsAny: names.optional(),
  /** Only issues of these types (`bd ready --type`, once per type). */
  types: names.optional(),
  /** Only issues assigned to this person (`bd ready --assignee`); see the README on claims. */
  assignee: name.optional(),
  /** Plan every open issue, not only those ready now (like `--all-open`). */
  allOpen: flag.optional(),
  /**
   * Honour an issue's `metadata.run`, a shell command. Off by default: turn it on only when
   * everyone who can edit the tracker may run commands on this machine.
   */
  allowRun: flag.optional(),
  /**
   * When guild claims, closes and reopens issues: `always` (default; claims are what keep two
   * runs apart), `with-flag` (only with `--update-source`), `never` (the tracker is only read).
   */
  writeBack: z.enum(['always', 'with-flag', 'never'], { error: 'must be "always", "with-flag" or "never"' }).optional(),
  /** How often a `bd` call that found the database locked is tried again (default 6). */
  lockRetries: z.int({ error: RETRIES }).min(0, { error: RETRIES }).max(20, { error: RETRIES }).optional(),
});

/** Options of the `guild:beads` plugin, as written in config. */
export type BeadsOptions = z.input<typeof beadsOptionsSchema>;

/** Options with defaults filled in. */
export type ResolvedBeadsOptions = Required<Pick<BeadsOptions, 'actor' | 'allOpen' | 'allowRun' | 'writeBack' | 'lockRetries'>> &
  Omit<BeadsOptions, 'actor' | 'allOpen' | 'allowRun' | 'writeBack' | 'lockRetries'>;

const ACCEPTED = Object.keys(beadsOptionsSchema.shape).join(', ');

/**
 * Validates the plugin's options where they enter. Throws a `CONFIG_INVALID` {@link GuildError}
 * naming the offending option, its value and what was expected (or the accepted options).
 */
export function parseBeadsOptions(input: unknown, where = 'guild:beads'): ResolvedBeadsOptions {
  const result = beadsOptionsSchema.safeParse(input ?? {});
  if (result.success) {
    const o = result.data;
    return { ...o, actor: o.actor ?? 'guild', allOpen: o.allOpen ?? false, allowRun: o.allowRun ?? false, writeBack: o.writeBack ?? 'always', lockRetries: o.lockRetries ?? 6 };
  }
  const issue = result.error.issues[0]!;
  let message: string;
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    message = `${where}: unknown option${issue.keys.length > 1 ? 's' : ''} ${keys}; accepted options: ${ACCEPTED}`;
  } else if (issue.path.length > 0) {
    const key = issue.path.map(String).join('.');
    let value: unknown = input;
    for (const p of issue.path) value = (value as Record<PropertyKey, unknown>)[p];
    message = `${where}: option "${key}" ${issue.message} (got ${JSON.stringify(value) ?? String(value)})`;
  } else {
    message = `${where}: options must be an object such as { actor: "guild" } (got ${input === null ? 'null' : typeof input}); accepted options: ${ACCEPTED}`;
  }
  throw new GuildError('CONFIG_INVALID', message, { cause: result.error });
}
