import { z, GuildError } from '@guild/core';

/** The options of the `guild:markdown` plugin. */
export const markdownOptionsSchema = z
  .strictObject({
    /** Tick a task's box in the file when it succeeds (`guild run --update-source`). */
    updateSource: z.boolean().optional(),
    /**
     * A shell command every task runs instead of an agent. It is used exactly as written: the
     * task's text reaches it only through env (`$GUILD_TASK_ID`, `$GUILD_TASK_TITLE`, ...).
     */
    run: z.string().trim().min(1).optional(),
    /** The agent (runner) every task uses; by default none is set and agent detection picks one. */
    agent: z.string().trim().min(1).optional(),
    /** The folder tasks run in and their paths are relative to, from the config file's folder (default: the project root). */
    root: z.string().trim().min(1).optional(),
  })
  .refine((o) => o.run === undefined || o.agent === undefined, {
    error: 'set "run" (shell tasks) or "agent", not both',
  });

/** Options of the `guild:markdown` plugin, as written in config. */
export type MarkdownOptions = z.input<typeof markdownOptionsSchema>;

const ACCEPTED = 'updateSource (boolean), run (shell command), agent (runner name), root (folder)';

/**
 * Validates the plugin's options where they enter. Throws a `CONFIG_INVALID` {@link GuildError}
 * naming the offending option, its value and what is accepted.
 */
export function parseMarkdownOptions(input: unknown, where: string): z.output<typeof markdownOptionsSchema> {
  const result = markdownOptionsSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  let message: string;
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    message = `${where}: unknown option${issue.keys.length > 1 ? 's' : ''} ${keys}; accepted options: ${ACCEPTED}`;
  } else if (issue.path.length > 0) {
    const key = String(issue.path[0]);
    const value = (input as Record<string, unknown>)[key];
    const expected = key === 'updateSource' ? 'true or false' : 'a non-empty string';
    message = `${where}: option "${key}" must be ${expected} (got ${JSON.stringify(value) ?? String(value)})`;
  } else if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    message = `${where}: ${issue.message}`;
  } else {
    const got = input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input;
    message = `${where}: options must be an object such as { run: "make task" } (got ${got}); accepted options: ${ACCEPTED}`;
  }
  throw new GuildError('CONFIG_INVALID', message, { cause: result.error });
}
