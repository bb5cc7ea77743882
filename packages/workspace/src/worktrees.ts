import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { git, splitNul } from './git';
import { matchesGlob } from './globs';
import { deleteRef, resolveRev } from './objects';
import type { Repo } from './repo';
import { readRecord, type KeptWorktree } from './run-record';

/** A task's own worktree and branch. */
export interface TaskWorktree {
  /** Absolute folder of the worktree. */
  readonly path: string;
  /** e.g. `guild/<run-id>-<task-id>`. */
  readonly branch: string;
  /** The integration branch's commit the worktree was made from. */
  readonly base: string;
}

/**
 * The run's integration branch, `guild/<run-id>`, where landed tasks are merged. (Task branches
 * cannot live below it, as `guild/<run-id>/<task>`: a git ref cannot be both a branch and a
 * folder of branches.)
 */
export const integrationBranch = (runId: string): string => `guild/${runId}`;

/** Where a run's worktrees go: inside the git folder, where no tool of the project looks for files. */
export const worktreesDir = (repo: Repo, runId: string): string => path.join(repo.commonDir, 'guild', 'worktrees', runId);

/**
 * A task id as a branch-name and folder-name part: `:` and `..` are not allowed in refs, nor
 * a trailing `.lock` or `.`, so such ids are rewritten and get a short hash of the id, so two
 * ids never share a slug.
 */
export function taskSlug(taskId: string): string {
  const slug = taskId.replace(/:/g, '-').replace(/\.\./g, '-.');
  if (slug === taskId && !slug.endsWith('.lock') && !slug.endsWith('.')) return slug;
  return `${slug.replace(/\.$/, '-')}-${createHash('sha1').update(taskId).digest('hex').slice(0, 6)}`;
}

/**
 * Makes a worktree for `taskId` on a new branch from `base`, named `guild/<run-id>-<slug>`
 * (`-2`, `-3`, ... when a branch or folder of that name exists, e.g. from an earlier attempt).
 * Hooks do not run. Returns it.
 */
export async function addWorktree(repo: Repo, runId: string, taskId: string, base: string): Promise<TaskWorktree> {
  const slug = taskSlug(taskId);
  const dir = worktreesDir(repo, runId);
  await mkdir(dir, { recursive: true });
  for (let n = 1; ; n++) {
    const name = n === 1 ? slug : `${slug}-${n}`;
    const branch = `${integrationBranch(runId)}-${name}`;
    const where = path.join(dir, name);
    if (existsSync(where) || (await resolveRev(repo, `refs/heads/${branch}`)) !== undefined) continue;
    await git(['-c', 'core.hooksPath=/dev/null', 'worktree', 'add', '--quiet', '-b', branch, where, base], { cwd: repo.top });
    return { path: where, branch, base };
  }
}

/**
 * Removes a worktree (with whatever untracked files it holds) and, unless `keepBranch`, its
 * branch. A worktree whose folder was deleted by hand is forgotten by git (`worktree prune`).
 */
export async function removeWorktree(repo: Repo, worktree: Pick<TaskWorktree, 'path' | 'branch'>, keepBranch = false): Promise<void> {
  if (existsSync(worktree.path)) await git(['worktree', 'remove', '--force', worktree.path], { cwd: repo.top });
  else await git(['worktree', 'prune'], { cwd: repo.top });
  if (!keepBranch) await deleteRef(repo, `refs/heads/${worktree.branch}`);
}

/**
 * The lines of `.worktreeinclude` at the repository's root: one path or glob per line, blank
 * lines and `#` comments skipped, a leading `/` dropped. None when there is no such file.
 */
export async function readWorktreeInclude(repo: Repo): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path.join(repo.top, '.worktreeinclude'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((line) => line.trim().replace(/^\//, ''))
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * What `patterns` (paths or globs relative to the repository's root) name in the project:
 * each plain path that exists, and the ignored files and wholly ignored folders (as git lists
 * them) a glob matches. Untracked files that are not ignored need no copying: the checkpoint
 * brings them into every worktree.
 */
export async function resolveIncludes(repo: Repo, patterns: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  const globs = patterns.filter((p) => /[*?[{]/.test(p));
  for (const p of patterns) if (!globs.includes(p) && existsSync(path.join(repo.top, p))) found.add(p);
  if (globs.length > 0) {
    const listed = await git(['ls-files', '--others', '--ignored', '--exclude-standard', '--directory', '-z'], { cwd: repo.top });
    for (const entry of splitNul(listed.stdout).map((e) => e.replace(/\/$/, ''))) {
      if (globs.some((g) => matchesGlob(g, entry))) found.add(entry);
    }
  }
  return [...found].sort();
}

/** Copies `paths` (repository-relative) from the project into `worktree` where it has none of its own. */
export async function copyIncludes(repo: Repo, worktree: string, paths: readonly string[]): Promise<void> {
  for (const rel of paths) {
    const to = path.join(worktree, rel);
    if (existsSync(to)) continue;
    await mkdir(path.dirname(to), { recursive: true });
    await cp(path.join(repo.top, rel), to, { recursive: true, verbatimSymlinks: true });
  }
}

/** The worktrees run `runId` kept for inspection whose branch is still there (not deleted since). */
export async function keptWorktrees(repo: Repo, runDir: string, runId: string): Promise<KeptWorktree[]> {
  const kept: KeptWorktree[] = [];
  for (const k of readRecord(runDir, runId)?.kept ?? []) if ((await resolveRev(repo, `refs/heads/${k.branch}`)) !== undefined) kept.push(k);
  return kept;
}
