import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  createPlan,
  readEventLog,
  readStoredPlan,
  runPaths,
  type Plan,
  type RunPaths,
  type StoredPlan,
} from '@guild/core';
import { computeMetrics } from './compute';
import type { RunMetrics } from './types';

/** The HTML report in a run's folder. */
export const reportFile = (runDir: string): string => path.join(runDir, 'report.html');

/** A run read back from its folder. */
export interface StoredRun {
  paths: RunPaths;
  stored: StoredPlan;
  metrics: RunMetrics;
}

/**
 * Reads a run's metrics: the `metrics` of its `summary.json` when they were computed from the
 * whole event log as it is now, else computed from the log and `plan.json` (a run still going,
 * a crashed one, one run without this plugin). Computed that way, the conflict rate is `null`
 * and a prompt-only task whose agent was detected shows the runner `agent`.
 */
export function readRunMetrics(projectRoot: string, runId: string): StoredRun {
  const paths = runPaths(projectRoot, runId);
  const stored = readStoredPlan(paths);
  const { events } = readEventLog(paths.events);
  const saved = savedMetrics(paths.summary);
  if (saved && saved.runId === runId && saved.events === events.length) return { paths, stored, metrics: saved };
  return { paths, stored, metrics: computeMetrics({ events, plan: storedPlan(stored), runId }) };
}

/** The plan of a stored run, validated again. */
function storedPlan(stored: StoredPlan): Plan {
  return createPlan(stored.specs, {
    root: stored.root,
    file: stored.source,
    // The detected agent is not stored; any name serves, as nothing is run.
    runnerFor: () => 'agent',
  });
}

function savedMetrics(file: string): RunMetrics | undefined {
  try {
    const summary = JSON.parse(readFileSync(file, 'utf8')) as { metrics?: RunMetrics };
    return summary.metrics?.version === 1 ? summary.metrics : undefined;
  } catch {
    return undefined;
  }
}
