import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { startTimeOf } from './proc.js';
import type { RunContext, RunResult, Runner, RunningTask, Task } from './types.js';

const LAUNCH = 'exec >>"$1" 2>&1 </dev/null; printf \'%s\\n\' "$2"; exec /bin/sh -c "$3"';

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
    // The child opens its own log (creating files can take a millisecond on slow disks, which
    // would stall every start on the main thread), writes the attempt's header, and then execs
    // the command in a fresh /bin/sh -c: the command keeps $0 = sh and no positional parameters.
    // The log path, header and command travel as arguments, never spliced into shell text.
    const header = `--- guild: attempt ${ctx.attempt} at ${new Date().toISOString()}: ${command}`;
    const child = spawn('/bin/sh', ['-c', LAUNCH, 'sh', ctx.logFile, header, command], {
      cwd: ctx.workdir,
      env: ctx.env,
      detached: true,
      stdio: 'ignore',
    });
    const pid = child.pid;
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
