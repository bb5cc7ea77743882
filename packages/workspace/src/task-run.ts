import type { RunContext, RunResult, Task } from '@guild/core';
import { withoutRepoVariables } from './git';
import type { RunSession } from './session';
import type { TaskProcesses } from './task-processes';

/** One attempt of one task, as the isolation flows see it. */
export interface TaskRun {
  readonly session: RunSession;
  readonly task: Task;
  /** The context the scheduler gave. */
  readonly ctx: RunContext;
  readonly processes: TaskProcesses;
  /** The loopback ports it holds, already in {@link env}. */
  readonly ports: readonly number[];
  /** Variables to add to the task's environment (its ports). */
  readonly env: Readonly<Record<string, string>>;
  /** Starts the wrapped runner with the context changed as given; resolves when it ends. */
  start(change: { workdir?: string; env?: Record<string, string> }): Promise<RunResult>;
}

/**
 * The scheduler's context with a new working folder and extra environment. A task moved to
 * another folder loses inherited variables that point git at the project's repository
 * (`GIT_DIR`, ...). The environment is still built only when a runner reads it (building it is
 * not free on big plans).
 */
export function innerContext(ctx: RunContext, change: { workdir?: string; env?: Record<string, string> }): RunContext {
  if (change.workdir === undefined && (change.env === undefined || Object.keys(change.env).length === 0)) return ctx;
  let env: Record<string, string> | undefined;
  return {
    runId: ctx.runId,
    attempt: ctx.attempt,
    workdir: change.workdir ?? ctx.workdir,
    get env() {
      const base = change.workdir === undefined ? ctx.env : withoutRepoVariables(ctx.env);
      return (env ??= { ...base, ...change.env });
    },
    logFile: ctx.logFile,
    log: ctx.log,
    progress: ctx.progress,
    clock: ctx.clock,
    get signal() {
      return ctx.signal;
    },
  };
}
