import { lstatSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { isGuildError, killLeftovers, listRuns, readStoredPlan, replayRun, runPaths, tryLock, type PluginHost } from '@guild/core';
import type { Io } from './cli.js';
import { viewRun } from './runs-commands.js';

export interface PruneOptions {
  /** The newest runs that stay, whatever their state. */
  keep: number;
  /** Crashed runs (and damaged ones) go too; otherwise they stay, to be resumed. */
  crashed?: boolean;
  /** Say what would go, remove nothing. */
  dryRun?: boolean;
}

/**
 * `guild runs --prune`: removes the runs older than the newest `keep` that have ended, each
 * under its driver lock (so no resume starts meanwhile), after the plugins' run-removed hooks
 * (the workspace's checkpoint and branch). A running run, a crashed one (unless `crashed`: then
 * the processes its driver left running are killed first) and one a plugin keeps are left, each
 * with the reason.
 */
export async function pruneCommand(io: Io, host: PluginHost, projectRoot: string, o: PruneOptions): Promise<number> {
  const runs = listRuns(projectRoot);
  const older = runs.slice(0, Math.max(0, runs.length - o.keep));
  let removed = 0;
  let bytes = 0;
  for (const runId of older) {
    const paths = runPaths(projectRoot, runId);
    let state: string;
    let replayed: ReturnType<typeof replayRun> | undefined;
    try {
      const stored = readStoredPlan(paths);
      replayed = replayRun(paths, stored);
      const view = viewRun(paths, stored, replayed);
      state = view.state;
      if (view.state === 'running') {
        io.stdout(`left ${runId}: it is running (process ${view.driver?.pid})\n`);
        continue;
      }
    } catch (e) {
      if (!isGuildError(e)) throw e;
      state = 'damaged';
      if (!o.crashed) {
        io.stdout(`left ${runId}: ${e.message} (--crashed removes it)\n`);
        continue;
      }
    }
    if (state === 'crashed' && !o.crashed) {
      io.stdout(`left ${runId}: it crashed; "guild run --resume ${runId}" continues it (--crashed removes it)\n`);
      continue;
    }
    const size = sizeOf(paths.dir);
    if (o.dryRun) {
      io.stdout(`would remove ${runId} (${state}, ${formatSize(size)})\n`);
      removed++;
      bytes += size;
      continue;
    }
    const lock = tryLock(paths.lock);
    if (!('release' in lock)) {
      io.stdout(`left ${runId}: process ${lock.holder?.pid ?? '?'} took it up meanwhile\n`);
      continue;
    }
    try {
      if (state === 'crashed' && replayed) {
        // What its driver left running goes first, as a resume would see to it.
        let stopped = 0;
        await killLeftovers(replayed, runId, () => stopped++);
        if (stopped > 0) io.stdout(`stopped ${stopped} process${stopped === 1 ? '' : 'es'} run ${runId} had left running\n`);
      }
      await host.runRemoved({ runId, runDir: paths.dir, projectRoot });
    } catch (e) {
      lock.release();
      if (!isGuildError(e)) throw e;
      io.stdout(`left ${runId}: ${e.message}\n`);
      continue;
    }
    rmSync(paths.dir, { recursive: true, force: true });
    io.stdout(`removed ${runId} (${state}, ${formatSize(size)})\n`);
    removed++;
    bytes += size;
  }
  const kept = runs.length - removed;
  const verb = o.dryRun ? 'would remove' : 'removed';
  io.stdout(`${verb} ${removed} run${removed === 1 ? '' : 's'} (${formatSize(bytes)}); ${kept} left (the newest ${o.keep} always stay: --keep)\n`);
  return 0;
}

/** Bytes of the files under `dir` (symbolic links not followed). */
function sizeOf(dir: string): number {
  let total = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += sizeOf(p);
    else {
      try {
        total += lstatSync(p).size;
      } catch {
        // gone meanwhile
      }
    }
  }
  return total;
}

function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
