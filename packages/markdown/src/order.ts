import type { ListWarning } from './problems';
import type { ListedTask, Phase } from './task-list';

/** A phase with its tasks, by section in file order. */
export interface PhaseTasks {
  phase: Phase;
  sections: ReadonlyArray<{ title?: string; tasks: ListedTask[] }>;
}

/** Tasks that may run together (a run of `[P]` tasks, or of one `[P:Group-x]` group), or one task alone. */
interface Block {
  /** `[P]`, `group <name>`, or undefined for a task that runs alone. */
  key?: string;
  tasks: ListedTask[];
  waitsFor: string[];
}

/**
 * Sets every task's `dependsOn`: its written dependencies plus what its place implies.
 * - Within a phase, tests sections run before the other sections. A task without a marker
 *   waits for everything before it; consecutive `[P]` tasks (or consecutive tasks of one
 *   `[P:Group-x]` group) form a block that runs together, waits for what came before it, and
 *   is waited for by what follows. A heading ends a block.
 * - A sequential phase (setup, foundational, polish, any other) waits for everything before it.
 *   Consecutive user-story phases all wait for what came before the first of them and run
 *   alongside each other; the next sequential phase waits for all of them.
 *
 * Only the last block before a task is named in its `dependsOn`: the rest follows transitively.
 *
 * @returns warnings: `[P]`/group tasks that write the same file, groups split by other tasks,
 *   tests sections written after implementation
 */
export function wireDependencies(phases: readonly PhaseTasks[]): ListWarning[] {
  const warnings: ListWarning[] = [];
  // Where each group was first seen, across the sequential phases; a story phase has its own.
  const groups = new Map<string, number>();
  let before: string[] = [];
  let storyStart: string[] = [];
  // The last block of each story phase in the current run of story phases; undefined outside one.
  let storyEnds: string[] | undefined;
  for (const p of phases) {
    if (p.sections.every((s) => s.tasks.length === 0)) continue;
    if (p.phase.kind === 'story') {
      if (storyEnds === undefined) {
        storyStart = before;
        storyEnds = [];
      }
      storyEnds.push(...wirePhase(p, storyStart, warnings, new Map()));
    } else {
      if (storyEnds !== undefined) before = storyEnds;
      storyEnds = undefined;
      before = wirePhase(p, before, warnings, groups);
    }
  }
  return warnings;
}

/** Wires one phase whose first tasks wait for `start`; returns its last block's ids. */
function wirePhase(p: PhaseTasks, start: string[], warnings: ListWarning[], groups: Map<string, number>): string[] {
  let before = start;
  let block: Block | undefined;
  const blocks: Block[] = [];
  for (const section of testsFirst(p, warnings)) {
    if (block) before = block.tasks.map((t) => t.id);
    block = undefined;
    for (const task of section.tasks) {
      const key = task.group !== undefined ? `group ${task.group}` : task.parallel ? '[P]' : undefined;
      if (block === undefined || key === undefined || block.key !== key) {
        if (block) before = block.tasks.map((t) => t.id);
        block = { key, tasks: [], waitsFor: before };
        blocks.push(block);
      }
      block.tasks.push(task);
      task.dependsOn = [...new Set([...block.waitsFor, ...task.after])];
    }
  }
  warnings.push(...sameFileWarnings(blocks), ...splitGroupWarnings(blocks, groups));
  return block ? block.tasks.map((t) => t.id) : before;
}

const isTests = (title: string | undefined): boolean => title !== undefined && /^\W*tests?\b/i.test(title);

/** The phase's sections with tests sections first (spec-kit: tests before implementation). */
function testsFirst(p: PhaseTasks, warnings: ListWarning[]): PhaseTasks['sections'] {
  const sections = p.sections;
  const late = sections.find(
    (s, i) => isTests(s.title) && s.tasks.length > 0 && sections.slice(0, i).some((o) => !isTests(o.title) && o.tasks.length > 0),
  );
  if (late) {
    warnings.push({
      line: late.tasks[0]!.line,
      message: `the section "${late.title}" comes after implementation tasks of its phase; its tasks run first (tests before implementation)`,
    });
  }
  return [...sections.filter((s) => isTests(s.title)), ...sections.filter((s) => !isTests(s.title))];
}

/** Tasks of one block that write the same file: they cannot run together after all. */
function sameFileWarnings(blocks: readonly Block[]): ListWarning[] {
  const warnings: ListWarning[] = [];
  for (const block of blocks) {
    if (block.key === undefined) continue;
    block.tasks.forEach((task, j) => {
      for (const other of block.tasks.slice(0, j)) {
        const shared = sharedPath(other.writes, task.writes);
        if (shared === undefined) continue;
        warnings.push({
          line: task.line,
          message: `${task.id} and ${other.id} (line ${other.line}) are both ${block.key} but both write ${shared}; they will not run at the same time (the conflict checker holds one back)`,
        });
        break;
      }
    });
  }
  return warnings;
}

/** The first path of `a` that overlaps one of `b` (the same path, or one inside the other). */
function sharedPath(a: readonly string[], b: readonly string[]): string | undefined {
  const folder = (p: string) => (p.endsWith('/') ? p : `${p}/`);
  for (const x of a) {
    for (const y of b) {
      if (x === y || folder(x) === folder(y)) return x;
      if (y.startsWith(folder(x))) return `${y} (inside ${x})`;
      if (x.startsWith(folder(y))) return `${x} (inside ${y})`;
    }
  }
  return undefined;
}

/** A group that comes back after other tasks forms a second block that waits for the first. */
function splitGroupWarnings(blocks: readonly Block[], seen: Map<string, number>): ListWarning[] {
  const warnings: ListWarning[] = [];
  for (const block of blocks) {
    if (!block.key?.startsWith('group ')) continue;
    const first = seen.get(block.key);
    if (first !== undefined) {
      warnings.push({
        line: block.tasks[0]!.line,
        message: `${block.key} continues here after other tasks (it started at line ${first}); these tasks wait for the tasks in between instead of running with the group's first ones`,
      });
    } else {
      seen.set(block.key, block.tasks[0]!.line);
    }
  }
  return warnings;
}
