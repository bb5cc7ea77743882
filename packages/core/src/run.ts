import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { accessFor } from './access.js';
import { realClock } from './clock.js';
import type { Isolation } from './config.js';
import { EventBus } from './events.js';
import { serveControl } from './control.js';
import { createPlan } from './plan.js';
import { isSameProcess, killGroup, processesWithEnv } from './proc.js';
import { newRunId } from './run-id.js';
import type { RunState } from './run-state.js';
import { RunStore, runPaths, writeAtomic, type StoredPlan } from './run-store.js';
import { Scheduler, checkRunners, type RunSummary, type SchedulerOptions } from './scheduler.js';
import { shellRunner } from './shell-runner.js';
import type { AccessControl, EventListener, Plan, Runner, TaskSpec, TaskState } from './types.js';

/** Options for {@link runPlan} and {@link resumeRun}. */
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
  /** Where the tasks came from, recorded in plan.json for people. */
  source?: string;
  /**
   * The config's isolation, recorded in plan.json so that `guild run --resume` keeps it (the
   * workspace plugin acts on it; core only stores it).
   */
  isolation?: Isolation;
  /**
   * `false` keeps events in memory only (no plan.json, events.jsonl or state.json; logs are
   * still written). Such a run cannot be resumed. Default `true`.
   */
  store?: boolean;
  /**
   * Called once the run folder and scheduler exist, before anything starts: e.g. to set up a
   * reporter that names log files, or to wire Ctrl-C to `scheduler.abort()`.
   */
  onStart?: (run: { runId: string; runDir: string; scheduler: Scheduler; resumed: boolean; plan: Plan }) => void;
}

/** A finished run and where its files are. */
export interface RunOutcome {
  summary: RunSummary;
  runId: string;
  runDir: string;
}

function runnersWith(extra: ReadonlyMap<string, Runner> | undefined): Map<string, Runner> {
  const runners = new Map<string, Runner>([[shellRunner.name, shellRunner]]);
  for (const [name, r] of extra ?? []) runners.set(name, r);
  return runners;
}

/**
 * Runs a plan for real: creates `.guild/runs/<run-id>/` (plan.json, events.jsonl, state.json,
 * logs/), runs the scheduler on the wall clock with the given runners and access controls, and
 * resolves with the summary, also written to summary.json.
 */
export async function runPlan(plan: Plan, options: RunPlanOptions): Promise<RunOutcome> {
  const runners = runnersWith(options.runners);
  checkRunners(plan, runners);
  const runId = options.runId ?? newRunId();
  const projectRoot = options.projectRoot ?? plan.root;
  const boost = Math.max(options.boost ?? options.concurrency, options.concurrency);
  const stored: StoredPlan = {
    version: 1,
    runId,
    createdAt: Date.now(),
    root: plan.root,
    source: options.source ?? plan.file,
    specs: [...plan.tasks.values()].map((t) => t.spec),
    options: {
      concurrency: options.concurrency,
      boost,
      failFast: options.failFast ?? false,
      ...(options.isolation !== undefined ? { isolation: options.isolation } : {}),
    },
  };
  let store: RunStore | undefined;
  const paths = runPaths(projectRoot, runId);
  if (options.store === false) mkdirSync(paths.logs, { recursive: true });
  else store = RunStore.create(projectRoot, stored);
  return drive(plan, { ...options, boost }, runners, runId, paths.dir, store, undefined, false);
}

/** Options for {@link resumeRun}. */
export interface ResumeOptions extends Omit<RunPlanOptions, 'runId' | 'store' | 'source'> {
  projectRoot: string;
  /** Run failed and timed-out tasks (and what they caused to be skipped) again. */
  retryFailed?: boolean;
  /** Also called before a leftover process of the crashed driver is killed. */
  onLeftover?: (task: string, pid: number) => void;
  /** Defaults for slots: the values the run was started with. */
  concurrency: number;
  defaultEstimate?: number;
  /** Estimates for tasks without one (see `createPlan`'s `history`). */
  history?: (spec: TaskSpec) => number | undefined;
  /** The runner for prompt-only tasks without an agent (see `createPlan`). */
  runnerFor?: (spec: TaskSpec) => string | undefined;
}

