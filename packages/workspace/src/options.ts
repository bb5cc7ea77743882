import { z, GuildError } from '@guild/core';

/** The options of the `guild:workspace` plugin. */
export const workspaceOptionsSchema = z.strictObject({
  /**
   * Files or folders (paths or globs relative to the repository's root) copied from the
   * project into each new worktree when missing there, e.g. `.env`; for ignored files, which a
   * worktree does not get from git. Lines of `.worktreeinclude` at the root are added.
   */
  include: z.array(z.string().min(1)).default([]),
  /** A command (argv, no shell) run in each new worktree before its task, e.g. `['pnpm', 'install']`. */
  setup: z.array(z.string().min(1)).min(1).optional(),
  /** Fail a task that changed files outside its declared `writes` (default: only report them). Implies `checkWrites`. */
  strict: z.boolean().default(false),
  /**
   * In shared isolation, compare what each task changed with its declared `writes`. It costs a
   * snapshot of the working tree (about a `git status`) before and after every task, so it is
   * off by default; worktree isolation always checks, from each task's own commit.
   */
  checkWrites: z.boolean().default(false),
  /**
   * With worktree isolation: at the end of a fully successful run, fast-forward the branch the
   * user is on to the run's integration branch when that is safe (default true).
   */
  fastForward: z.boolean().default(true),
});

/** Options of the `guild:workspace` plugin, as written in config. */
export type WorkspaceOptions = z.input<typeof workspaceOptionsSchema>;
/** Options of the `guild:workspace` plugin, validated and with defaults filled in. */
export type ResolvedWorkspaceOptions = z.output<typeof workspaceOptionsSchema>;

const EXPECTED: Record<keyof ResolvedWorkspaceOptions, string> = {
  include: 'an array of paths or globs such as [".env"]',
  setup: 'a non-empty array of strings (a command and its arguments) such as ["pnpm", "install"]',
  strict: 'true or false',
  checkWrites: 'true or false',
  fastForward: 'true or false',
};
const ACCEPTED = Object.keys(EXPECTED).join(', ');

/**
 * Validates the plugin's options where they enter.
 *
 * @throws a `CONFIG_INVALID` {@link GuildError} naming the offending option, its value and what
 *   was expected (or the accepted options, for an unknown one)
 */
export function parseWorkspaceOptions(input: unknown): ResolvedWorkspaceOptions {
  const result = workspaceOptionsSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  let message: string;
  if (issue?.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    message = `unknown option${issue.keys.length > 1 ? 's' : ''} ${keys}; accepted options: ${ACCEPTED}`;
  } else if (issue !== undefined && issue.path.length > 0) {
    const key = String(issue.path[0]) as keyof ResolvedWorkspaceOptions;
    const value = (input as Record<string, unknown>)[key];
    message = `option "${key}" must be ${EXPECTED[key]} (got ${JSON.stringify(value) ?? String(value)})`;
  } else {
    const got = input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input;
    message = `options must be an object such as { strict: true } (got ${got}); accepted options: ${ACCEPTED}`;
  }
  throw new GuildError('CONFIG_INVALID', `guild:workspace: ${message}`, { cause: result.error });
}
