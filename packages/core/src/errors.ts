/** Error codes guild raises; the CLI maps `GuildError`s to exit code 2 with their message only. */
export type GuildErrorCode =
  | 'PLAN_NOT_FOUND'
  | 'PLAN_SYNTAX'
  | 'PLAN_INVALID'
  | 'PLAN_EMPTY'
  | 'PLAN_DUPLICATE_ID'
  | 'PLAN_UNKNOWN_DEPENDENCY'
  | 'PLAN_CYCLE'
  | 'PLAN_PATH_ESCAPES'
  | 'CONFIG_INVALID'
  | 'PLUGIN_INVALID'
  | 'PLUGIN_FAILED'
  | 'RUNNER_UNKNOWN'
  | 'RUN_LOCKED'
  | 'RUN_DAMAGED'
  | 'RUN_NOT_FOUND'
  | 'RUN_NOT_RUNNING'
  | 'USAGE';

/** Where in a file a problem is. Lines and columns start at 1. */
export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
}

/** Formats `file:line:column` (dropping what is unknown). */
export function formatLocation(loc: SourceLocation): string {
  let s = loc.file;
  if (loc.line !== undefined) {
    s += `:${loc.line}`;
    if (loc.column !== undefined) s += `:${loc.column}`;
  }
  return s;
}

/**
 * An error about the user's input (plan, config, flags) or a plugin. Its message is meant for
 * the user as is: what happened, where, and what to do. Never shown with a stack trace.
 */
export class GuildError extends Error {
  readonly code: GuildErrorCode;
  readonly location?: SourceLocation;
  /** Further problems found in the same input, each a full message. */
  readonly more: readonly string[];

  constructor(
    code: GuildErrorCode,
    message: string,
    options: { location?: SourceLocation; cause?: unknown; more?: readonly string[] } = {},
  ) {
    super(options.location ? `${formatLocation(options.location)}: ${message}` : message, {
      cause: options.cause,
    });
    this.name = 'GuildError';
    this.code = code;
    this.location = options.location;
    this.more = options.more ?? [];
  }
}

/** Whether `e` is a {@link GuildError}, also across duplicated module copies. */
export function isGuildError(e: unknown): e is GuildError {
  return e instanceof GuildError || (e instanceof Error && e.name === 'GuildError' && 'code' in e);
}
