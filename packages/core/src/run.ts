import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { accessFor } from './access.js';
import { realClock } from './clock.js';
import { EventBus } from './events.js';
import { newRunId } from './run-id.js';
import { Scheduler, checkRunners, type RunSummary, type SchedulerOptions } from './scheduler.js';
import { shellRunner } from './shell-runner.js';
import type { AccessControl, EventListener, Plan, Runner } from './types.js';

/** Options for {@link runPlan}. */
export interface RunPlanOptions
  extends Partial<Pick<SchedulerOptions, 'failFast' | 'starvationLimit' | 'retry' | 'killGrace' | 'env' | 'clock'>> {
  concurrency: number;
  boost?: number;
  /** Registered access controls; core's resource locks are added unless one covers resources. */
  access?: readonly AccessControl[];
  /** Runners by name; the shell runner is always there. */
  runners?: ReadonlyMap<string, Runner>;
  listeners?: readonly EventListener[];
  /** Where `.guild/runs/<run-id>/` goes (default: the plan's root). */
  projectRoot?: string;
  runId?: string;
  /**
   * Called once the run folder and scheduler exist, before anything starts: e.g. to set up a
   * reporter that names log files, or to wire Ctrl-C to `scheduler.abort()`.
   */
  onStart?: (run: { runId: string; runDir: string; scheduler: Scheduler }) => void;
}

/** A finished run and where its files are. */
export interface RunOutcome {
  summary: RunSummary;
  runDir: string;
}

/**
 * Runs a plan for real: creates `.guild/runs/<run-id>/logs/`, runs the scheduler on the wall
 * clock with the given runners and access controls, and resolves with the summary.
 */
export async function runPlan(plan: Plan, options: RunPlanOptions): Promise<RunOutcome> {
  const runners = new Map<string, Runner>([[shellRunner.name, shellRunner]]);
  for (const [name, r] of options.runners ?? []) runners.set(name, r);
  checkRunners(plan, runners);
  const runId = options.runId ?? newRunId();
  const runDir = path.join(options.projectRoot ?? plan.root, '.guild', 'runs', runId);
  const logDir = path.join(runDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const bus = new EventBus();
  for (const l of options.listeners ?? []) bus.on(l);
  const scheduler = new Scheduler({
    plan,
    runId,
    clock: options.clock ?? realClock,
    bus,
    access: accessFor(options.access ?? []),
    runners,
    concurrency: options.concurrency,
    boost: options.boost ?? options.concurrency,
    failFast: options.failFast,
    starvationLimit: options.starvationLimit,
    retry: options.retry,
    killGrace: options.killGrace,
    env: options.env,
    logDir,
  });
  options.onStart?.({ runId, runDir, scheduler });
  const summary = await scheduler.run();
  return { summary, runDir };
}
