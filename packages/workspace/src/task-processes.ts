import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync, writeSync } from 'node:fs';
import type { RunContext, RunResult, RunningTask } from '@guild/core';

/**
 * The processes of one task, started one after the other (a worktree's setup command, the
 * task, a re-run after a merge conflict), so that stopping the task reaches whichever runs now
 * and keeps the next one from starting.
 */
export class TaskProcesses {
  private current: RunningTask | undefined;
  private stoppedHow: 'graceful' | 'now' | undefined;

  /** Whether the task was told to stop. */
  get stopped(): boolean {
    return this.stoppedHow !== undefined;
  }

  /**
   * Starts one process and resolves when it ends. Never rejects: a failure to start, or a
   * stop before the start, is a failed result.
   */
  async run(start: () => RunningTask): Promise<RunResult> {
    if (this.stopped) return { outcome: 'failed', error: 'stopped before it started' };
    try {
      this.current = start();
      return await this.current.done;
    } catch (e) {
      return { outcome: 'failed', error: errorText(e) };
    } finally {
      this.current = undefined;
    }
  }

  /** Stops the process running now (if any) and every later one. */
  stop(how: 'graceful' | 'now'): void {
    this.stoppedHow = how;
    this.current?.stop(how);
  }
}

/**
 * A started task whose work runs in `body` (preparation, processes, merging): `done` resolves
 * with its result, `stop` goes to its processes. A task started this way has no `pid` of its
 * own: its processes start later than the scheduler asks.
 */
export function deferredTask(body: (processes: TaskProcesses) => Promise<RunResult>): RunningTask {
  const processes = new TaskProcesses();
  const done = body(processes).catch((e: unknown): RunResult => ({ outcome: 'failed', error: errorText(e) }));
  return { done, stop: (how) => processes.stop(how) };
}

/**
 * Starts `argv` (no shell) in its own process group in `cwd`, stdin closed, output appended to
 * `logFile` after a header line. Stopping it stops the whole group.
 */
export function spawnLogged(argv: readonly string[], options: { cwd: string; env: Record<string, string>; logFile: string }): RunningTask {
  const [command, ...args] = argv as [string, ...string[]];
  const fd = openSync(options.logFile, 'a');
  let child: ReturnType<typeof spawn>;
  try {
    writeSync(fd, `--- guild:workspace: ${argv.join(' ')} (in ${options.cwd})\n`);
    child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  const done = new Promise<RunResult>((resolve) => {
    child.once('error', (e) => resolve({ outcome: 'failed', error: `could not start ${command}: ${e.message}` }));
    child.once('exit', (code, signal) => {
      if (code === 0) resolve({ outcome: 'succeeded', exitCode: 0 });
      else if (signal) resolve({ outcome: 'failed', signal, error: `killed by ${signal}` });
      else resolve({ outcome: 'failed', exitCode: code ?? undefined });
    });
  });
  return {
    pid,
    done,
    stop(how) {
      if (pid === undefined) return;
      try {
        process.kill(-pid, how === 'graceful' ? 'SIGTERM' : 'SIGKILL');
      } catch {
        // ESRCH: the group is already gone.
      }
    },
  };
}

/** Tells about a task's isolation: a line in its log file and a progress message. */
export function note(ctx: RunContext, message: string): void {
  appendFileSync(ctx.logFile, `--- guild:workspace: ${message}\n`);
  ctx.progress({ message });
}

/** The message of an error, or the value as text. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
