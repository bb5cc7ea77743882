import { appendFile } from 'node:fs/promises';
import type { RunContext, RunResult, Runner, RunningTask, Task } from '@guild/core';
import { claimsIssue, type BeadsTracker } from './tracker';

/**
 * Wraps a runner (for `api.wrapRunners`) so a beads task claims its issue before the inner
 * runner starts it, and closes or reopens it after its last attempt, before the task counts as
 * ended (so its dependents start on a tracker that agrees). A task whose issue someone else
 * holds never starts: it is dropped ("not run: ... claimed by ...": skipped with what depends on
 * it, not a failure), with a line saying so in its log, and the issue untouched. Tasks from other sources pass straight through.
 *
 * The task's process id is not known when `start` returns (the claim comes first), so
 * `task.started` carries none for beads tasks.
 */
export function claimingRunner(inner: Runner, tracker: BeadsTracker): Runner {
  return {
    name: inner.name,
    start(task: Task, ctx: RunContext): RunningTask {
      if (!claimsIssue(task)) return inner.start(task, ctx);
      let running: RunningTask | undefined;
      let stopped: 'graceful' | 'now' | undefined;
      const done = (async (): Promise<RunResult> => {
        let claim;
        try {
          claim = await tracker.claim(task, ctx.runId);
        } catch (e) {
          return { outcome: 'failed', error: `could not claim ${task.id}: ${e instanceof Error ? e.message : String(e)}` };
        }
        if (!claim.claimed) {
          const error = `not run: ${task.id} is ${claim.reason}`;
          await appendFile(ctx.logFile, `--- guild: ${error}\n`).catch(() => undefined);
          return { outcome: 'dropped', error };
        }
        let result: RunResult;
        if (stopped) {
          result = { outcome: 'failed', error: 'stopped before it started' };
        } else {
          try {
            running = inner.start(task, ctx);
            result = await running.done;
          } catch (e) {
            result = { outcome: 'failed', error: e instanceof Error ? e.message : String(e) };
          }
        }
        // A failed attempt with retries left keeps the claim for the next one (and an aborted
        // run lets go of what it still holds at its end).
        if (result.outcome === 'succeeded' || ctx.attempt > task.retries) {
          await tracker.finish(task, result.outcome, { exitCode: result.exitCode, signal: result.signal, error: result.error, logFile: ctx.logFile });
        }
        return result;
      })();
      return {
        done,
        stop(how) {
          stopped = how;
          running?.stop(how);
        },
      };
    },
  };
}
