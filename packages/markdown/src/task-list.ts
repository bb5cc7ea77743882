import { GuildError, type Priority } from '@guild/core';
import { extractPaths } from './extract-paths';
import { wireDependencies } from './order';
import { problemsError, type ListWarning, type Problem } from './problems';
import { readList, type ItemDraft, type ListFormat, type PhaseDraft } from './read-list';
import type { HeadingEntry, NoteEntry } from './scan';
import { findPlaceholders, placeholderFix, placeholderMessage } from './task-line';

/** A phase of a task list (a `##` heading), as its tasks are scheduled. */
export interface Phase {
  /** The heading's text; absent for tasks above the first `##` heading. */
  title?: string;
  line?: number;
  /**
   * `story`: a user-story phase, which waits for the phases before the run of story phases it
   * belongs to and runs alongside the other stories; `sequential`: waits for everything before it.
   */
  kind: 'story' | 'sequential';
  /** `US1` for `User Story 1`. */
  story?: string;
  /** From `(Priority: P1)` in the heading. */
  priority?: Priority;
  /** The phase's `**Goal**:` or `**Purpose**:` line. */
  goal?: string;
}

/** One task of a task list. */
export interface ListedTask {
  /** `T012`, or in a checklist an id made from the title (`implement-login-api`). */
  id: string;
  /** The description, without id, markers and dependency clauses. */
  title: string;
  line: number;
  /** Column of the text after the checkbox. */
  column: number;
  /** The box is ticked (`[x]`/`[X]`): the task is done and is not run. */
  done: boolean;
  /** Marked `[P]`. */
  parallel: boolean;
  /** `auth` from `[P:Group-auth]`. */
  group?: string;
  /** `US1` from `[US1]`. */
  story?: string;
  /** Written dependencies: `(depends on T003)`, `after: T003`. */
  after: string[];
  /** Everything the task waits for: written dependencies plus its place in the list (done tasks included). */
  dependsOn: string[];
  /** File paths named in the title. */
  writes: string[];
  /** Indented lines under the item. */
  details: string[];
  phase: Phase;
  /** The `###` heading the task is under. */
  section?: string;
}

/** A parsed task list. */
export interface TaskList {
  format: ListFormat;
  /** The feature: the first `#` heading, without a leading `Tasks:`. */
  title?: string;
  /** Every task in file order, done ones included. */
  tasks: ListedTask[];
  /** Likely mistakes that do not stop the list from loading, by line. */
  warnings: ListWarning[];
}

/**
 * Parses a markdown task list: a spec-kit `tasks.md` (`- [ ] T012 [P] [US1] Create User model in
 * src/models/user.py`) or a checklist with `[P:Group-name]` markers. Works out what each task
 * waits for (see the package README for the rules). `file` is used in messages only.
 *
 * @throws a {@link GuildError} at `file:line:column` listing every problem (the first as the
 *   message, the rest in `more`): malformed checkbox lines, unfilled template text, missing,
 *   duplicate or unknown task ids; `PLAN_EMPTY` when the file has no checkbox items.
 */
export function parseTaskList(text: string, file: string): TaskList {
  const draft = readList(text);
  const problems = [...draft.problems];
  const warnings = [...draft.warnings];
  const context = contextChecker(problems);
  if (draft.title) context(draft.title);
  const tasks: ListedTask[] = [];
  const phases: Array<{ phase: Phase; sections: Array<{ title?: string; tasks: ListedTask[] }> }> = [];
  for (const phaseDraft of draft.phases) {
    const phase = describePhase(phaseDraft);
    const sections = phaseDraft.sections.map((s) => ({
      title: s.heading?.text,
      tasks: s.items.flatMap((item) => listed(item, phase, s.heading?.text)),
    }));
    if (sections.some((s) => s.tasks.length > 0)) {
      for (const heading of [phaseDraft.heading, phaseDraft.goal]) if (heading) context(heading);
      for (const s of phaseDraft.sections) if (s.heading && s.items.length > 0) context(s.heading);
    }
    phases.push({ phase, sections });
    for (const s of sections) tasks.push(...s.tasks);
  }
  for (const p of phases) {
    if (p.phase.kind === 'story' && p.phase.story === undefined) {
      const stories = new Set(p.sections.flatMap((s) => s.tasks.map((t) => t.story)).filter(Boolean));
      if (stories.size === 1) p.phase.story = [...stories][0];
    }
  }
  warnings.push(...wireDependencies(phases), ...storyMismatches(tasks));
  problems.push(...unknownDependencies(tasks, draft.items));
  if (problems.length > 0) throw problemsError(problems, file);
  if (tasks.length === 0) {
    throw new GuildError('PLAN_EMPTY', 'no tasks found: the file has no checkbox items such as "- [ ] T001 Create the project"', {
      location: { file },
    });
  }
  warnings.sort((a, b) => a.line - b.line);
  return { format: draft.format, title: draft.title?.text.replace(/^Tasks\s*:\s*/i, ''), tasks, warnings };
}

