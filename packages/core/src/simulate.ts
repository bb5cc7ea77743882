import { accessFor } from './access.js';
import { VirtualClock } from './clock.js';
import { EventBus } from './events.js';
import { Scheduler, type RunSummary } from './scheduler.js';
import { simulatedRunner } from './sim-runner.js';
import type { AccessControl, Plan, RunEvent, RunResult, Runner, Seconds, Task } from './types.js';

/** Options for {@link simulate}. */
export interface SimulateOptions {
  concurrency: number;
  boost?: number;
  /** Access controls (default: core's resource locks only). */
  access?: readonly AccessControl[];
  starvationLimit?: number;
  failFast?: boolean;
  /** Decide each attempt's result (default: everything succeeds). */
  outcomes?: (task: Task, attempt: number) => RunResult;
  /** Collect every event (costs memory on big plans). */
  recordEvents?: boolean;
  /** Seeded randomness for retry jitter (default: a fixed-seed generator). */
  random?: () => number;
}

/** What a simulation predicts. */
export interface SimulationResult {
  summary: RunSummary;
  /** Predicted finish time, seconds. */
  makespan: Seconds;
  events: RunEvent[];
}

/**
 * Runs the real scheduler on a virtual clock, each task taking its estimate. Deterministic:
 * equal inputs give the same schedule.
 */
export async function simulate(plan: Plan, options: SimulateOptions): Promise<SimulationResult> {
  const clock = new VirtualClock();
  const bus = new EventBus();
  const events: RunEvent[] = [];
  if (options.recordEvents) bus.on((e) => events.push(e));
  const runners = new Map<string, Runner>();
  for (const task of plan.tasks.values()) {
    if (!runners.has(task.runner)) runners.set(task.runner, simulatedRunner(task.runner, options.outcomes));
  }
  const scheduler = new Scheduler({
    plan,
    runId: 'simulation',
    clock,
    bus,
    access: accessFor(options.access ?? []),
    runners,
    concurrency: options.concurrency,
    boost: options.boost ?? options.concurrency,
    failFast: options.failFast,
    starvationLimit: options.starvationLimit,
    logDir: '/dev/null',
    env: {},
    random: options.random ?? seededRandom(1),
  });
  const done = scheduler.run();
  // Simulated runners report their ends synchronously: the whole run happens in here.
  clock.runAll();
  const summary = await clock.runUntil(done);
  return { summary, makespan: summary.wall, events };
}

/** Bounds that hold for any schedule of a plan on the given slots. */
export interface PlanBounds {
  /** Summed estimates, seconds. */
  work: Seconds;
  criticalPath: { length: Seconds; ids: string[] };
  /** The resource whose users' summed estimates are largest, if any. */
  busiestResource?: { name: string; work: Seconds };
  /** max(critical path, work / slots, busiest exclusive resource's work). */
  lowerBound: Seconds;
}

/**
 * The lower bound on any schedule's makespan: no run can beat its longest dependency chain,
 * its work spread evenly over the slots (priority-0 work may use the boost slots), or the work
 * that must queue for one exclusive resource.
 */
export function planBounds(plan: Plan, concurrency: number, boost = concurrency): PlanBounds {
  let work = 0;
  let nonUrgentWork = 0;
  const exclusive = new Map<string, number>();
  const longestShared = new Map<string, number>();
  for (const task of plan.tasks.values()) {
    work += task.estimate;
    if (task.priority !== 0) nonUrgentWork += task.estimate;
    for (const a of task.access) {
      if (a.kind !== 'resource') continue;
      if (a.shared) longestShared.set(a.name, Math.max(longestShared.get(a.name) ?? 0, task.estimate));
      else exclusive.set(a.name, (exclusive.get(a.name) ?? 0) + task.estimate);
    }
  }
  let busiestResource: PlanBounds['busiestResource'];
  for (const [name, w] of exclusive) {
    const total = w + (longestShared.get(name) ?? 0);
    if (!busiestResource || total > busiestResource.work) busiestResource = { name, work: total };
  }
  const criticalPath = plan.graph.criticalPath();
  const slots = Math.max(boost, concurrency);
  const lowerBound = Math.max(
    criticalPath.length,
    work / slots,
    nonUrgentWork / concurrency,
    busiestResource?.work ?? 0,
  );
  return { work, criticalPath, busiestResource, lowerBound };
}

/** A small deterministic generator (mulberry32) for reproducible jitter. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
