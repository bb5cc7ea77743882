import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { RunResult } from '@guild/core';
import { git } from './git';
import { undeclaredWrites, writesOf } from './globs';
import { land } from './merge';
import { commitTree, deleteRef, diffTrees, resolveRev, updateRef } from './objects';
import { inside } from './paths';
import type { RunSession } from './session';
import type { TaskRun } from './task-run';
import { errorText, note, spawnLogged } from './task-processes';
import { addWorktree, copyIncludes, removeWorktree, type TaskWorktree } from './worktrees';

/** What one try of a task in a worktree left. */
interface Try {
  worktree: TaskWorktree;
  result: RunResult;
  /** The commit holding its work, or `undefined` when it changed nothing. */
  commit?: string;
  changed: string[];
}

/**
 * Runs a task that declares writes in a worktree of its own, on a new branch made from the
 * integration branch as it is now; commits its work there (by guild); checks its changes
 * against its declared writes; and lands the commit through the run's serial merge queue.
 * A merge conflict runs the task once more on a fresh worktree of the updated integration
 * branch; a second conflict fails it, naming the files. A task that fails, breaks `strict`,
 * or cannot land keeps its branch and worktree for inspection; landed worktrees are removed.
 */
export async function runInWorktree(run: TaskRun): Promise<RunResult> {
  const { session, task, ctx } = run;
  let superseded: (TaskWorktree & { conflicts: string[] }) | undefined;
  for (let rerun = false; ; rerun = true) {
    const { worktree, result, commit, changed } = await tryOnce(run);
    const undeclared = undeclaredWrites(changed, writesOf(task.access), session.planDir);
    const record = {
      where: 'worktree' as const,
      attempt: ctx.attempt,
      changed,
      undeclared,
      attribution: 'exact' as const,
      landed: false,
      ...(rerun ? { reran: true } : {}),
      ...(run.ports.length > 0 ? { ports: [...run.ports] } : {}),
    };
    session.setTask(task.id, record);
    if (undeclared.length > 0) note(ctx, `changed files outside its declared writes: ${undeclared.join(', ')}`);
    if (result.outcome !== 'succeeded') {
      const why = result.error ?? (result.exitCode !== undefined ? `exit code ${result.exitCode}` : 'the task failed');
      return { ...result, error: keep(run, worktree, why) };
    }
    if (undeclared.length > 0 && session.settings.options.strict) {
      const why = `changed files outside its declared writes: ${undeclared.join(', ')} (strict mode)`;
      return { outcome: 'failed', exitCode: result.exitCode, error: keep(run, worktree, why) };
    }
    if (commit === undefined) {
      await removeLanded(session, worktree, superseded);
      return result;
    }
    const landing = await session.mergeQueue.run(() => land(session.repo, session.integration, commit, `guild: merge ${task.id} (run ${session.runId})\n`));
    if (landing.landed) {
      session.setTask(task.id, { ...record, landed: true });
      await removeLanded(session, worktree, superseded);
      return result;
    }
    session.setTask(task.id, { ...record, conflicts: landing.conflicts });
    const files = landing.conflicts.join(', ');
    if (rerun || run.processes.stopped) {
      if (superseded) keep(run, superseded, `its first try conflicted in ${superseded.conflicts.join(', ')} (that worktree was removed; the branch holds its work)`);
      const why = `merge conflict with ${session.integration} in ${files}${rerun ? ', also after running again on the new base' : ''}`;
      return { outcome: 'failed', exitCode: result.exitCode, error: keep(run, worktree, why) };
    }
    note(ctx, `merge conflict with ${session.integration} in ${files}; running it again on the new base (its first try stays on ${worktree.branch} until then)`);
    // The first try's branch keeps its work until the second lands; its folder is not needed.
    await session.gitLock.run(() => removeWorktree(session.repo, worktree, true));
    session.removed(worktree.path);
    superseded = { ...worktree, conflicts: landing.conflicts };
  }
}

