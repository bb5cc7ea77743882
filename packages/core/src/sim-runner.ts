import type { RunResult, Runner, Task } from './types.js';

/**
 * A runner for simulations: every task "runs" for its estimate on the context's clock and
 * succeeds, unless `outcomes` says otherwise. Nothing is executed.
 */
export function simulatedRunner(
  name = 'shell',
  outcomes: (task: Task, attempt: number) => RunResult = () => ({ outcome: 'succeeded', exitCode: 0 }),
): Runner {
  return {
    name,
    start(task, ctx) {
      let finish!: (r: RunResult) => void;
      const done = new Promise<RunResult>((resolve) => (finish = resolve));
      const cancel = ctx.clock.after(task.estimate * 1000, () => finish(outcomes(task, ctx.attempt)));
      return {
        done,
        stop() {
          cancel();
          finish({ outcome: 'failed', signal: 'SIGTERM', error: 'stopped' });
        },
      };
    },
  };
}