function listed(draft: ItemDraft, phase: Phase, section: string | undefined): ListedTask[] {
  if (draft.id === undefined) return [];
  const { item, parsed } = draft;
  return [
    {
      id: draft.id,
      title: parsed.title,
      line: item.line,
      column: item.column,
      done: item.checked,
      parallel: parsed.parallel,
      group: parsed.group,
      story: parsed.story,
      after: [...new Set(parsed.after.map((a) => a.id))],
      dependsOn: [],
      writes: extractPaths(parsed.title),
      details: item.details,
      phase,
      section,
    },
  ];
}

const STORY_HEADING = /\buser stor(?:y|ies)\b/i;
const SEQUENTIAL_HEADING = /setup|foundation|polish|cross-cutting/i;

function describePhase(draft: PhaseDraft): Phase {
  const title = draft.heading?.text;
  const text = title ?? '';
  const number = /\buser story\s*(\d+)/i.exec(text)?.[1];
  const label = number !== undefined ? `US${number}` : /\b(US\d+)\b/i.exec(text)?.[1]?.toUpperCase();
  const hasStoryTasks = draft.sections.some((s) => s.items.some((i) => i.parsed.story !== undefined));
  const story = label !== undefined || STORY_HEADING.test(text) || (hasStoryTasks && !SEQUENTIAL_HEADING.test(text));
  const priority = /\bpriority\s*:?\s*P([0-4])\b/i.exec(text)?.[1];
  return {
    title,
    line: draft.heading?.line,
    kind: story ? 'story' : 'sequential',
    story: label,
    priority: priority === undefined ? undefined : (Number(priority) as Priority),
    goal: draft.goal?.text,
  };
}

/** Reports template text in a heading or note that becomes part of tasks' prompts, once each. */
function contextChecker(problems: Problem[]): (entry: HeadingEntry | NoteEntry) => void {
  const checked = new Set<number>();
  return (entry) => {
    if (checked.has(entry.line)) return;
    checked.add(entry.line);
    for (const p of findPlaceholders(entry.text)) {
      const where = entry.kind === 'note' ? `the ${entry.label} line` : `the heading "${entry.text}"`;
      problems.push({
        line: entry.line,
        column: entry.column + p.index,
        code: 'PLAN_INVALID',
        message: `${placeholderMessage(p.text)} in ${where}; ${placeholderFix(p.text)}`,
      });
    }
  };
}

function storyMismatches(tasks: readonly ListedTask[]): ListWarning[] {
  return tasks
    .filter((t) => t.story !== undefined && t.phase.story !== undefined && t.story !== t.phase.story)
    .map((t) => ({
      line: t.line,
      message: `${t.id} is labelled [${t.story}] but sits in the phase of ${t.phase.story} ("${t.phase.title}"); it is scheduled with that phase`,
    }));
}

function unknownDependencies(tasks: readonly ListedTask[], items: readonly ItemDraft[]): Problem[] {
  const ids = new Set(items.map((i) => i.id));
  const problems: Problem[] = [];
  for (const draft of items) {
    if (draft.id === undefined) continue;
    for (const dep of draft.parsed.after) {
      if (dep.id === draft.id) {
        problems.push({
          line: draft.item.line,
          column: dep.column,
          code: 'PLAN_CYCLE',
          message: `${draft.id} depends on itself; remove ${dep.id} from its dependency list`,
        });
      } else if (!ids.has(dep.id)) {
        const known = tasks.length > 0 ? ` (tasks here: ${span(tasks)})` : '';
        problems.push({
          line: draft.item.line,
          column: dep.column,
          code: 'PLAN_UNKNOWN_DEPENDENCY',
          message: `${draft.id} depends on ${dep.id}, which is not a task in this file${known}; fix the id or add a task ${dep.id}`,
        });
      }
    }
  }
  return problems;
}

/** `T001..T042` or a short list of ids, for messages. */
function span(tasks: readonly ListedTask[]): string {
  if (tasks.length <= 4) return tasks.map((t) => t.id).join(', ');
  return `${tasks[0]!.id} .. ${tasks.at(-1)!.id}`;
}
