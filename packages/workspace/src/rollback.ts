import { mkdtemp, rm, rmdir, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GuildError } from '@guild/core';
import { readCheckpoint, type Checkpoint } from './checkpoint';
import { git } from './git';
import { diffTrees, resolveRev, updateRef } from './objects';
import type { Repo } from './repo';
import { copyIndex, writeWorkingTree } from './snapshot';

/** Submodules are recorded by commit only: rollback neither writes nor removes them. */
const SUBMODULE = '160000';

/** A branch guild fast-forwarded at the end of a run, so rollback can move it back. */
export interface FastForward {
  /** e.g. `refs/heads/main`. */
  ref: string;
  from: string;
  to: string;
}

/** What {@link rollback} did. */
export interface RollbackReport {
  checkpoint: Checkpoint;
  /** Files whose content or type was put back. */
  changed: string[];
  /** Files that were gone and were written again. */
  added: string[];
  /** Files created since the checkpoint (not ignored ones), deleted. */
  removed: string[];
  /** The branch guild had fast-forwarded, moved back; or why it was left. */
  branch?: { moved: true; ref: string; to: string } | { moved: false; ref: string; reason: string };
  /** Whether the index was put back as it was (only when HEAD is where it was). */
  index: 'restored' | 'left as it is';
}

/**
 * Puts the working tree back exactly as it was when run `runId` started: every file of the
 * checkpoint gets its content and mode back, files created since are deleted (ignored files
 * and guild's run store are never touched), unchanged files are not rewritten. When guild
 * fast-forwarded the user's branch at the end of that run and the branch is still there, the
 * branch is moved back first. When HEAD is (again) where it was, the index is restored too.
 *
 * @param exclude repository-relative paths never touched (guild's run store)
 * @param fastForward what guild did to the user's branch at the end of the run, if anything
 * @throws a `RUN_NOT_FOUND` GuildError when the run has no checkpoint
 */
export async function rollback(
  repo: Repo,
  runId: string,
  exclude: readonly string[],
  fastForward?: FastForward,
): Promise<RollbackReport> {
  const checkpoint = await readCheckpoint(repo, runId);
  if (!checkpoint) {
    throw new GuildError('RUN_NOT_FOUND', `run ${runId} has no checkpoint in ${repo.top}; "guild rollback --list" lists them`);
  }
  const branch = fastForward ? await undoFastForward(repo, fastForward) : undefined;
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'guild-rollback-'));
  try {
    const nowIndex = path.join(tmp, 'now');
    await copyIndex(repo, nowIndex);
    const now = await writeWorkingTree(repo, nowIndex, exclude);
    const report: RollbackReport = { checkpoint, changed: [], added: [], removed: [], branch, index: 'left as it is' };
    const restore: string[] = [];
    for (const change of await diffTrees(repo, now, checkpoint.tree)) {
      if (change.fromMode === SUBMODULE || change.toMode === SUBMODULE) continue;
      if (change.status === 'D') report.removed.push(change.path);
      else {
        (change.status === 'A' ? report.added : report.changed).push(change.path);
        restore.push(change.path);
      }
    }
    // Removals first: a file may give way to a folder of the same name, or the other way round.
    for (const file of report.removed) await removeFile(repo.top, file);
    if (restore.length > 0) {
      const env = { GIT_INDEX_FILE: path.join(tmp, 'checkpoint') };
      await git(['read-tree', checkpoint.tree], { cwd: repo.top, env });
      await git(['checkout-index', '--force', '-z', '--stdin'], { cwd: repo.top, env, input: `${restore.join('\0')}\0` });
    }
    if (checkpoint.head !== undefined && (await resolveRev(repo, 'HEAD^{commit}')) === checkpoint.head) {
      await git(['read-tree', checkpoint.index ?? checkpoint.head], { cwd: repo.top });
      await git(['update-index', '-q', '--refresh'], { cwd: repo.top, ok: [1] });
      report.index = 'restored';
    }
    return report;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function undoFastForward(repo: Repo, ff: FastForward): Promise<NonNullable<RollbackReport['branch']>> {
  const at = await resolveRev(repo, ff.ref);
  if (at !== ff.to) return { moved: false, ref: ff.ref, reason: 'it has moved on since guild fast-forwarded it' };
  await updateRef(repo, ff.ref, ff.from, ff.to);
  return { moved: true, ref: ff.ref, to: ff.from };
}

/** Deletes `file` (repository-relative) and then every folder above it that is left empty. */
async function removeFile(top: string, file: string): Promise<void> {
  try {
    await unlink(path.join(top, file));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  for (let dir = path.dirname(file); dir !== '.'; dir = path.dirname(dir)) {
    try {
      await rmdir(path.join(top, dir));
    } catch {
      return; // not empty (ignored files, other files): it stays
    }
  }
}
