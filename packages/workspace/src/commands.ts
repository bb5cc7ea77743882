import { existsSync } from 'node:fs';
import { GuildError, driverAlive, listRuns, runPaths, type CommandSpec } from '@guild/core';
import { listCheckpoints, readCheckpoint } from './checkpoint';
import type { Repo } from './repo';
import { rollback, type RollbackReport } from './rollback';
import { readRecord } from './run-record';
import { storeExclude } from './paths';
import { keptWorktrees, removeWorktree } from './worktrees';

/** What the commands need: the repository (throws when there is none), the project, and where to print. */
export interface CommandContext {
  /** The repository, for `command`. @throws a GuildError when there is none. */
  repo(command: string): Repo;
  projectRoot: string;
  write(text: string): void;
}

/** How many files of each kind `guild rollback` names before it only counts. */
const SHOWN = 20;

/**
 * `guild rollback [run-id] [--list]`: puts the working tree back as it was when a run started
 * (the newest run with a checkpoint by default; an id or a unique prefix of one), and says
 * what it restored. `--list` lists the checkpoints instead.
 */
export function rollbackCommand(ctx: CommandContext): CommandSpec {
  return {
    name: 'rollback [run-id]',
    description: 'put the working tree back exactly as it was when a run started (default: the newest run); --list lists checkpoints',
    options: [{ flags: '--list', description: 'list the runs that have a checkpoint instead' }],
    async action(args, options) {
      const repo = ctx.repo('guild rollback');
      if (options.list) {
        await listCheckpointsTo(repo, ctx.write);
        return 0;
      }
      const runId = await pickCheckpoint(repo, args[0]);
      if (driverAlive(runPaths(ctx.projectRoot, runId))) {
        throw new GuildError('RUN_LOCKED', `run ${runId} is still running; stop it first ("guild abort ${runId}"), then roll back`);
      }
      const fastForward = readRecord(runPaths(ctx.projectRoot, runId).dir, runId)?.fastForward;
      const report = await rollback(repo, runId, storeExclude(repo, ctx.projectRoot), fastForward);
      ctx.write(describeRollback(report));
      return 0;
    },
  };
}

/**
 * `guild worktrees [run-id] [--remove]`: the task branches and worktrees guild kept for
 * inspection (tasks that failed, could not land, or were interrupted), of one run or of every
 * run, with the reason for each. `--remove` deletes them (worktree folders and branches, with
 * the work they hold) once you are done with them; a run still going is left alone.
 */
export function worktreesCommand(ctx: CommandContext): CommandSpec {
  return {
    name: 'worktrees [run-id]',
    description: 'list the task branches and worktrees kept for inspection (failed tasks, merge conflicts); --remove deletes them',
    options: [{ flags: '--remove', description: 'delete the kept worktrees and their branches (and the work on them)' }],
    async action(args, options) {
      const repo = ctx.repo('guild worktrees');
      const runs = args[0] === undefined ? listRuns(ctx.projectRoot) : [await pickCheckpoint(repo, args[0])];
      let shown = 0;
      for (const runId of runs) {
        const paths = runPaths(ctx.projectRoot, runId);
        const kept = await keptWorktrees(repo, paths.dir, runId);
        const live = options.remove === true && kept.length > 0 && driverAlive(paths);
        if (live && args[0] !== undefined) {
          throw new GuildError('RUN_LOCKED', `run ${runId} is still running; remove its worktrees once it has ended`);
        }
        if (live) ctx.write(`run ${runId} is still running; its worktrees are left alone:\n`);
        for (const k of kept) {
          const there = existsSync(k.worktree);
          if (options.remove === true && !live) {
            await removeWorktree(repo, { path: k.worktree, branch: k.branch });
            ctx.write(`removed ${runId} ${k.task} (attempt ${k.attempt}): branch ${k.branch}${there ? `, worktree ${k.worktree}` : ''}\n`);
          } else {
            ctx.write(`${runId} ${k.task} (attempt ${k.attempt}): branch ${k.branch}, worktree ${there ? k.worktree : `${k.worktree} (removed)`}: ${k.reason}\n`);
          }
          shown++;
        }
      }
      if (shown === 0) ctx.write('no kept worktrees\n');
      return 0;
    },
  };
}

/** The summary `guild rollback` prints. */
export function describeRollback(report: RollbackReport): string {
  const { checkpoint, changed, added, removed } = report;
  const lines: string[] = [];
  if (report.branch?.moved) lines.push(`moved ${report.branch.ref} back to ${report.branch.to.slice(0, 12)} (guild had fast-forwarded it)`);
  if (report.branch && !report.branch.moved) lines.push(`left ${report.branch.ref} where it is: ${report.branch.reason}`);
  const total = changed.length + added.length + removed.length;
  if (total === 0) {
    lines.push(`the working tree already matches the checkpoint of run ${checkpoint.runId}`);
  } else {
    lines.push(`restored the working tree to the checkpoint of run ${checkpoint.runId}: ${changed.length} changed, ${added.length} added back, ${removed.length} removed`);
    for (const [label, files] of [['changed', changed], ['added', added], ['removed', removed]] as const) {
      for (const file of files.slice(0, SHOWN)) lines.push(`  ${label.padEnd(8)} ${file}`);
      if (files.length > SHOWN) lines.push(`  ... and ${files.length - SHOWN} more ${label}`);
    }
  }
  lines.push(report.index === 'restored' ? 'the index (staged changes) is as it was too' : 'the index was left as it is: HEAD is no longer where it was');
  return `${lines.join('\n')}\n`;
}

async function listCheckpointsTo(repo: Repo, write: (text: string) => void): Promise<void> {
  const runs = await listCheckpoints(repo);
  if (runs.length === 0) {
    write('no checkpoints: guild takes one when a run starts in a git repository\n');
    return;
  }
  for (const runId of runs) {
    const cp = await readCheckpoint(repo, runId);
    if (!cp) continue;
    const state = cp.clean ? 'clean' : 'with uncommitted changes';
    write(`${runId}  ${cp.commit.slice(0, 12)}  ${state}${cp.head ? ` on ${cp.head.slice(0, 12)}` : ''}\n`);
  }
}

/**
 * A run that has a checkpoint: `ref` itself, the only one it is a prefix of, or (without `ref`)
 * the newest.
 *
 * @throws a `RUN_NOT_FOUND` GuildError when there is none, or `ref` matches several
 */
async function pickCheckpoint(repo: Repo, ref: string | undefined): Promise<string> {
  const runs = await listCheckpoints(repo);
  if (runs.length === 0) {
    throw new GuildError('RUN_NOT_FOUND', `no run of ${repo.top} has a checkpoint; guild takes one when a run starts`);
  }
  if (ref === undefined) return runs.at(-1)!;
  if (runs.includes(ref)) return ref;
  const matches = runs.filter((r) => r.startsWith(ref.toUpperCase()) || r.startsWith(ref));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new GuildError('RUN_NOT_FOUND', `"${ref}" matches ${matches.length} runs (${matches.slice(0, 3).join(', ')}, ...); give more of the id`);
  }
  throw new GuildError('RUN_NOT_FOUND', `no run "${ref}" has a checkpoint; "guild rollback --list" lists them`);
}
