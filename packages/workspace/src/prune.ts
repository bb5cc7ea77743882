import { GuildError, type Logger, type RunRemovedContext } from '@guild/core';
import { checkpointRef, checkpointIndexRef } from './checkpoint';
import { git } from './git';
import { deleteRef, resolveRev } from './objects';
import type { Repo } from './repo';
import { readRecord } from './run-record';
import { integrationBranch, keptWorktrees } from './worktrees';

/**
 * What the workspace keeps of a run outside its folder, removed when `guild runs --prune`
 * removes the run: its checkpoint refs, and its integration branch when that holds nothing
 * that is not in HEAD (`git branch -d`; or only the checkpoint). A branch with unmerged work,
 * or checked out somewhere, is left alone and said so. A run with worktrees kept for inspection
 * is not removed: they hold work that never landed, and `guild worktrees --remove` is how
 * they go.
 */
export async function removeRunArtifacts(repo: Repo, run: RunRemovedContext, logger: Logger): Promise<void> {
  const { runId, runDir } = run;
  const kept = await keptWorktrees(repo, runDir, runId);
  if (kept.length > 0) {
    throw new GuildError(
      'RUN_LOCKED',
      `it has ${kept.length} worktree${kept.length === 1 ? '' : 's'} kept for inspection (${kept.map((k) => k.task).join(', ')}); "guild worktrees ${runId}" lists them, "guild worktrees ${runId} --remove" deletes them`,
    );
  }
  const branch = integrationBranch(runId);
  const tip = await resolveRev(repo, `refs/heads/${branch}`);
  if (tip !== undefined) {
    // Only the checkpoint on it (nothing landed): nothing of the run's own to keep.
    const empty = readRecord(runDir, runId)?.integration?.base === tip;
    // git refuses (exit 1) a branch that is checked out, or (-d) not merged into HEAD.
    const r = await git(['branch', empty ? '-D' : '-d', branch], { cwd: repo.top, ok: [1] });
    if (r.code !== 0) logger.info(`left branch ${branch} of run ${runId}: ${r.stderr.trim().split('\n')[0]?.replace(/^error: /, '')}`);
  }
  await deleteRef(repo, checkpointIndexRef(runId));
  await deleteRef(repo, checkpointRef(runId));
}
