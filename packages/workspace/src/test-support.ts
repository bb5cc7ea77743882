import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  PluginHost,
  createPlan,
  defaultConfig,
  runPlan,
  type RunEvent,
  type RunOutcome,
  type Scheduler,
  type TaskSpec,
} from '@guild/core';
import { shellQuote } from '@guild/test-utils';
import workspacePlugin, { recordFile, type WorkspaceOptions, type WorkspaceRecord } from './index';

/** A host with only the workspace plugin, set up for `root` with `isolation`; `logs` collects its lines. */
export async function workspaceHost(
  root: string,
  isolation: 'shared' | 'worktree',
  options: WorkspaceOptions = {},
): Promise<{ host: PluginHost; logs: string[] }> {
  const logs: string[] = [];
  const logger = () => ({
    info: (m: string) => logs.push(m),
    warn: (m: string) => logs.push(`warning: ${m}`),
    error: (m: string) => logs.push(`error: ${m}`),
    debug: () => {},
  });
  const host = new PluginHost({ ...defaultConfig(), isolation }, [workspacePlugin(options)], { root, projectRoot: root, logger });
  await host.setup();
  return { host, logs };
}

/** What {@link runThrough} returns: the run, its `workspace.json`, and every event. */
export interface RunThrough extends RunOutcome {
  record: WorkspaceRecord;
  events: RunEvent[];
}

/**
 * Runs `specs` (plan root: `root`) the way `guild run` does: plan hooks, `runPlan` with the
 * host's runners and listeners, then the run-end hooks. Tasks never retry unless they say so.
 */
export async function runThrough(
  host: PluginHost,
  root: string,
  specs: TaskSpec[],
  opts: { concurrency?: number; listener?: (e: RunEvent) => void; onStart?: (scheduler: Scheduler) => void } = {},
): Promise<RunThrough> {
  const plan = createPlan(
    specs.map((s) => ({ retries: 0, ...s })),
    { root },
  );
  await host.preparePlan(plan);
  const events: RunEvent[] = [];
  const concurrency = opts.concurrency ?? 4;
  const outcome = await runPlan(plan, {
    concurrency,
    runners: host.runners,
    access: host.accessControls,
    projectRoot: root,
    retry: { base: 0.01, cap: 0.01 },
    listeners: [(e) => events.push(e), ...(opts.listener ? [opts.listener] : []), ...host.listeners],
    onStart: (r) => opts.onStart?.(r.scheduler),
  });
  await host.runEnded({
    runId: outcome.runId,
    runDir: outcome.runDir,
    projectRoot: root,
    plan,
    summary: outcome.summary,
    conflicts: () => [],
    slots: concurrency,
    boost: concurrency,
  });
  const record = JSON.parse(readFileSync(recordFile(outcome.runDir), 'utf8')) as WorkspaceRecord;
  return { ...outcome, record, events };
}

/** The error a task finished with, from the run's events. */
export function finishedError(events: readonly RunEvent[], id: string): string | undefined {
  const e = events.findLast((x) => x.type === 'task.finished' && x.id === id);
  return e?.type === 'task.finished' ? e.error : undefined;
}

/** A task's log file of a run ('' when it has none: it printed nothing). */
export const taskLog = (runDir: string, id: string): string => {
  const file = path.join(runDir, 'logs', `${id}.log`);
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
};

/**
 * A shell command that waits until `file` exists, polling; it gives up with exit code 9 after
 * a minute, so a broken test never leaves a process behind for long.
 */
export const waitForFile = (file: string): string =>
  `i=0; while [ ! -f ${shellQuote(file)} ]; do i=$((i+1)); [ $i -gt 1200 ] && exit 9; sleep 0.05; done`;
