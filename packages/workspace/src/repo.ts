import { existsSync } from 'node:fs';
import path from 'node:path';
import { GuildError, findCommand } from '@guild/core';
import { GitError, git } from './git';

/** A git working tree guild works in. */
export interface Repo {
  /** The working tree's top folder. */
  readonly top: string;
  /** The git folder all worktrees share (`.git` of the main worktree). */
  readonly commonDir: string;
  /** This working tree's index file. */
  readonly indexFile: string;
  /** git's version, e.g. `[2, 39]`. */
  readonly version: readonly [number, number];
}

/** What {@link probeRepo} found: a repository, or why there is none. */
export type RepoProbe =
  | { readonly kind: 'repo'; readonly repo: Repo }
  | { readonly kind: 'no-git' | 'not-a-repo'; readonly reason: string };

/** `git merge-tree --write-tree`, which the merge queue uses, came with git 2.38. */
const MERGE_TREE_VERSION: readonly [number, number] = [2, 38];

/**
 * Finds the git working tree holding `dir`. Resolves to `no-git` when git is not installed,
 * `not-a-repo` when `dir` is in no working tree (or in a bare repository); never throws for those.
 * A folder with no `.git` in it or above it is no working tree: that is answered without
 * running git (guild runs git without the variables that could point it elsewhere).
 *
 * @throws {@link GitError} when git fails for another reason
 */
export async function probeRepo(dir: string): Promise<RepoProbe> {
  const noGit: RepoProbe = { kind: 'no-git', reason: 'git was not found on PATH' };
  const notARepo: RepoProbe = { kind: 'not-a-repo', reason: `${dir} is not inside a git working tree` };
  if (!hasGitAbove(path.resolve(dir))) return findCommand('git') ? notARepo : noGit;
  // In a bare repository or outside a working tree, rev-parse prints "false" or fails (128).
  const [version, where] = await Promise.allSettled([
    git(['version'], { cwd: dir }),
    git(['rev-parse', '--is-inside-work-tree', '--show-toplevel', '--git-common-dir', '--git-path', 'index'], { cwd: dir, ok: [128] }),
  ]);
  if (version.status === 'rejected') {
    if (version.reason instanceof GitError && version.reason.missing) return noGit;
    throw version.reason;
  }
  if (where.status === 'rejected') throw where.reason;
  const [isInside, top, commonDir, indexFile] = where.value.stdout.split('\n').filter(Boolean);
  if (where.value.code !== 0 || isInside !== 'true' || !top || !commonDir || !indexFile) return notARepo;
  const match = /(\d+)\.(\d+)/.exec(version.value.stdout);
  return {
    kind: 'repo',
    repo: {
      top,
      commonDir: path.resolve(dir, commonDir),
      indexFile: path.resolve(dir, indexFile),
      version: match ? [Number(match[1]), Number(match[2])] : [0, 0],
    },
  };
}

/** Whether `dir` or a folder above it has a `.git` (a folder, or a file as in linked worktrees). */
function hasGitAbove(dir: string): boolean {
  for (let d = dir; ; d = path.dirname(d)) {
    if (existsSync(path.join(d, '.git'))) return true;
    if (path.dirname(d) === d) return false;
  }
}

/**
 * The repository `probe` found, for a feature that cannot work without one.
 *
 * @param feature what needs it, e.g. `isolation "worktree"`
 * @param fallback what the user can do instead, appended to the message
 * @throws a `CONFIG_INVALID` {@link GuildError} saying why there is no repository and what to do
 */
export function requireRepo(probe: RepoProbe, feature: string, fallback?: string): Repo {
  if (probe.kind === 'repo') return probe.repo;
  const fix = probe.kind === 'no-git' ? 'install git' : 'run "git init" there (and commit)';
  throw new GuildError('CONFIG_INVALID', `${feature} needs a git repository, but ${probe.reason}; ${fix}${fallback ? `, or ${fallback}` : ''}`);
}

/**
 * Checks that git is recent enough for worktree isolation.
 *
 * @throws a `CONFIG_INVALID` {@link GuildError} naming the version found and the one needed
 */
export function requireMergeTree(repo: Repo): void {
  const [major, minor] = repo.version;
  const [needMajor, needMinor] = MERGE_TREE_VERSION;
  if (major > needMajor || (major === needMajor && minor >= needMinor)) return;
  throw new GuildError(
    'CONFIG_INVALID',
    `isolation "worktree" needs git ${needMajor}.${needMinor} or later (for "git merge-tree --write-tree"); this is git ${major}.${minor}. Update git, or use --isolation shared`,
  );
}
