import {
  close as closeAsync,
  fdatasync,
  closeSync,
  existsSync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import type { Isolation } from './config.js';
import { GuildError } from './errors.js';
import { isSameProcess, startTimeOf } from './proc.js';
import { applyEvent, initialRunState, runStateJson, type RunState } from './run-state.js';
import type { RunEvent, TaskSpec } from './types.js';

/** The files of a run, under `<project>/.guild/runs/<run-id>/`. */
export interface RunPaths {
  dir: string;
  plan: string;
  events: string;
  state: string;
  logs: string;
  lock: string;
  summary: string;
}

/** Where a project's runs live. */
export const runsDir = (projectRoot: string): string => path.join(projectRoot, '.guild', 'runs');

/** The paths of one run's files. */
export function runPaths(projectRoot: string, runId: string): RunPaths {
  const dir = path.join(runsDir(projectRoot), runId);
  return {
    dir,
    plan: path.join(dir, 'plan.json'),
    events: path.join(dir, 'events.jsonl'),
    state: path.join(dir, 'state.json'),
    logs: path.join(dir, 'logs'),
    lock: path.join(dir, 'driver.lock'),
    summary: path.join(dir, 'summary.json'),
  };
}

/** Run ids of a project, oldest first (ids sort by start time). */
export function listRuns(projectRoot: string): string[] {
  try {
    return readdirSync(runsDir(projectRoot), { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(path.join(runsDir(projectRoot), d.name, 'plan.json')))
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}

/** What `plan.json` holds: enough to run the plan again without its source. */
export interface StoredPlan {
  version: 1;
  runId: string;
  createdAt: number;
  /** The plan's root folder. */
  root: string;
  /** Where the tasks came from (a plan file, `beads`, ...), for people. */
  source?: string;
  specs: TaskSpec[];
  /**
   * What the run was started with, so a resume can keep it. `isolation` is the config's (see
   * `GuildConfig.isolation`); runs stored before it was recorded lack it.
   */
  options: { concurrency: number; boost: number; failFast: boolean; isolation?: Isolation };
}

/** The process holding a lock file: for a run's lock, who drives it. */
export interface DriverInfo {
  pid: number;
  startTime?: number;
  since: number;
}

/**
 * Takes a lock file: created exclusively, holding this process's pid and start time. A lock left
 * by a process that is gone (crashed, killed) is taken over. Returns how to release it, or the
 * live process holding it (`holder` undefined: other processes kept taking it first).
 */
export function tryLock(file: string): { release: () => void } | { holder?: DriverInfo } {
  const me: DriverInfo = { pid: process.pid, startTime: startTimeOf(process.pid), since: Date.now() };
  for (let tries = 0; tries < 3; tries++) {
    try {
      writeFileSync(file, JSON.stringify(me), { flag: 'wx' });
      return {
        release: () => {
          if (readHolder(file)?.pid === me.pid) rmSync(file, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = readHolder(file);
      if (holder && isSameProcess(holder.pid, holder.startTime)) return { holder };
      // The holder is gone: its lock is stale.
      rmSync(file, { force: true });
    }
  }
  return {};
}

function readHolder(file: string): DriverInfo | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as DriverInfo;
  } catch {
    return undefined;
  }
}

/**
 * Takes the run's driver lock, so two processes never drive one run (see {@link tryLock}).
 * Throws a {@link GuildError} naming the pid that holds it. Returns a function that releases it.
 */
export function lockRun(paths: RunPaths): () => void {
  const lock = tryLock(paths.lock);
  if ('release' in lock) return lock.release;
  const { holder } = lock;
  if (holder) {
    throw new GuildError(
      'RUN_LOCKED',
      `run ${path.basename(paths.dir)} is being driven by process ${holder.pid} (since ${new Date(holder.since).toISOString()}); watch it with "guild status", or stop it with "guild abort"`,
    );
  }
  throw new GuildError('RUN_LOCKED', `could not take the lock ${paths.lock}; another process keeps taking it`);
}

/** The process that holds a run's lock, if any (alive or not). */
export function readDriver(paths: RunPaths): DriverInfo | undefined {
  return readHolder(paths.lock);
}

/** Whether a run's driver is alive. */
export function driverAlive(paths: RunPaths): boolean {
  const d = readDriver(paths);
  return d !== undefined && isSameProcess(d.pid, d.startTime);
}

/** The least time between two background fdatasyncs of an event log. */
const SYNC_GAP_MS = 10;

/**
 * The append-only event log. Events are written before guild acts on them outside itself:
 * those of one turn of the event loop go out in one `write` at its end, and the scheduler
 * flushes before it starts any process, so a killed driver never leaves a process unrecorded
 * (the kernel has the events). Flushing to the disk is a group commit: `sync()` starts one
 * fdatasync in the background unless one is under way or one started less than 10 ms ago, and
 * whatever was written meanwhile goes with the next one, so the main thread never waits for the
 * disk. An OS crash or power cut can lose the events of the last few milliseconds; the tasks
 * they concern run again on resume. `close()` syncs for good.
 */
export class EventLog {
  private readonly fd: number;
  private dirty = false;
  private syncing = false;
  private closed = false;
  /** Whether opening it dropped a torn last line. */
  droppedTornLine = false;

  constructor(file: string) {
    this.fd = openSync(file, 'a+');
    // A power cut can leave half a line at the end: drop it so the next event starts clean.
    const size = fstatSync(this.fd).size;
    let end = size;
    const chunk = Buffer.alloc(64 * 1024);
    while (end > 0) {
      const from = Math.max(0, end - chunk.length);
      const n = readSync(this.fd, chunk, 0, end - from, from);
      const nl = chunk.subarray(0, n).lastIndexOf(0x0a);
      if (nl >= 0) {
        end = from + nl + 1;
        break;
      }
      end = from;
    }
    if (end < size) {
      ftruncateSync(this.fd, end);
      this.droppedTornLine = true;
    }
  }

  /**
   * Queues an event. Events queued in one turn of the event loop go out in one `write` at the
   * end of it (a microtask), or earlier when {@link flush} or {@link sync} is called — the
   * scheduler syncs before it starts a process, so no task starts before its events are written.
   */
  append(event: RunEvent): void {
    if (this.queued.length === 0) queueMicrotask(this.flushQueued);
    this.queued.push(JSON.stringify(event));
  }

  private queued: string[] = [];
  private readonly flushQueued = (): void => this.flush();

  /** Writes the queued events now, with one `write`. */
  flush(): void {
    if (this.queued.length === 0 || this.closed) return;
    const text = `${this.queued.join('\n')}\n`;
    this.queued = [];
    writeSync(this.fd, text);
    this.dirty = true;
  }

  sync(): void {
    this.flush();
    if (!this.dirty || this.syncing || this.waiting || this.closed) return;
    // At most one fdatasync per SYNC_GAP_MS: a busy run would otherwise keep one going all the time.
    const wait = this.lastSync + SYNC_GAP_MS - Date.now();
    if (wait > 0) {
      this.waiting = setTimeout(() => {
        this.waiting = undefined;
        this.sync();
      }, wait);
      this.waiting.unref();
      return;
    }
    this.dirty = false;
    this.syncing = true;
    this.lastSync = Date.now();
    fdatasync(this.fd, () => {
      this.syncing = false;
      if (this.closed) return;
      this.sync();
    });
  }

  private lastSync = 0;
  private waiting: NodeJS.Timeout | undefined;

  close(): void {
    this.flush();
    if (this.waiting) clearTimeout(this.waiting);
    this.closed = true;
    fdatasyncSync(this.fd);
    // An fdatasync may still be under way on the fd: close it only once that is done.
    if (this.syncing) closeAsync(this.fd, () => {});
    else closeSync(this.fd);
  }
}

/** The events of a log and whether its last line was torn (and ignored). */
export interface ReadLog {
  events: RunEvent[];
  torn: boolean;
}

/**
 * Reads an event log. A torn last line (a crash mid-write) is ignored and reported; a bad line
 * anywhere else means the file was damaged, which is an error naming the line.
 */
export function readEventLog(file: string): ReadLog {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { events: [], torn: false };
  }
  const lines = text.split('\n');
  const last = lines.pop() ?? '';
  const events: RunEvent[] = [];
  lines.forEach((line, i) => {
    if (line === '') return;
    try {
      events.push(JSON.parse(line) as RunEvent);
    } catch {
      throw new GuildError('RUN_DAMAGED', `the event log is damaged at line ${i + 1}; it cannot be replayed`, {
        location: { file, line: i + 1 },
      });
    }
  });
  return { events, torn: last !== '' };
}

/** Replays a run's log into its state. */
export function replayRun(paths: RunPaths, stored: StoredPlan): RunState & { torn: boolean } {
  const state = initialRunState(stored.runId, stored.specs.map((s) => s.id));
  const { events, torn } = readEventLog(paths.events);
  for (const e of events) applyEvent(state, e);
  return Object.assign(state, { torn });
}

/** Reads a run's `plan.json`. */
export function readStoredPlan(paths: RunPaths): StoredPlan {
  try {
    return JSON.parse(readFileSync(paths.plan, 'utf8')) as StoredPlan;
  } catch (e) {
    throw new GuildError('RUN_NOT_FOUND', `no run at ${paths.dir} (its plan.json is missing or unreadable)`, { cause: e });
  }
}

/**
 * The run `ref` names: a run id or a unique prefix of one (any case); the newest run when
 * `ref` is undefined. Throws a `RUN_NOT_FOUND` {@link GuildError} saying what to do otherwise.
 */
export function pickRun(projectRoot: string, ref: string | undefined): string {
  const runs = listRuns(projectRoot);
  if (runs.length === 0) {
    throw new GuildError('RUN_NOT_FOUND', `no runs in ${runsDir(projectRoot)}; start one with "guild run <plan>"`);
  }
  if (ref === undefined) return runs.at(-1)!;
  const prefix = ref.toUpperCase();
  const matches = runs.filter((r) => r === ref || r.startsWith(prefix));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new GuildError('RUN_NOT_FOUND', `"${ref}" matches ${matches.length} runs (${matches.slice(0, 3).join(', ')}, ...); give more of the id`);
  }
  throw new GuildError('RUN_NOT_FOUND', `no run "${ref}" in ${runsDir(projectRoot)}; "guild runs" lists them`);
}

/** Writes a file so readers see the old or the new content, never a mix. */
export function writeAtomic(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

/**
 * The embedded run store: creates the run folder, takes its lock, keeps the event log and a
 * `state.json` snapshot (rewritten atomically, at most every `snapshotMs`).
 */
export class RunStore {
  readonly paths: RunPaths;
  readonly state: RunState;
  readonly log: EventLog;
  private readonly unlock: () => void;
  private snapshotTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(paths: RunPaths, state: RunState, private readonly snapshotMs: number) {
    this.paths = paths;
    this.state = state;
    this.unlock = lockRun(paths);
    try {
      this.log = new EventLog(paths.events);
    } catch (e) {
      this.unlock();
      throw e;
    }
  }

  /** Starts a new run: writes `plan.json`, creates `logs/`, takes the lock. */
  static create(projectRoot: string, stored: StoredPlan, snapshotMs = 250): RunStore {
    const paths = runPaths(projectRoot, stored.runId);
    mkdirSync(paths.logs, { recursive: true });
    writeAtomic(paths.plan, JSON.stringify(stored));
    return new RunStore(paths, initialRunState(stored.runId, stored.specs.map((s) => s.id)), snapshotMs);
  }

  /**
   * Opens an existing run to drive it again: takes the lock, then replays its log. A damaged
   * log throws, and then the lock and the file are let go and nothing is written.
   */
  static open(projectRoot: string, runId: string, snapshotMs = 250): { store: RunStore; stored: StoredPlan; torn: boolean } {
    const paths = runPaths(projectRoot, runId);
    const stored = readStoredPlan(paths);
    const state = initialRunState(stored.runId, stored.specs.map((s) => s.id));
    const store = new RunStore(paths, state, snapshotMs);
    try {
      const { events, torn } = readEventLog(paths.events);
      for (const e of events) applyEvent(store.state, e);
      return { store, stored, torn: torn || store.log.droppedTornLine };
    } catch (e) {
      store.abandon();
      throw e;
    }
  }

  /** The event-bus listener that records every event. */
  readonly record = (event: RunEvent): void => {
    if (this.closed) return;
    this.log.append(event);
    applyEvent(this.state, event);
    if (!this.snapshotTimer) {
      this.snapshotTimer = setTimeout(() => {
        this.snapshotTimer = undefined;
        this.writeSnapshot();
      }, this.snapshotMs);
      this.snapshotTimer.unref();
    }
  };

  /** Asks for every recorded event to reach the disk (a background group commit). */
  sync(): void {
    if (!this.closed) this.log.sync();
  }

  writeSnapshot(): void {
    writeAtomic(this.paths.state, JSON.stringify(runStateJson(this.state)));
  }

  /** Lets go of the log and the lock without writing anything (the run could not be opened). */
  abandon(): void {
    if (this.closed) return;
    if (this.snapshotTimer) clearTimeout(this.snapshotTimer);
    this.log.close();
    this.closed = true;
    this.unlock();
  }

  /** Writes the last snapshot, syncs and closes the log, and releases the lock. */
  close(): void {
    if (this.closed) return;
    if (this.snapshotTimer) clearTimeout(this.snapshotTimer);
    this.snapshotTimer = undefined;
    this.writeSnapshot();
    this.log.close();
    this.closed = true;
    this.unlock();
  }
}
