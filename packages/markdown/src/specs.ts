import type { TaskSpec } from '@guild/core';
import type { ListedTask, TaskList } from './task-list';

/** How {@link toTaskSpecs} makes specs. */
export interface SpecOptions {
  /** The task list as the user named it, for messages and prompts. */
  file: string;
  /** Its absolute path, kept in each spec's `meta.markdown.path` so a finished task's box can be ticked. */
  path: string;
  /** A shell command every task runs instead of an agent; the task's text reaches it only through env. */
  run?: string;
  /** The runner (agent profile) every task uses; default none, so agent detection picks one. */
  agent?: string;
}

/** What a markdown task's spec carries in `meta.markdown`. */
export interface MarkdownMeta {
  /** Absolute path of the task list. */
  path: string;
  line: number;
  phase?: string;
  section?: string;
  story?: string;
}

/**
 * Turns a parsed list into task specs. Done tasks are left out and whatever waited for one
 * waits for what it waited for instead, so no task is held up by a ticked box and the order
 * among the remaining tasks stays as the list says. Each spec gets the task's prompt (its text
 * plus where it stands: feature, phase, goal, section, story), its `writes`, `group` (the
 * `[P:Group-x]` group, else the story), the story phase's priority, and env for a `run` command:
 * `GUILD_TASK_TITLE`, `GUILD_TASK_PROMPT`, `GUILD_TASK_FILE`, `GUILD_TASK_LINE`, `GUILD_TASK_GROUP`.
 */
export function toTaskSpecs(list: TaskList, options: SpecOptions): TaskSpec[] {
  const byId = new Map(list.tasks.map((t) => [t.id, t]));
  const resolved = new Map<string, string[]>();
  const waitsFor = (id: string, visiting: Set<string>): string[] => {
    const task = byId.get(id);
    if (task === undefined || !task.done) return [id];
    const known = resolved.get(id);
    if (known !== undefined) return known;
    // A cycle through done tasks leads nowhere that still runs.
    if (visiting.has(id)) return [];
    visiting.add(id);
    const result = [...new Set(task.dependsOn.flatMap((d) => waitsFor(d, visiting)))];
    resolved.set(id, result);
    return result;
  };
  return list.tasks
    .filter((t) => !t.done)
    .map((task) => {
      const dependsOn = [...new Set(task.dependsOn.flatMap((d) => waitsFor(d, new Set())))];
      return toSpec(list, task, dependsOn, options);
    });
}

function toSpec(list: TaskList, task: ListedTask, dependsOn: string[], options: SpecOptions): TaskSpec {
  const prompt = buildPrompt(list, task, options.file);
  const group = task.group ?? task.story;
  const env: Record<string, string> = {
    GUILD_TASK_TITLE: task.title,
    GUILD_TASK_PROMPT: prompt,
    GUILD_TASK_FILE: options.path,
    GUILD_TASK_LINE: String(task.line),
  };
  if (group !== undefined) env.GUILD_TASK_GROUP = group;
  const meta: MarkdownMeta = {
    path: options.path,
    line: task.line,
    phase: task.phase.title,
    section: task.section,
    story: task.story,
  };
  const spec: TaskSpec = {
    id: task.id,
    title: task.title,
    prompt,
    env,
    dependsOn,
    meta: { markdown: meta },
    origin: { source: 'markdown', file: options.file, line: task.line, column: task.column },
  };
  if (options.run !== undefined) spec.run = options.run;
  if (options.agent !== undefined) spec.agent = options.agent;
  if (task.writes.length > 0) spec.writes = task.writes;
  if (group !== undefined) spec.group = group;
  if (task.phase.kind === 'story' && task.phase.priority !== undefined) spec.priority = task.phase.priority;
  return spec;
}

/** The task's text, then where it stands in the list, then the lines written under it. */
export function buildPrompt(list: TaskList, task: ListedTask, file: string): string {
  const about = list.title ? ` for "${list.title}"` : '';
  const lines = [`This is task ${task.id} of the task list ${file} (line ${task.line})${about}.`];
  const add = (label: string, value: string | undefined) => {
    if (value !== undefined && value !== '') lines.push(`- ${label}: ${value}`);
  };
  add('Phase', task.phase.title);
  add('Goal', task.phase.goal);
  add('Section', task.section);
  add('User story', task.story);
  add('Group', task.group);
  const parts = [task.title, lines.join('\n')];
  if (task.details.length > 0) parts.push(`Notes:\n${task.details.join('\n')}`);
  return parts.join('\n\n');
}