/** Makes a worktree, prepares it, runs the task in it and commits what it did. */
async function tryOnce(run: TaskRun): Promise<Try> {
  const { session, task, ctx } = run;
  const worktree = await session.gitLock.run(async () => {
    const base = await resolveRev(session.repo, `refs/heads/${session.integration}`);
    if (base === undefined) throw new Error(`the integration branch ${session.integration} is gone`);
    const made = await addWorktree(session.repo, session.runId, task.id, base);
    session.trying({ task: task.id, attempt: ctx.attempt, branch: made.branch, worktree: made.path });
    return made;
  });
  note(ctx, `running in worktree ${worktree.path} on branch ${worktree.branch}`);
  let result: RunResult;
  try {
    result = await prepareAndRun(run, worktree);
  } catch (e) {
    result = { outcome: 'failed', error: `could not prepare the worktree: ${errorText(e)}` };
  }
  const commit = await commitWork(session, worktree, `guild: ${task.id} (run ${session.runId})\n\n${task.title}\n`);
  const changed = commit === undefined ? [] : (await diffTrees(session.repo, worktree.base, commit)).map((c) => c.path);
  return { worktree, result, commit, changed };
}

/**
 * Runs the task in its worktree: in the folder matching its `cwd`, with the included files
 * copied in and the `setup` command run first.
 */
async function prepareAndRun(run: TaskRun, worktree: TaskWorktree): Promise<RunResult> {
  const { session, task } = run;
  const rel = inside(session.repo.top, task.cwd);
  if (rel === undefined) {
    const error = `its folder ${task.cwd} is outside the repository ${session.repo.top}; a task with writes runs in a worktree of the repository`;
    return { outcome: 'failed', error };
  }
  const workdir = path.join(worktree.path, rel);
  await mkdir(workdir, { recursive: true });
  await copyIncludes(session.repo, worktree.path, await session.includePaths());
  const env = { ...run.env, GUILD_WORKDIR: workdir };
  const setup = await setUp(run, worktree, env);
  return setup.outcome === 'succeeded' ? run.start({ workdir, env }) : setup;
}

/** Runs the `setup` command (if any) in a new worktree, with the task's environment. */
async function setUp(run: TaskRun, worktree: TaskWorktree, env: Record<string, string>): Promise<RunResult> {
  const argv = run.session.settings.options.setup;
  if (argv === undefined) return { outcome: 'succeeded' };
  const taskEnv = { ...run.ctx.env, ...env };
  const result = await run.processes.run(() => spawnLogged(argv, { cwd: worktree.path, env: taskEnv, logFile: run.ctx.logFile }));
  if (result.outcome === 'succeeded') return result;
  const how = result.exitCode !== undefined ? `exit ${result.exitCode}` : (result.error ?? 'failed');
  return { ...result, error: `the worktree setup command "${argv.join(' ')}" failed (${how}); see the task's log` };
}

/**
 * Commits everything in the worktree (tracked and untracked, not ignored) on top of its HEAD
 * (the task may have committed itself) and points the task's branch at the result. Returns
 * that commit, or `undefined` when the worktree holds nothing beyond its base.
 */
async function commitWork(session: RunSession, worktree: TaskWorktree, message: string): Promise<string | undefined> {
  const { repo } = session;
  const at = { cwd: worktree.path };
  await git(['add', '--all'], at);
  const tree = (await git(['write-tree'], at)).stdout.trim();
  const head = (await git(['rev-parse', 'HEAD'], at)).stdout.trim();
  const headTree = (await git(['rev-parse', 'HEAD^{tree}'], at)).stdout.trim();
  const tip = tree === headTree ? head : await commitTree(repo, tree, [head], message);
  if (tip !== head) await git(['update-ref', '-m', 'guild', 'HEAD', tip, head], at);
  await updateRef(repo, `refs/heads/${worktree.branch}`, tip);
  return tip === worktree.base ? undefined : tip;
}

/** Removes a finished try's worktree and branch, and the branch of the try it replaced. */
function removeLanded(session: RunSession, worktree: TaskWorktree, superseded: TaskWorktree | undefined): Promise<void> {
  return session.gitLock.run(async () => {
    await removeWorktree(session.repo, worktree);
    session.removed(worktree.path);
    if (superseded) await deleteRef(session.repo, `refs/heads/${superseded.branch}`);
  });
}

/** Keeps a try's branch and worktree, records why, and returns the error text for the task. */
function keep(run: TaskRun, worktree: TaskWorktree, reason: string): string {
  run.session.keep({ task: run.task.id, attempt: run.ctx.attempt, branch: worktree.branch, worktree: worktree.path, reason });
  return `${reason}; its work is kept on branch ${worktree.branch} (worktree ${worktree.path})`;
}
