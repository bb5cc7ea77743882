import { GitError, git, splitNul } from './git';
import { commitTree, isAncestor, resolveRev, updateRef } from './objects';
import type { Repo } from './repo';

/** How merging a task's commit into the integration branch went. */
export type Landing = { landed: true; tip: string } | { landed: false; conflicts: string[] };

/**
 * Merges `commit` into `branch` without any working tree: a fast-forward when the branch has
 * not moved past the commit's base, else a merge commit (by guild, with `message`) of the
 * tree `git merge-tree --write-tree` computes. A conflict changes nothing and names the files.
 * Callers run one landing at a time per branch; the ref update is a compare-and-swap anyway.
 *
 * @throws {@link GitError} when git fails, or the branch does not exist
 */
export async function land(repo: Repo, branch: string, commit: string, message: string): Promise<Landing> {
  const ref = `refs/heads/${branch}`;
  const tip = await resolveRev(repo, ref);
  if (tip === undefined) throw new GitError(`the integration branch ${branch} does not exist in ${repo.top}`);
  if (await isAncestor(repo, tip, commit)) {
    await updateRef(repo, ref, commit, tip);
    return { landed: true, tip: commit };
  }
  const merged = await git(['merge-tree', '--write-tree', '--name-only', '--no-messages', '-z', tip, commit], { cwd: repo.top, ok: [1] });
  const [tree = '', ...conflicts] = splitNul(merged.stdout);
  if (merged.code === 1) return { landed: false, conflicts };
  const mergeCommit = await commitTree(repo, tree, [tip, commit], message);
  await updateRef(repo, ref, mergeCommit, tip);
  return { landed: true, tip: mergeCommit };
}
