import { GuildError, formatLocation, type GuildErrorCode } from '@guild/core';

/** Something wrong in a task list that stops it from loading. Lines and columns start at 1. */
export interface Problem {
  line: number;
  column?: number;
  code: GuildErrorCode;
  message: string;
}

/** Something in a task list that is probably a mistake but does not stop it from loading. */
export interface ListWarning {
  line: number;
  message: string;
}

/**
 * One {@link GuildError} for every problem of a file: the first by line is the message (at
 * `file:line:column`), the rest go into `more`, each with its own location.
 */
export function problemsError(problems: readonly Problem[], file: string): GuildError {
  const sorted = [...problems].sort((a, b) => a.line - b.line || (a.column ?? 0) - (b.column ?? 0));
  const [first, ...rest] = sorted;
  if (first === undefined) throw new Error('problemsError needs at least one problem');
  return new GuildError(first.code, first.message, {
    location: { file, line: first.line, column: first.column },
    more: rest.map((p) => `${formatLocation({ file, line: p.line, column: p.column })}: ${p.message}`),
  });
}

/** `file:line: message`, as warnings are shown. */
export function formatWarning(warning: ListWarning, file: string): string {
  return `${formatLocation({ file, line: warning.line })}: ${warning.message}`;
}
