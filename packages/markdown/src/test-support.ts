import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createPlan, isGuildError, type GuildError, type Plan } from '@guild/core';
import { toTaskSpecs } from './specs';
import { parseTaskList, type TaskList } from './task-list';

/* Helpers for this package's tests. */

/** The folder of the sample task lists. */
export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** The text of a sample task list. */
export function fixture(name: string): string {
  return readFileSync(`${FIXTURES}${name}`, 'utf8');
}

/** A parsed list and the validated plan core makes of it (every task a `true` shell task). */
export function planOf(text: string, file = 'tasks.md'): { list: TaskList; plan: Plan } {
  const list = parseTaskList(text, file);
  const specs = toTaskSpecs(list, { file, path: `/repo/${file}`, run: 'true' });
  return { list, plan: createPlan(specs, { root: '/repo', file }) };
}

/** Each pending task's direct dependencies in the plan, sorted, for exact comparisons. */
export function edges(plan: Plan): Record<string, string[]> {
  return Object.fromEntries([...plan.tasks.values()].map((t) => [t.id, [...t.dependsOn].sort()]));
}

/** The GuildError `fn` throws; fails the test if it throws something else or nothing. */
export function guildErrorOf(fn: () => unknown): GuildError {
  try {
    fn();
  } catch (e) {
    if (isGuildError(e)) return e;
    throw e;
  }
  throw new Error('expected a GuildError, but nothing was thrown');
}

/** Lines of a task list, joined with `\n` (so tests can write a list as an array). */
export const md = (...lines: string[]): string => `${lines.join('\n')}\n`;
