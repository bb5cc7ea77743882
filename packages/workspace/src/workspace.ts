import type { Logger, Plan, RunContext, RunEndContext, RunEvent, RunResult, Runner, Task } from '@guild/core';
import { writesOf } from './globs';
import type { ResolvedWorkspaceOptions } from './options';
import { PortPool, portEnv } from './ports';
import { runInProject } from './project-task';
import type { Repo } from './repo';
import { finishRun } from './run-end';
import { RunSession } from './session';
import { innerContext, type TaskRun } from './task-run';
import { deferredTask, errorText, type TaskProcesses } from './task-processes';
import { runInWorktree } from './worktree-task';

/** What a {@link Workspace} works with, fixed when the plugin is set up. */
export interface WorkspaceSettings {
  /** The repository, or `undefined` without git (then only ports are handed out). */
  repo: Repo | undefined;
  projectRoot: string;
  isolation: 'shared' | 'worktree';
  options: ResolvedWorkspaceOptions;
  logger: Logger;
}

/**
 * The workspace plugin's state for one command: a session per run (opened when the run
 * starts), the port pool shared by all of them, and the runner wrapper that sends each task
 * through the right isolation flow.
 */
export class Workspace {
  private readonly sessions = new Map<string, Promise<RunSession>>();
  private readonly ports = new PortPool();
  private planRoot: string | undefined;

  constructor(private readonly settings: WorkspaceSettings) {}

  /** Plan hook: remembers the plan's root, for runs without a stored plan. */
  readonly onPlan = (plan: Plan): void => {
    this.planRoot = plan.root;
  };

  /** Event listener: opens a run's session (its checkpoint) as soon as the run starts. */
  readonly onEvent = (event: RunEvent): void => {
    if (event.type !== 'run.started' || this.settings.repo === undefined) return;
    // Tasks wait for the same promise and fail with its error; nothing is lost by not awaiting here.
    this.session(event.runId).catch(() => {});
  };

  /**
   * Wraps a runner: every task waits for its run's checkpoint, gets its ports, and runs in the
   * project or (worktree isolation, a task with writes) in a worktree of its own. Without git,
   * tasks that ask for no ports go straight to the runner.
   */
  readonly wrap = (runner: Runner): Runner => ({
    name: runner.name,
    start: (task, ctx) => {
      if (this.settings.repo === undefined && !(task.spec.ports && task.spec.ports > 0)) return runner.start(task, ctx);
      return deferredTask((processes) => this.runTask(runner, task, ctx, processes));
    },
  });

  /** Run-end hook: fast-forward (when safe), say where the result is, save `workspace.json`. */
  readonly runEnded = async (run: RunEndContext): Promise<void> => {
    const pending = this.sessions.get(run.runId);
    if (pending === undefined) return;
    this.sessions.delete(run.runId);
    let session: RunSession;
    try {
      session = await pending;
    } catch {
      return; // every task of the run already failed with this error
    }
    try {
      for (const line of await finishRun(session, run.summary)) this.settings.logger.info(line);
    } finally {
      await session.close();
    }
  };

  /** Removes the temporary files of runs that never reached their end hook. */
  async dispose(): Promise<void> {
    const open = [...this.sessions.values()];
    this.sessions.clear();
    for (const pending of open) {
      try {
        await (await pending).close();
      } catch {
        // a session that failed to open holds nothing
      }
    }
  }

  /** The session of run `runId`, opened on first use. */
  private session(runId: string): Promise<RunSession> {
    let pending = this.sessions.get(runId);
    if (pending === undefined) {
      const { repo, projectRoot, isolation, options } = this.settings;
      pending = RunSession.open({ repo: repo!, runId, projectRoot, isolation, options, planRoot: this.planRoot }).catch((e: unknown) => {
        throw new Error(`could not take the checkpoint of run ${runId}: ${errorText(e)}`, { cause: e });
      });
      this.sessions.set(runId, pending);
    }
    return pending;
  }

  private async runTask(runner: Runner, task: Task, ctx: RunContext, processes: TaskProcesses): Promise<RunResult> {
    const ports = await this.ports.take(task.spec.ports ?? 0);
    try {
      const env = portEnv(ports);
      const start = (change: { workdir?: string; env?: Record<string, string> }) =>
        processes.run(() => runner.start(task, innerContext(ctx, change)));
      if (this.settings.repo === undefined) return await start({ env });
      const run: TaskRun = { session: await this.session(ctx.runId), task, ctx, processes, ports, env, start };
      const isolated = this.settings.isolation === 'worktree' && writesOf(task.access).length > 0;
      return await (isolated ? runInWorktree(run) : runInProject(run));
    } finally {
      this.ports.release(ports);
    }
  }
}
