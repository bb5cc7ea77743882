import path from 'node:path';
import { GuildError, formatDuration, runPaths, type Logger, type RunEvent, type Task, type TaskSource } from '@guild/core';
import type { BdClient } from './bd-client';
import { defined } from './defined';
import { claimIssue, closeIssue, commentOn, reopenIssue, type ClaimOutcome } from './bd-commands';
import { logTail } from './log-tail';
import type { BeadsTaskMeta } from './mapping';

/** What the tracker needs. */
export interface TrackerOptions {
  /** The base actor; a run claims as `<actor>/<run-id>`. */
  actor: string;
  /** Where `.guild/runs/` is, to find a task's log. */
  projectRoot: string;
  logger: Logger;
  /** The bd client, or `undefined` when bd is not installed. */
  bd: () => Promise<BdClient | undefined>;
}

/** How an attempt ended, for the note on a reopened issue (default: from the run's events). */
export interface AttemptInfo {
  /** The task's log (default: `.guild/runs/<run>/logs/<task>.log`). */
  logFile?: string;
  exitCode?: number;
  signal?: string;
  error?: string;
}

interface Held {
  task: Task;
  runId: string;
  since: number;
}

/** Whether a task came from beads with claims on (see `meta.beads.claim`). */
export function claimsIssue(task: Task): boolean {
  const meta = task.spec.meta?.beads as Partial<BeadsTaskMeta> | undefined;
  return task.spec.origin?.source === 'beads' && meta?.claim === true;
}

/**
 * Keeps the tracker in step with a run: claims an issue before its task starts, closes it when
 * the task succeeded, and otherwise puts it back to open, unassigned, with a comment holding the
 * run id and the end of the task's log. Each run claims as `<actor>/<run-id>`, so two runs
 * never share a claim. Every call is idempotent per issue: claiming an issue this process holds
 * does nothing, and finishing one it does not hold (never claimed, lost, or finished already)
 * does nothing, so the runner wrapper and core's sink calls may both be in place.
 */
export class BeadsTracker {
  private runId: string | undefined;
  private readonly held = new Map<string, Held>();
  private readonly ends = new Map<string, Omit<AttemptInfo, 'logFile'>>();

  constructor(private readonly o: TrackerOptions) {}

  /** Event listener (for `api.onEvent`): learns the run id and how tasks ended. */
  readonly onEvent = (event: RunEvent): void => {
    if (event.type === 'run.started') this.runId = event.runId;
    else if (event.type === 'task.finished') this.ends.set(event.id, { exitCode: event.exitCode, signal: event.signal, error: event.error });
  };

  /** The claimant a run uses. */
  actorFor(runId: string): string {
    return `${this.o.actor}/${runId}`;
  }

  /**
   * Claims the task's issue for the run. Resolves `{ claimed: false, reason }` when someone else
   * has it (or it is not open any more); throws a GuildError when bd is missing or fails.
   */
  async claim(task: Task, runId = this.runId): Promise<ClaimOutcome> {
    if (!claimsIssue(task) || this.held.has(task.id)) return { claimed: true };
    if (runId === undefined) throw new GuildError('PLUGIN_FAILED', `cannot claim ${task.id}: no run has started`);
    const bd = await this.o.bd();
    if (!bd) throw new GuildError('PLUGIN_FAILED', `cannot claim ${task.id}: bd is not installed (install beads, or set writeBack: "never")`);
    const outcome = await claimIssue(bd, task.id, this.actorFor(runId));
    if (outcome.claimed) this.held.set(task.id, { task, runId, since: Date.now() });
    else this.o.logger.warn(`${task.id} is not run here: it is ${outcome.reason}`);
    return outcome;
  }

  /**
   * The task ended for good (after its last attempt): `succeeded` closes the issue, anything
   * else reopens it with a comment. Failures of bd are logged, never thrown: the work is done.
   */
  async finish(task: Task, outcome: string, info: AttemptInfo = {}): Promise<void> {
    const held = this.held.get(task.id);
    if (!held) return;
    this.held.delete(task.id);
    const bd = await this.o.bd();
    if (!bd) return;
    const { runId } = held;
    const actor = this.actorFor(runId);
    const took = formatDuration((Date.now() - held.since) / 1000);
    const why = (e: unknown) => (e instanceof Error ? e.message : String(e));
    if (outcome === 'succeeded') {
      await closeIssue(bd, task.id, `guild run ${runId}: done in ${took}`, actor).catch((e: unknown) => {
        this.o.logger.warn(`could not close ${task.id} (${why(e)}); it stays in_progress, assigned to ${actor}`);
      });
      return;
    }
    try {
      await reopenIssue(bd, task.id, actor);
    } catch (e) {
      this.o.logger.warn(`could not reopen ${task.id} (${why(e)}); it stays in_progress, assigned to ${actor}`);
      return;
    }
    await commentOn(bd, task.id, await this.note(task, outcome, took, runId, info), actor).catch((e: unknown) => {
      this.o.logger.warn(`could not add the note on ${task.id} (${why(e)})`);
    });
  }

  /** Reopens every issue still held (the run ended before their tasks did). */
  async releaseAll(): Promise<void> {
    for (const { task } of [...this.held.values()]) await this.finish(task, 'cancelled', { error: 'the run ended before the task did' });
  }

  /** The sink for core: claim on start (`lost` when someone else has it), close or reopen at the end. */
  readonly sink: NonNullable<TaskSource['sink']> = {
    started: async (task) => ((await this.claim(task)).claimed ? 'ok' : 'lost'),
    finished: (task, outcome) => this.finish(task, outcome),
  };

  private async note(task: Task, outcome: string, took: string, runId: string, info: AttemptInfo): Promise<string> {
    const end = { ...this.ends.get(task.id), ...defined(info) };
    const how = outcome === 'timed-out' ? 'timed out' : outcome === 'cancelled' ? 'was cancelled' : 'failed';
    const detail =
      end.exitCode !== undefined ? ` with exit code ${end.exitCode}` : end.error ? ` (${end.error})` : end.signal ? ` (killed by ${end.signal})` : '';
    const logFile = info.logFile ?? path.join(runPaths(this.o.projectRoot, runId).logs, `${task.id}.log`);
    const tail = await logTail(logFile);
    const log = tail === undefined ? 'Its log is empty.' : `Last lines of its log (guild logs ${runId} ${task.id}):\n${tail}`;
    return `guild run ${runId}: the task ${how}${detail} after ${took}; the issue is open again.\n${log}`;
  }
}
