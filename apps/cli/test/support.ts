/** Shared bits of the CLI end-to-end tests (not a test file itself). */
import { expect } from 'vitest';
import { stringify } from 'yaml';
import type { GuildResult } from '@guild/test-utils';

/** A task as written in a plan file (only what these tests use). */
export interface PlanTask {
  id: string;
  title?: string;
  run: string;
  dependsOn?: string[];
  writes?: string[];
  reads?: string[];
  resources?: string[];
  priority?: number;
  estimate?: string | number;
  env?: Record<string, string>;
}

/** A YAML plan file's text. */
export const planYaml = (tasks: PlanTask[]): string => stringify({ version: 1, tasks });

/** The run id from the reporter's header line `guild run <id>: ...`. */
export function runIdOf(stdout: string): string {
  const m = /^guild run (\S+): /m.exec(stdout);
  if (!m) throw new Error(`no "guild run <id>:" header in:\n${stdout}`);
  return m[1]!;
}

/** The reporter lines about one task, without their `[mm:ss.mmm]` stamps. */
export function linesAbout(stdout: string, id: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('['))
    .map((l) => l.replace(/^\[\d\d:\d\d\.\d{3}\] /, ''))
    .filter((l) => l.startsWith(`${id} `));
}

/** A stack frame line as Node prints it: no user-facing message may contain one. */
export const STACK_FRAME = /^\s+at /m;

/** Asserts guild refused bad input: exit 2, nothing on stdout, `guild: ` messages, no stack trace. */
export function expectBadInput(r: GuildResult): string {
  const context = `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
  expect(r.code, context).toBe(2);
  expect(r.stderr, context).not.toMatch(STACK_FRAME);
  expect(r.stderr).not.toContain('internal error');
  expect(r.stdout, context).toBe('');
  const first = r.stderr.split('\n')[0]!;
  expect(first, context).toMatch(/^guild: /);
  return first;
}
