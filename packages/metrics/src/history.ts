import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sleepSync, tryLock, writeAtomic, type Seconds, type TaskSpec } from '@guild/core';

/** Where a project keeps its tasks' past durations. */
export const historyFile = (projectRoot: string): string => path.join(projectRoot, '.guild', 'history.json');

/** How long {@link DurationHistory.record} waits for another process's lock on the file. */
const LOCK_WAIT_MS = 3000;

/** One task's past durations, as `history.json` holds them. */
interface Entry {
  /** {@link commandHash} of the task these durations belong to. */
  hash: string;
  /** Seconds of succeeded attempts, oldest first. */
  durations: Seconds[];
  /** Epoch milliseconds of the last update, to drop the stalest entries first. */
  at: number;
}

/** Options for {@link DurationHistory}. */
export interface DurationHistoryOptions {
  /** The `history.json` file. */
  file: string;
  /** Durations kept per task (default 5). */
  depth?: number;
  /** Tasks kept in the file; the least recently run go first (default 1000). */
  limit?: number;
  /** Told, once, when the file is unreadable and a new history is started. */
  warn?: (message: string) => void;
}

/**
 * A hash of what a task does (its command or prompt), so a task whose command changed does not
 * inherit the old command's durations.
 */
export function commandHash(spec: Pick<TaskSpec, 'run' | 'prompt'>): string {
  return createHash('sha256')
    .update(JSON.stringify([spec.run ?? null, spec.prompt ?? null]))
    .digest('hex')
    .slice(0, 16);
}

/**
 * Durations of tasks' succeeded attempts across runs of one project, keyed by task id and
 * {@link commandHash}: the last `depth` per task, for the `limit` most recently run tasks. Writes
 * are atomic; an unreadable file is reported once and replaced by a new history.
 */
export class DurationHistory {
  private readonly depth: number;
  private readonly limit: number;
  private entries: Map<string, Entry> | undefined;
  private warned = false;

  constructor(private readonly options: DurationHistoryOptions) {
    this.depth = options.depth ?? 5;
    this.limit = options.limit ?? 1000;
  }

  /** The median of the task's recent durations, or `undefined` if it never succeeded with this command. */
  estimate(spec: TaskSpec): Seconds | undefined {
    this.entries ??= this.read();
    const entry = this.entries.get(spec.id);
    if (!entry || entry.hash !== commandHash(spec) || entry.durations.length === 0) return undefined;
    return median(entry.durations);
  }

  /**
   * Adds durations of succeeded attempts and writes the file: under a lock file
   * (`history.json.lock`), re-reading the file first, so runs that end at the same moment all
   * keep their updates. A lock held for over {@link LOCK_WAIT_MS} is reported and gone past.
   */
  record(runs: ReadonlyArray<{ spec: TaskSpec; seconds: Seconds }>, now = Date.now()): void {
    mkdirSync(path.dirname(this.options.file), { recursive: true });
    const release = this.lock();
    try {
      this.merge(runs, now);
    } finally {
      release();
    }
  }

  /** Waits for the history's lock file; returns how to release it. */
  private lock(): () => void {
    const file = `${this.options.file}.lock`;
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      const lock = tryLock(file);
      if ('release' in lock) return lock.release;
      if (Date.now() >= deadline) {
        const who = lock.holder ? `process ${lock.holder.pid}` : 'other processes';
        this.options.warn?.(`${file} has been held by ${who} for over ${LOCK_WAIT_MS / 1000}s; updating ${this.options.file} without it`);
        return () => {};
      }
      sleepSync(10);
    }
  }

  private merge(runs: ReadonlyArray<{ spec: TaskSpec; seconds: Seconds }>, now: number): void {
    const entries = this.read();
    for (const { spec, seconds } of runs) {
      if (!Number.isFinite(seconds) || seconds < 0) continue;
      const hash = commandHash(spec);
      const old = entries.get(spec.id);
      const durations = old?.hash === hash ? old.durations : [];
      durations.push(Math.round(seconds * 1000) / 1000);
      entries.set(spec.id, { hash, durations: durations.slice(-this.depth), at: now });
    }
    const kept = [...entries].sort(([, a], [, b]) => a.at - b.at).slice(-this.limit);
    this.entries = new Map(kept);
    writeAtomic(this.options.file, `${JSON.stringify({ version: 1, tasks: Object.fromEntries(kept) })}\n`);
  }

  private read(): Map<string, Entry> {
    let text: string;
    try {
      text = readFileSync(this.options.file, 'utf8');
    } catch {
      return new Map();
    }
    try {
      return parseHistory(text);
    } catch (e) {
      if (!this.warned) {
        this.warned = true;
        this.options.warn?.(`${this.options.file} is unreadable (${(e as Error).message}); starting a new duration history`);
      }
      return new Map();
    }
  }
}

/** Parses `history.json`; throws an Error saying what is wrong. */
function parseHistory(text: string): Map<string, Entry> {
  const data: unknown = JSON.parse(text);
  if (!isRecord(data) || data.version !== 1 || !isRecord(data.tasks)) throw new Error('expected { "version": 1, "tasks": {...} }');
  const entries = new Map<string, Entry>();
  for (const [id, value] of Object.entries(data.tasks)) {
    if (
      !isRecord(value) ||
      typeof value.hash !== 'string' ||
      typeof value.at !== 'number' ||
      !Array.isArray(value.durations) ||
      !value.durations.every((d) => typeof d === 'number' && Number.isFinite(d) && d >= 0)
    ) {
      throw new Error(`the entry for task "${id}" is not { hash, durations, at }`);
    }
    entries.set(id, { hash: value.hash, durations: value.durations as number[], at: value.at });
  }
  return entries;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
