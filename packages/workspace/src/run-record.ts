import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeAtomic } from '@guild/core';
import type { FastForward } from './rollback';

/** What the workspace plugin knows about one task of a run (its latest attempt). */
export interface TaskWorkspace {
  /** Where it ran: in the project, or in a worktree of its own. */
  where: 'project' | 'worktree';
  attempt: number;
  /** Repository-relative paths of the files it changed. */
  changed: string[];
  /** Those of {@link changed} that no declared write covers. */
  undeclared: string[];
  /**
   * `exact` for a worktree task, or a task alone in the project while it ran; `approximate`
   * when other tasks ran in the project at the same time (see {@link alongside}); `unchecked`
   * in shared isolation without `checkWrites` (then `changed` and `undeclared` are empty).
   */
  attribution: 'exact' | 'approximate' | 'unchecked';
  /** Tasks that ran in the project at the same time; files their declared writes cover are not held against this one. */
  alongside?: string[];
  /** The loopback ports it was given. */
  ports?: number[];
  /** Worktree tasks: whether its work is on the integration branch. */
  landed?: boolean;
  /** Worktree tasks: it ran a second time on a newer base after a merge conflict. */
  reran?: boolean;
  /** Worktree tasks: the files that kept it from landing. */
  conflicts?: string[];
}

/** A task branch and worktree kept for inspection (a failed task, or one that could not land). */
export interface KeptWorktree {
  task: string;
  attempt: number;
  branch: string;
  worktree: string;
  reason: string;
}

/** `<run-dir>/workspace.json`: what the workspace plugin did in a run, for people and metrics. */
export interface WorkspaceRecord {
  version: 1;
  runId: string;
  isolation: 'shared' | 'worktree';
  checkpoint?: { ref: string; commit: string; head?: string; clean: boolean };
  /** Worktree isolation: the branch landed work is merged into, where it started, where it is. */
  integration?: { branch: string; base: string; tip?: string };
  /** The user's branch, when guild fast-forwarded it at the end of the run. */
  fastForward?: FastForward;
  /** Undeclared paths summed over tasks, and how many tasks wrote any (for metrics). */
  undeclaredWrites: number;
  tasksWithUndeclaredWrites: number;
  tasks: Record<string, TaskWorkspace>;
  kept: KeptWorktree[];
  /**
   * Worktrees of tries under way: each is recorded when it is made and dropped once it landed
   * or was kept, so the worktree of a task whose driver was killed is known to the resumed
   * run (which keeps it, see {@link KeptWorktree}).
   */
  trying?: Array<Omit<KeptWorktree, 'reason'>>;
}

/** The path of a run's `workspace.json`. */
export const recordFile = (runDir: string): string => path.join(runDir, 'workspace.json');

/** A run's `workspace.json`, or `undefined` when it has none (or a damaged one, which is started over). */
export function readRecord(runDir: string, runId: string): WorkspaceRecord | undefined {
  try {
    const stored = JSON.parse(readFileSync(recordFile(runDir), 'utf8')) as WorkspaceRecord;
    return stored.version === 1 && stored.runId === runId ? stored : undefined;
  } catch {
    return undefined; // none yet, or cut short by a crash: rebuilt as tasks run again
  }
}

/** An empty record for a run. */
export function newRecord(runId: string, isolation: WorkspaceRecord['isolation']): WorkspaceRecord {
  return { version: 1, runId, isolation, undeclaredWrites: 0, tasksWithUndeclaredWrites: 0, tasks: {}, kept: [] };
}

/** Writes the record (atomically), with its totals brought up to date. */
export function saveRecord(runDir: string, record: WorkspaceRecord): void {
  const tasks = Object.values(record.tasks);
  record.undeclaredWrites = tasks.reduce((n, t) => n + t.undeclared.length, 0);
  record.tasksWithUndeclaredWrites = tasks.filter((t) => t.undeclared.length > 0).length;
  if (existsSync(runDir)) writeAtomic(recordFile(runDir), `${JSON.stringify(record, null, 2)}\n`);
}
