import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { git } from './git';
import { commitTree, listRefs, resolveRev, updateRef } from './objects';
import type { Repo } from './repo';
import { copyIndex, writeWorkingTree } from './snapshot';

const CHECKPOINTS = 'refs/guild/checkpoints/';
const INDEXES = 'refs/guild/checkpoint-index/';
/** The line that marks a checkpoint commit guild made (rather than the user's own HEAD). */
const trailer = (runId: string) => `Guild-Checkpoint: ${runId}`;

/** The ref holding the tree as it was when run `runId` started. */
export const checkpointRef = (runId: string): string => `${CHECKPOINTS}${runId}`;
/** The ref holding the index (staged changes) as it was when run `runId` started, when it differed. */
export const checkpointIndexRef = (runId: string): string => `${INDEXES}${runId}`;

/** The project as it was when a run started. */
export interface Checkpoint {
  readonly runId: string;
  readonly ref: string;
  /**
   * A commit whose tree is the working tree as it was (tracked and untracked files, not
   * ignored ones): HEAD itself when the tree was clean, else a commit on top of HEAD.
   */
  readonly commit: string;
  readonly tree: string;
  /** HEAD when the run started; absent on a branch without commits. */
  readonly head?: string;
  /** The working tree matched HEAD exactly (so {@link commit} is HEAD). */
  readonly clean: boolean;
  /** A commit holding the index as it was, when it differed from HEAD (staged changes). */
  readonly index?: string;
}

/**
 * Records the project's working tree under `refs/guild/checkpoints/<run-id>` without touching
 * the user's index, working tree or stash: files are staged into a copy of the index and
 * written as a tree. The index is recorded too when something was staged. A run that already
 * has a checkpoint (a resumed run) keeps it. Returns the checkpoint.
 *
 * @param exclude repository-relative paths left out (guild's run store)
 */
export async function takeCheckpoint(repo: Repo, runId: string, exclude: readonly string[]): Promise<Checkpoint> {
  const existing = await readCheckpoint(repo, runId);
  if (existing) return existing;
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'guild-checkpoint-'));
  try {
    const head = await resolveRev(repo, 'HEAD^{commit}');
    const headTree = head === undefined ? undefined : await resolveRev(repo, `${head}^{tree}`);
    const parents = head === undefined ? [] : [head];
    const staged = path.join(tmp, 'staged');
    const work = path.join(tmp, 'work');
    await copyIndex(repo, staged);
    await copyIndex(repo, work);
    const tree = await writeWorkingTree(repo, work, exclude);
    const clean = head !== undefined && tree === headTree;
    const commit = clean ? head : await commitTree(repo, tree, parents, `guild checkpoint before run ${runId}\n\n${trailer(runId)}\n`);
    // An index with unresolved conflicts has no tree: it is then not recorded, and rollback leaves the index be.
    const indexTree = await git(['write-tree'], { cwd: repo.top, env: { GIT_INDEX_FILE: staged }, ok: [128] });
    const stagedTree = indexTree.code === 0 ? indexTree.stdout.trim() : undefined;
    let index: string | undefined;
    if (stagedTree !== undefined && stagedTree !== headTree) {
      index = await commitTree(repo, stagedTree, parents, `guild: index before run ${runId}\n`);
      await updateRef(repo, checkpointIndexRef(runId), index, null);
    }
    await updateRef(repo, checkpointRef(runId), commit, null);
    return { runId, ref: checkpointRef(runId), commit, tree, head, clean, index };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The checkpoint of run `runId`, or `undefined` when it has none. */
export async function readCheckpoint(repo: Repo, runId: string): Promise<Checkpoint | undefined> {
  const ref = checkpointRef(runId);
  const commit = await resolveRev(repo, `${ref}^{commit}`);
  if (commit === undefined) return undefined;
  const [header = '', ...body] = (await git(['log', '-1', '--format=%T %P%n%B', commit], { cwd: repo.top })).stdout.split('\n');
  const [tree = '', parent] = header.split(' ');
  const clean = !body.includes(trailer(runId));
  const index = await resolveRev(repo, `${checkpointIndexRef(runId)}^{commit}`);
  return { runId, ref, commit, tree, head: clean ? commit : parent || undefined, clean, index };
}

/** Run ids that have a checkpoint, oldest first (run ids sort by start time). */
export async function listCheckpoints(repo: Repo): Promise<string[]> {
  return (await listRefs(repo, CHECKPOINTS)).map((r) => r.ref.slice(CHECKPOINTS.length)).sort();
}