/**
 * Continues a run from its event log: takes its lock (a live driver makes this fail), makes
 * sure every process the previous driver left running is dead, then runs what is left.
 * Succeeded tasks never run again; tasks that were running run again as a new attempt.
 */
export async function resumeRun(runId: string, options: ResumeOptions): Promise<RunOutcome & { plan: Plan }> {
  const { store, stored } = RunStore.open(options.projectRoot, runId);
  try {
    const plan = createPlan(stored.specs, {
      root: stored.root,
      file: stored.source,
      defaultEstimate: options.defaultEstimate,
      history: options.history,
      runnerFor: options.runnerFor,
    });
    const runners = runnersWith(options.runners);
    checkRunners(plan, runners);
    await killLeftovers(store.state, runId, options.onLeftover);
    const initial = new Map<string, { state: TaskState; attempts: number; because?: string }>();
    for (const t of store.state.tasks.values()) initial.set(t.id, { state: t.state, attempts: t.attempts, because: t.because });
    const concurrency = options.concurrency;
    const boost = Math.max(options.boost ?? concurrency, concurrency);
    const outcome = await drive(plan, { ...options, boost, serialized: store.state.serialized }, runners, runId, store.paths.dir, store, initial, true);
    return { ...outcome, plan };
  } catch (e) {
    store.abandon();
    throw e;
  }
}

/**
 * Kills what a dead driver left running (`state`: its run as replayed): the recorded process
 * groups of tasks that were running (checked by start time, so a reused pid is spared), then
 * anything carrying the run's id in `GUILD_RUN_ID`. Waits (at most 5 s) until they are gone.
 * Call it holding the run's lock (see {@link lockRun}), so no driver starts the tasks again
 * meanwhile. `onLeftover` hears each process killed (`task` is `?` for one found by its id).
 */
export async function killLeftovers(state: RunState, runId: string, onLeftover?: (task: string, pid: number) => void): Promise<void> {
  const pids = new Set<number>();
  for (const t of state.tasks.values()) {
    if (t.state !== 'running' || t.pid === undefined) continue;
    if (isSameProcess(t.pid, t.procStart)) {
      onLeftover?.(t.id, t.pid);
      killGroup(t.pid, 'SIGKILL');
      pids.add(t.pid);
    }
  }
  // Grandchildren that left the group still carry the run id in their environment.
  for (const pid of processesWithEnv('GUILD_RUN_ID', runId)) {
    onLeftover?.('?', pid);
    killGroup(pid, 'SIGKILL');
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    pids.add(pid);
  }
  const deadline = Date.now() + 5000;
  while ([...pids].some((p) => isSameProcess(p, undefined)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function drive(
  plan: Plan,
  options: RunPlanOptions & { boost: number; retryFailed?: boolean; serialized?: boolean },
  runners: Map<string, Runner>,
  runId: string,
  runDir: string,
  store: RunStore | undefined,
  initial: SchedulerOptions['initial'],
  resumed: boolean,
): Promise<RunOutcome> {
  const bus = new EventBus();
  if (store) bus.on(store.record);
  for (const l of options.listeners ?? []) bus.on(l);
  const scheduler = new Scheduler({
    plan,
    runId,
    clock: options.clock ?? realClock,
    bus,
    access: accessFor(options.access ?? []),
    runners,
    concurrency: options.concurrency,
    boost: options.boost,
    failFast: options.failFast,
    starvationLimit: options.starvationLimit,
    retry: options.retry,
    killGrace: options.killGrace,
    env: options.env,
    logDir: path.join(runDir, 'logs'),
    initial,
    retryFailed: options.retryFailed,
    beforeStart: store ? () => store.sync() : undefined,
    projectRoot: options.projectRoot ?? plan.root,
  });
  let closeControl: (() => void) | undefined;
  try {
    // Other processes steer the run (guild pause|resume|serialize|abort) through this socket.
    if (store) closeControl = await serveControl(runDir, scheduler);
    // A run that was told to go one task at a time before it crashed stays that way.
    if (options.serialized) scheduler.serialize();
    options.onStart?.({ runId, runDir, scheduler, resumed, plan });
    const summary = await scheduler.run();
    if (store) writeAtomic(path.join(runDir, 'summary.json'), JSON.stringify(summary, null, 2));
    return { summary, runId, runDir };
  } finally {
    closeControl?.();
    store?.close();
  }
}
