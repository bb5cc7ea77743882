import path from 'node:path';
import {
  accessFor,
  createPlan,
  formatDuration,
  planBounds,
  planFileSource,
  GuildError,
  newRunId,
  pickRun,
  prepareSharedLauncher,
  resumeRun,
  runPlan,
  simulate,
  type Conflict,
  type GuildConfig,
  type Plan,
  type PluginHost,
  type Reporter,
  type RunEvent,
  type TaskSource,
  type Scheduler,
} from '@guild/core';
import { ProjectLeases } from '@guild/conflicts';
import type { Io } from './cli.js';
import { chooseReporter } from './reporter.js';

/** What every command gets: streams, the set-up plugins, the config. */
export interface Context {
  io: Io;
  host: PluginHost;
  config: GuildConfig;
  projectRoot: string;
}

/** Where a command's tasks come from: a plan file, or `--from <source>` with the source flags. */
export interface TaskRef {
  ref: string;
  /** Given with --from: must name a source (or a file one accepts). */
  from: boolean;
  allOpen?: boolean;
  updateSource?: boolean;
}

/** Loads a plan through the source that accepts it, validates it, and runs plugins' plan hooks. */
export async function loadPlan(ctx: Context, what: TaskRef | string): Promise<Plan> {
  const t = typeof what === 'string' ? { ref: what, from: false } : what;
  const ref = t.ref;
  const found = ctx.host.sourceFor(ref);
  if (!found && t.from && !/\.(ya?ml|json)$/i.test(ref)) {
    const names = ctx.host.sources.map((s) => s.name);
    const hint = `sources: ${names.join(', ')}`;
    throw new GuildError('USAGE', `--from ${ref}: no task source takes it (${hint})`);
  }
  const source = found ?? planFileSource;
  const { specs, root, warnings = [] } = await source.load(ref, { root: ctx.io.cwd, allOpen: t.allOpen, updateSource: t.updateSource });
  const plan = createPlan(specs, {
    root: root ?? ctx.io.cwd,
    file: ref,
    defaultEstimate: ctx.config.defaultEstimate,
    history: ctx.host.estimate,
    runnerFor: ctx.host.runnerFor,
  });
  await ctx.host.preparePlan(plan);
  sourceOf.set(plan, source);
  warningsOf.set(plan, warnings);
  return plan;
}

/** What each loaded plan's source warned about. */
const warningsOf = new WeakMap<Plan, string[]>();

/** The source each loaded plan came from, so a run can tell it how its tasks ended. */
const sourceOf = new WeakMap<Plan, TaskSource>();

/**
 * Tells a plan's source (its `sink.finished`) about every task that has ended for good: it
 * succeeded, or failed with no retry left, or was cancelled. `settled()` waits for all calls.
 */
function sinkListener(source: () => TaskSource | undefined, plan: () => Plan | undefined) {
  const calls: Array<Promise<void>> = [];
  return {
    listener: (e: RunEvent) => {
      if (e.type !== 'task.finished') return;
      const finished = source()?.sink?.finished;
      const task = plan()?.tasks.get(e.id);
      if (!finished || !task) return;
      const final = e.outcome === 'succeeded' || e.outcome === 'cancelled' || e.attempt > task.retries;
      if (final) calls.push(finished(task, e.outcome).catch(() => undefined));
    },
    settled: () => Promise.all(calls),
  };
}

function conflictsOf(ctx: Context, plan: Plan): Conflict[] {
  return accessFor(ctx.host.accessControls).conflicts?.(plan) ?? [];
}

const s = (n: number) => (n === 1 ? '' : 's');
const secs = (n: number) => Math.round(n * 1000) / 1000;

