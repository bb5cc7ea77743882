import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { startTimeOf } from './proc.js';
import type { RunContext, RunResult, Runner, RunningTask, Task } from './types.js';

/**
 * Runs a task's `run` command with `/bin/sh -c` in its own process group (so stopping it stops
 * everything it spawned), stdin closed, stdout and stderr appended to the task's log file.
 * The command text is the user's own plan; text from other sources is never passed here.
 */
export const shellRunner: Runner = {
  name: 'shell',
  start(task: Task, ctx: RunContext): RunningTask {
    const command = task.run;
    if (command === undefined) throw new Error(`task "${task.id}" has no "run" command`);
    const fd = openSync(ctx.logFile, 'a');
    let pid: number | undefined;
    let child: ReturnType<typeof spawn>;
    try {
      writeSync(fd, `--- guild: attempt ${ctx.attempt} at ${new Date().toISOString()}: ${command}\n`);
      child = spawn('/bin/sh', ['-c', command], {
        cwd: ctx.workdir,
        env: ctx.env,
        detached: true,
        stdio: ['ignore', fd, fd],
      });
      pid = child.pid;
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
    return {
      pid,
      procStart: pid !== undefined ? startTimeOf(pid) : undefined,
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
  },
};
