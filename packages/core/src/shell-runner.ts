import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { type Launcher, sharedLauncher } from './launcher.js';
import { startTimeOf } from './proc.js';
import type { RunContext, RunResult, Runner, RunningTask, Task } from './types.js';

/** Options for {@link createShellRunner}. */
export interface ShellRunnerOptions {
  /**
   * How tasks are started:
   * - `auto` (default): through the process-wide launcher (a small perl fork server, see
   *   launcher.ts), or with `child_process.spawn` when there is no perl, the launcher failed,
   *   or the environment variable `GUILD_LAUNCHER=spawn` says so;
   * - `spawn`: always `child_process.spawn` from this process;
   * - a {@link Launcher}: that one (with `spawn` once it has died).
   */
  launcher?: 'auto' | 'spawn' | Launcher;
}

/**
 * A runner that runs a task's `run` command with `/bin/sh -c` in its own session and process
 * group (so stopping it stops everything it spawned), stdin from /dev/null, stdout and stderr
 * appended to the task's log file after a `--- guild: attempt N at <time>: <command>` line, the
 * environment exactly `ctx.env`. The command text is the user's own plan; text from other
 * sources is never passed here.
 */
export function createShellRunner(options: ShellRunnerOptions = {}): Runner {
  const mode = options.launcher ?? 'auto';
  const launcherFor = (): Launcher | undefined => {
    if (mode === 'spawn') return undefined;
    if (mode === 'auto') return process.env.GUILD_LAUNCHER === 'spawn' ? undefined : sharedLauncher();
    return mode.alive ? mode : undefined;
  };
  return {
    name: 'shell',
    start(task: Task, ctx: RunContext): RunningTask {
      const command = task.run;
      if (command === undefined) throw new Error(`task "${task.id}" has no "run" command`);
      const header = `--- guild: attempt ${ctx.attempt} at ${new Date().toISOString()}: ${command}\n`;
      const launcher = launcherFor();
      if (launcher) {
        const r = launcher.launch({ command, cwd: ctx.workdir, env: ctx.env, logFile: ctx.logFile, header });
        if (r.kind === 'started') return groupTask(r.pid, r.done, r.procStart);
        if (r.kind === 'failed') return { done: Promise.resolve({ outcome: 'failed', error: r.error }), stop() {} };
        // Otherwise (a NUL byte, which spawn reports as it always did, or the launcher gone) here.
      }
      return spawnTask(command, header, ctx);
    },
  };
}

/** The shell runner every run has (see {@link createShellRunner}). */
export const shellRunner: Runner = createShellRunner();

/** A running process group led by `pid`. */
function groupTask(pid: number | undefined, done: Promise<RunResult>, procStart?: number): RunningTask {
  return {
    pid,
    procStart: procStart ?? (pid !== undefined ? startTimeOf(pid) : undefined),
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

/**
 * Starts the task with `child_process.spawn` from this process: fork of all of Node on the main
 * thread, and the log file opened here. The fallback when there is no launcher.
 */
function spawnTask(command: string, header: string, ctx: RunContext): RunningTask {
  const fd = openSync(ctx.logFile, 'a');
  let child: ReturnType<typeof spawn>;
  try {
    writeSync(fd, header);
    child = spawn('/bin/sh', ['-c', command], {
      cwd: ctx.workdir,
      env: ctx.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  const done = new Promise<RunResult>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'ENOENT' && !existsSync(ctx.workdir)
          ? `its working directory ${ctx.workdir} does not exist`
          : error.message;
      resolve({ outcome: 'failed', error: `could not start: ${reason}` });
    });
    child.once('exit', (code, signal) => {
      if (code === 0) resolve({ outcome: 'succeeded', exitCode: 0 });
      else if (signal) resolve({ outcome: 'failed', signal, error: `killed by ${signal}` });
      else resolve({ outcome: 'failed', exitCode: code ?? undefined });
    });
  });
  return groupTask(child.pid, done);
}
