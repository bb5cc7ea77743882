import {
  ResourceLocks,
  createPlan,
  runPlan,
  simulate,
  type Conflict,
  type Plan,
  type RunEndContext,
  type RunEvent,
  type RunResult,
  type RunSummary,
  type Task,
  type TaskSpec,
} from '@guild/core';

/*
 * Runs for this package's tests: the real scheduler on a virtual clock, so every time in the
 * event log is exact and the metrics can be checked against numbers worked out by hand, and a
 * real run that leaves a run folder behind.
 */

/** A run of a plan on the virtual clock, with what the metrics need. */
export interface SampleRun {
  plan: Plan;
  events: RunEvent[];
  summary: RunSummary;
  conflicts: Conflict[];
  slots: number;
}

/** Runs `specs` (`run: true` by default) on `slots` slots; `outcomes` decides each attempt. */
export async function simulatedRun(
  specs: Array<Partial<TaskSpec> & { id: string }>,
  slots: number,
  outcomes?: (task: Task, attempt: number) => RunResult,
): Promise<SampleRun> {
  const plan = createPlan(
    specs.map((s) => ({ run: 'true', ...s })),
    { root: '/tmp/guild-metrics-test' },
  );
  // random() = 0.5: each retry waits half of its back-off ceiling (1 s for the first), i.e. 0.5 s.
  const result = await simulate(plan, { concurrency: slots, outcomes, recordEvents: true, random: () => 0.5 });
  return { plan, events: result.events, summary: result.summary, conflicts: new ResourceLocks().conflicts(plan), slots };
}

/**
 * The run the metrics tests work out by hand, on 4 slots:
 *
 * ```
 * t=0    a starts (slot 1), c starts (slot 2), e starts (slot 3); b waits: a holds resource db
 * t=1    e fails (exit 3); f, which depends on e, is skipped
 * t=3    c fails (exit 1); it is retried after a 0.5 s back-off
 * t=3.5  c starts again (attempt 2, slot 2)
 * t=4    a succeeds; b starts (slot 1)
 * t=6    b succeeds
 * t=6.5  c succeeds; the run ends (failed: e failed, f skipped)
 * ```
 */
export function handRun(): Promise<SampleRun> {
  return simulatedRun(
    [
      { id: 'a', title: 'Migrate the database', resources: ['db'], estimate: 4 },
      { id: 'b', title: 'Seed the database', resources: ['db'], estimate: 2 },
      { id: 'c', title: 'Flaky tests', estimate: 3, retries: 1 },
      { id: 'e', title: 'Lint', estimate: 1 },
      { id: 'f', title: 'Publish lint report', estimate: 1, dependsOn: ['e'] },
    ],
    4,
    (task, attempt) =>
      task.id === 'e'
        ? { outcome: 'failed', exitCode: 3 }
        : task.id === 'c' && attempt === 1
          ? { outcome: 'failed', exitCode: 1 }
          : { outcome: 'succeeded', exitCode: 0 },
  );
}

/**
 * Really runs a small plan in `projectRoot` with core's shell runner on 2 slots, leaving a run
 * folder behind: `db-a` holds resource db while `db-b` waits for it, `lint` fails (exit 3) and
 * `docs`, which depends on it, is skipped. Returns what a run-end hook is given.
 */
export async function realRun(projectRoot: string): Promise<RunEndContext> {
  const plan = createPlan(
    [
      { id: 'db-a', run: 'sleep 0.2', resources: ['db'] },
      { id: 'db-b', run: 'true', resources: ['db'] },
      { id: 'lint', run: 'exit 3' },
      { id: 'docs', run: 'true', dependsOn: ['lint'] },
    ],
    { root: projectRoot, file: 'plan.yaml' },
  );
  const { summary, runId, runDir } = await runPlan(plan, { concurrency: 2, projectRoot });
  return { runId, runDir, projectRoot, plan, summary, conflicts: () => new ResourceLocks().conflicts(plan), slots: 2, boost: 2 };
}
