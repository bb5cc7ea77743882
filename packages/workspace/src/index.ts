import { definePlugin, type GuildPlugin } from '@guild/core';
import { rollbackCommand, worktreesCommand } from './commands';
import { parseWorkspaceOptions, type WorkspaceOptions } from './options';
import { removeRunArtifacts } from './prune';
import { probeRepo, requireMergeTree, requireRepo } from './repo';
import { Workspace } from './workspace';

export { takeCheckpoint, readCheckpoint, listCheckpoints, checkpointRef, type Checkpoint } from './checkpoint';
export { rollback, type RollbackReport, type FastForward } from './rollback';
export { matchesGlob, covers, undeclaredWrites, type PathAccess } from './globs';
export { PortPool, portEnv, type HeldPort } from './ports';
export { probeRepo, type Repo, type RepoProbe } from './repo';
export { integrationBranch } from './worktrees';
export { recordFile, readRecord, type WorkspaceRecord, type TaskWorkspace, type KeptWorktree } from './run-record';
export type { WorkspaceOptions, ResolvedWorkspaceOptions } from './options';

/**
 * The `guild:workspace` plugin: git checkpoints and rollback, worktree isolation with a serial
 * merge queue, declared-vs-actual writes, and ports. Use as `plugins: ['@guild/workspace']` or
 * `plugins: [['@guild/workspace', { include: ['.env'], setup: ['pnpm', 'install'], strict: true }]]`.
 *
 * - Every run in a git repository gets a checkpoint when it starts (`refs/guild/checkpoints/<run-id>`:
 *   the working tree with uncommitted and untracked changes; `.guild/` left out), taken
 *   without touching the index, the working tree or the stash. `guild rollback` restores it.
 * - With `isolation: 'worktree'` (config, or `guild run --isolation worktree`) each task that
 *   declares writes runs in its own worktree on `guild/<run-id>-<task>`, made from the
 *   integration branch `guild/<run-id>`; its work lands there through a serial merge queue.
 *   Tasks without writes run in the project.
 * - After each task the files it changed are compared with its declared `writes`; undeclared
 *   ones are reported (task log, progress, `<run-dir>/workspace.json`) and, with `strict`,
 *   fail it.
 * - A task with `ports: N` gets N free loopback ports (`GUILD_PORT`, `GUILD_PORT_1`, ...), never
 *   shared with a task running at the same time.
 * - Commands: `guild rollback [run-id] [--list]`, `guild worktrees [run-id]`.
 * - When `guild runs --prune` removes a run, its checkpoint goes too, and its integration
 *   branch when everything on it is in HEAD; a run with kept worktrees is not removed.
 *
 * Without git (or outside a repository) runs still work, with ports only.
 *
 * @throws a `CONFIG_INVALID` GuildError, when the factory is called, for bad options; and from
 *   `setup`, for worktree isolation without a git repository or with git older than 2.38
 */
export default definePlugin((options: WorkspaceOptions = {}): GuildPlugin => {
  const resolved = parseWorkspaceOptions(options);
  let workspace: Workspace | undefined;
  return {
    name: 'guild:workspace',
    apiVersion: 1,
    async setup(api) {
      const probe = await probeRepo(api.projectRoot);
      const isolation = api.config.isolation;
      if (isolation === 'worktree') {
        requireMergeTree(requireRepo(probe, 'isolation "worktree"', 'use --isolation shared'));
      }
      const repo = probe.kind === 'repo' ? probe.repo : undefined;
      workspace = new Workspace({ repo, projectRoot: api.projectRoot, isolation, options: resolved, logger: api.logger });
      api.onPlan(workspace.onPlan);
      api.onEvent(workspace.onEvent);
      api.wrapRunners(workspace.wrap);
      api.onRunEnd(workspace.runEnded);
      if (repo) api.onRunRemoved((run) => removeRunArtifacts(repo, run, api.logger));
      const commands = {
        projectRoot: api.projectRoot,
        repo: (command: string) => requireRepo(probe, command),
        write: (text: string) => void process.stdout.write(text),
      };
      api.addCommand(rollbackCommand(commands));
      api.addCommand(worktreesCommand(commands));
    },
    async teardown() {
      await workspace?.dispose();
    },
  };
});
