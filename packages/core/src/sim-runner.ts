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
      let listener: ((r: RunResult) => void) | undefined;
      let resolveDone: ((r: RunResult) => void) | undefined;
      let result: RunResult | undefined;
      const finish = (r: RunResult) => {
        if (result) return;
        result = r;
        listener?.(r);
        resolveDone?.(r);
      };
      const cancel = ctx.clock.after(task.estimate * 1000, () => finish(outcomes(task, ctx.attempt)));
      return {
        // Made only if someone asks: the scheduler listens through onDone, without promises.
        get done() {
          return new Promise<RunResult>((resolve) => {
            if (result) resolve(result);
            else resolveDone = resolve;
          });
        },
        onDone(l) {
          listener = l;
        },
        stop() {
          cancel();
          finish({ outcome: 'failed', signal: 'SIGTERM', error: 'stopped' });
        },
      };
    },
  };
}
