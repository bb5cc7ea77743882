import { existsSync } from 'node:fs';
import path from 'node:path';
import { readEventLog, writeAtomic, type Conflict, type RunEndContext, type TaskSpec } from '@guild/core';
import { computeMetrics } from './compute';
import type { DurationHistory } from './history';
import { renderReport } from './report';
import { reportFile } from './run-files';
import type { RunMetrics } from './types';

/** What {@link finishRun} does besides writing `summary.json`. */
export interface FinishRunOptions {
  /** Learns the durations of this session's succeeded tasks. */
  history?: DurationHistory;
  /** Writes `report.html` beside `summary.json`. */
  report: boolean;
  warn: (message: string) => void;
}

/**
 * The run-end hook: computes the run's metrics from its whole event log (all sessions of a
 * resumed run), adds them to core's `summary.json` as `metrics` (an atomic rewrite), writes
 * `report.html`, and records the durations of tasks that succeeded in this session. Returns
 * the metrics. A conflict report that cannot be made is warned about and left out; a run kept
 * in memory only (no event log) is left alone, with a warning.
 */
export function finishRun(run: RunEndContext, options: FinishRunOptions): RunMetrics | undefined {
  const log = path.join(run.runDir, 'events.jsonl');
  if (!existsSync(log)) {
    options.warn(`run ${run.runId} has no event log (${log}); no metrics, report or history for it`);
    return undefined;
  }
  const { events } = readEventLog(log);
  const metrics = computeMetrics({
    events,
    plan: run.plan,
    runId: run.runId,
    slots: run.slots,
    boost: run.boost,
    ...conflictsOf(run, options.warn),
  });
  writeAtomic(path.join(run.runDir, 'summary.json'), `${JSON.stringify({ ...run.summary, metrics }, null, 2)}\n`);
  if (options.report) writeAtomic(reportFile(run.runDir), renderReport(metrics, run.plan.file !== undefined ? { source: run.plan.file } : {}));
  options.history?.record(succeededThisSession(run));
  return metrics;
}

function conflictsOf(run: RunEndContext, warn: (message: string) => void): { conflicts?: Conflict[] } {
  try {
    return { conflicts: run.conflicts() };
  } catch (e) {
    warn(`the conflict report failed (${e instanceof Error ? e.message : String(e)}); the run's metrics leave the conflict rate out`);
    return {};
  }
}

/**
 * Tasks that succeeded in this session, with their last attempt's duration. Core's summary
 * covers this session only (a resumed run's earlier successes carry no times), so nothing is
 * recorded twice.
 */
function succeededThisSession(run: RunEndContext): Array<{ spec: TaskSpec; seconds: number }> {
  const out: Array<{ spec: TaskSpec; seconds: number }> = [];
  for (const r of run.summary.tasks) {
    const task = run.plan.tasks.get(r.id);
    if (!task || r.state !== 'succeeded' || r.startedAt === undefined || r.endedAt === undefined) continue;
    out.push({ spec: task.spec, seconds: (r.endedAt - r.startedAt) / 1000 });
  }
  return out;
}