/** `guild plan`: validation, stages, critical path, conflicts, and (with --simulate or --json) the simulation. */
export async function planCommand(
  ctx: Context,
  what: TaskRef,
  o: { simulate?: boolean; json?: boolean; concurrency: number; boost: number },
): Promise<number> {
  const plan = await loadPlan(ctx, what);
  const file = what.ref;
  const bounds = planBounds(plan, o.concurrency, o.boost);
  const conflicts = conflictsOf(ctx, plan);
  const stages = plan.graph.stages();
  const estimates = { plan: 0, history: 0, default: 0 };
  for (const t of plan.tasks.values()) estimates[t.estimateFrom]++;
  const sim =
    o.simulate || o.json
      ? await simulate(plan, {
          concurrency: o.concurrency,
          boost: o.boost,
          access: ctx.host.accessControls,
          starvationLimit: ctx.config.starvationLimit,
        })
      : undefined;

  if (o.json) {
    const out = {
      file,
      tasks: plan.tasks.size,
      concurrency: o.concurrency,
      boost: o.boost,
      makespan: secs(sim!.makespan),
      criticalPath: secs(bounds.criticalPath.length),
      criticalPathTasks: bounds.criticalPath.ids,
      lowerBound: secs(bounds.lowerBound),
      work: secs(bounds.work),
      speedup: sim!.makespan > 0 ? secs(bounds.work / sim!.makespan) : 0,
      busiestResource: bounds.busiestResource ?? null,
      estimates,
      warnings: warningsOf.get(plan) ?? [],
      stages,
      conflicts,
      schedule: sim!.summary.tasks.map((t) => ({
        id: t.id,
        slot: t.slot,
        start: secs((t.startedAt ?? 0) / 1000),
        end: secs((t.endedAt ?? 0) / 1000),
      })),
    };
    ctx.io.stdout(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  }

  const out: string[] = [];
  out.push(`plan ${file}: ${plan.tasks.size} task${s(plan.tasks.size)} in ${stages.length} stage${s(stages.length)}`);
  out.push('', 'stages (the wave view; guild itself starts each task as soon as it may):');
  stages.slice(0, 50).forEach((ids, i) => {
    const shown = ids.slice(0, 12).join(' ');
    out.push(`  ${String(i + 1).padStart(2)}  ${shown}${ids.length > 12 ? ` ... (+${ids.length - 12})` : ''}`);
  });
  if (stages.length > 50) out.push(`  ... ${stages.length - 50} more stages`);
  out.push(
    '',
    `critical path: ${formatDuration(bounds.criticalPath.length)}  ${abbreviate(bounds.criticalPath.ids, 10).join(' -> ')}`,
  );
  const fromWhere = [
    estimates.plan && `${estimates.plan} from the plan`,
    estimates.history && `${estimates.history} from history`,
    estimates.default && `${estimates.default} default (${formatDuration(ctx.config.defaultEstimate)}; add "estimate:")`,
  ].filter(Boolean);
  out.push(`estimates: ${fromWhere.join(', ')}`);
  const warnings = warningsOf.get(plan) ?? [];
  if (warnings.length > 0) {
    out.push('', `warnings (${warnings.length}):`);
    for (const w of warnings.slice(0, 20)) out.push(`  ${w}`);
    if (warnings.length > 20) out.push(`  ... ${warnings.length - 20} more (guild plan --json)`);
  }
  out.push('');
  if (conflicts.length === 0) {
    out.push('conflicts: none');
  } else {
    out.push(`conflicts: ${conflicts.length} pair${s(conflicts.length)} not ordered by dependencies (guild runs them one at a time):`);
    for (const c of conflicts.slice(0, 20)) out.push(`  ${c.a} <> ${c.b}: ${c.reason}`);
    if (conflicts.length > 20) out.push(`  ... ${conflicts.length - 20} more (guild conflicts ${file})`);
  }
  if (sim) {
    const speedup = sim.makespan > 0 ? bounds.work / sim.makespan : 0;
    out.push(
      '',
      `simulation (-j ${o.concurrency}, boost ${o.boost}): finishes in ${formatDuration(sim.makespan)}` +
        ` · lower bound ${formatDuration(bounds.lowerBound)} · ${formatDuration(bounds.work)} of work · speedup ${speedup.toFixed(2)}x`,
    );
    const rows = [...sim.summary.tasks].sort((a, b) => (a.startedAt ?? 0) - (b.startedAt ?? 0) || a.id.localeCompare(b.id));
    const width = Math.min(30, Math.max(...rows.map((r) => r.id.length)));
    for (const r of rows.slice(0, 40)) {
      out.push(
        `  slot ${String(r.slot).padStart(2)}  ${r.id.padEnd(width)}  ${formatDuration((r.startedAt ?? 0) / 1000).padStart(7)} -> ${formatDuration((r.endedAt ?? 0) / 1000)}`,
      );
    }
    if (rows.length > 40) out.push(`  ... ${rows.length - 40} more (guild plan --json for all)`);
  }
  ctx.io.stdout(`${out.join('\n')}\n`);
  return 0;
}

function abbreviate(ids: string[], max: number): string[] {
  return ids.length <= max ? ids : [...ids.slice(0, max - 2), `... (${ids.length - max + 1} more)`, ids.at(-1)!];
}

/** `guild conflicts`: the static conflict report. */
export async function conflictsCommand(ctx: Context, what: TaskRef, o: { json?: boolean }): Promise<number> {
  const plan = await loadPlan(ctx, what);
  const file = what.ref;
  const conflicts = conflictsOf(ctx, plan);
  if (o.json) {
    ctx.io.stdout(`${JSON.stringify({ file, tasks: plan.tasks.size, conflicts }, null, 2)}\n`);
    return 0;
  }
  if (conflicts.length === 0) {
    ctx.io.stdout(`no conflicts: no two tasks of ${file} that may run at the same time touch the same thing\n`);
    return 0;
  }
  const lines = conflicts.map((c) => `${c.a} <> ${c.b}: ${c.reason}`);
  ctx.io.stdout(
    `${conflicts.length} conflicting pair${s(conflicts.length)} not ordered by dependencies; guild never runs them at the same time:\n  ${lines.join('\n  ')}\n`,
  );
  return 0;
}

/** `--no-wait`: refuses to start when another live run of the project holds what a task declares. */
function refuseIfHeldElsewhere(ctx: Context, plan: Plan, runId: string): void {
  const leases = new ProjectLeases(ctx.projectRoot, runId);
  for (const task of plan.tasks.values()) {
    const [held] = leases.conflictingRuns(task.access);
    if (held) {
      throw new GuildError(
        'RUN_LOCKED',
        `task ${task.id} needs ${held.key}, which task ${held.task} of run ${held.runId} holds right now; not starting (--no-wait). Run again without --no-wait to wait for it`,
      );
    }
  }
}

/**
 * `guild run`: runs the plan with the plain line reporter. Exit 0, 1 (a task failed or was
 * skipped), 130 after Ctrl-C, 143 after SIGTERM, 129 after SIGHUP (the terminal went away: the
 * run is aborted as with SIGTERM, so no task is left running without a driver).
 */
export async function runCommand(
  ctx: Context,
  what: TaskRef | undefined,
  o: {
    failFast: boolean;
    concurrency: number;
    boost: number;
    resume?: string;
    retryFailed?: boolean;
    noWait?: boolean;
    reporter?: string;
  },
): Promise<number> {
  const reporterFactory = chooseReporter(ctx, o.reporter);
  // Up by the time the first task starts: it comes up while the plan loads.
  prepareSharedLauncher();
  const plan = o.resume === undefined ? await loadPlan(ctx, what!) : undefined;
  for (const w of plan ? (warningsOf.get(plan) ?? []) : []) ctx.io.stderr(`guild: warning: ${w}\n`);
  const runId = o.resume === undefined ? newRunId() : pickRun(ctx.projectRoot, o.resume);
  if (o.noWait && plan) refuseIfHeldElsewhere(ctx, plan, runId);
  let refused = false;
  let scheduler: Scheduler | undefined;
  let interrupts = 0;
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    stoppedBy ??= signal;
    if (!scheduler) return; // onStart aborts at once
    if (interrupts === 1) {
      ctx.io.stderr(`\nguild: ${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping running tasks (Ctrl-C again to kill them at once)\n`);
      scheduler.abort('graceful');
    } else {
      scheduler.abort('now');
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  try {
    let reporter: Reporter | undefined;
    let ranPlan: Plan | undefined;
    const sink = sinkListener(
      () => (plan ? sourceOf.get(plan) : ranPlan?.file !== undefined ? ctx.host.sourceFor(ranPlan.file) : undefined),
      () => ranPlan,
    );
    const common = {
      concurrency: o.concurrency,
      boost: o.boost,
      failFast: o.failFast,
      starvationLimit: ctx.config.starvationLimit,
      retry: ctx.config.retry,
      killGrace: ctx.config.killGrace,
      access: ctx.host.accessControls,
      runners: ctx.host.runners,
      projectRoot: ctx.projectRoot,
      listeners: [
        (e: RunEvent) => reporter?.onEvent(e),
        sink.listener,
        (e: RunEvent) => {
          // --no-wait: a task held back by another run of this project ends this run instead.
          if (o.noWait && !refused && e.type === 'task.waiting' && e.on.some((b) => b.kind === 'lock' && b.run)) {
            refused = true;
            ctx.io.stderr(`guild: ${e.id} would wait for another run of this project (--no-wait): stopping\n`);
            scheduler?.abort('graceful');
          }
        },
        ...ctx.host.listeners,
      ],
      onStart: (run: { runDir: string; scheduler: Scheduler; resumed: boolean; runId: string; plan: Plan }) => {
        scheduler = run.scheduler;
        ranPlan = run.plan;
        if (stoppedBy) queueMicrotask(() => run.scheduler.abort('graceful'));
        if (run.resumed) ctx.io.stdout(`resuming run ${run.runId}\n`);
        const s = run.scheduler;
        reporter = reporterFactory.create({
          runId: run.runId,
          runDir: run.runDir,
          logDir: path.join(run.runDir, 'logs'),
          cwd: ctx.io.cwd,
          plan: run.plan,
          slots: o.concurrency,
          boost: o.boost,
          resumed: run.resumed,
          control: {
            pause: () => s.pause(),
            resume: () => s.resume(),
            serialize: () => s.serialize(),
            abort: (how = 'graceful') => s.abort(how),
          },
          stdout: ctx.io.terminal?.stdout ?? (undefined as unknown as NodeJS.WriteStream),
          stdin: ctx.io.terminal?.stdin,
        });
      },
    };
    const result = plan
      ? await runPlan(plan, { ...common, runId, isolation: ctx.config.isolation })
      : await resumeRun(runId, {
          ...common,
          retryFailed: o.retryFailed,
          defaultEstimate: ctx.config.defaultEstimate,
          history: ctx.host.estimate,
          runnerFor: ctx.host.runnerFor,
          onLeftover: (task, pid) =>
            ctx.io.stderr(`guild: killing process ${pid}${task === '?' ? '' : ` of task ${task}`}, left running by the crashed driver\n`),
        });
    await sink.settled();
    await reporter?.close(result.summary);
    await ctx.host.runEnded({
      runId: result.runId,
      runDir: result.runDir,
      projectRoot: ctx.projectRoot,
      plan: ranPlan!,
      summary: result.summary,
      conflicts: () => conflictsOf(ctx, ranPlan!),
      slots: o.concurrency,
      boost: o.boost,
    });
    if (refused) return 1;
    if (result.summary.outcome === 'aborted') return stoppedBy === 'SIGTERM' ? 143 : stoppedBy === 'SIGHUP' ? 129 : 130;
    return result.summary.outcome === 'succeeded' ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  }
}
