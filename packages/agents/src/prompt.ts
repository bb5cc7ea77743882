import path from 'node:path';
import type { Task } from '@guild/core';

/**
 * The files a task declares it writes (paths, not globs), relative to the task's folder: what
 * `{files}` expands to. `root` is the plan's root, which declared paths are relative to; it
 * matters only for a task with its own `cwd`.
 */
export function declaredFiles(task: Task, root: string = task.cwd): string[] {
  const out: string[] = [];
  for (const a of task.access) {
    if (a.kind !== 'path' || a.mode !== 'write' || a.glob) continue;
    const rel = path.relative(task.cwd, path.resolve(root, a.path));
    if (rel !== '') out.push(rel.split(path.sep).join('/'));
  }
  return out;
}

/**
 * The prompt an agent gets for a task. A task with only a `prompt` gets it exactly as written;
 * otherwise the title, prompt, description, acceptance criteria, declared files and skills are
 * laid out as short sections. The text is passed as one argument and never through a shell.
 */
export function buildPrompt(task: Task): string {
  const spec = task.spec;
  const list = (items: readonly string[]) => items.map((i) => `- ${i}`).join('\n');
  const sections: string[] = [];
  if (spec.title !== undefined && spec.title !== spec.prompt) sections.push(spec.title);
  if (spec.prompt !== undefined) sections.push(spec.prompt);
  if (spec.description !== undefined) sections.push(spec.description);
  if (spec.acceptance?.length) sections.push(`Acceptance criteria:\n${list(spec.acceptance)}`);
  if (spec.writes?.length) sections.push(`Files you may change:\n${list(spec.writes)}`);
  if (spec.reads?.length) sections.push(`Files to read:\n${list(spec.reads)}`);
  if (spec.skills?.length) sections.push(`Skills to use:\n${list(spec.skills)}`);
  return sections.join('\n\n');
}
