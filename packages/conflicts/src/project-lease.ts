import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GuildError, isSameProcess, startTimeOf, type Access, type Blocker } from '@guild/core';
import { describeConflict, accessKey } from './paths';

/** What one run publishes: the accesses its running tasks hold. */
interface LeaseFile {
  runId: string;
  pid: number;
  startTime?: number;
  holds: Array<{ task: string; access: Access }>;
}

/** How long to wait for another process's brief hold on the project mutex before giving up. */
const MUTEX_TIMEOUT_MS = 5000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Keeps the declared accesses of concurrent runs in one project apart. Each running driver
 * publishes what its running tasks hold in `.guild/leases/<run-id>.json`; before a grant it
 * checks the other live runs' files and publishes its own new holds, both under a project-wide
 * mutex file so two runs cannot both decide "free" at once. A file whose driver is gone
 * (crashed: its pid is dead, or reused by another process) is ignored and removed.
 */
export class ProjectLeases {
  readonly dir: string;
  private readonly file: string;
  private readonly mutex: string;
  private readonly holds = new Map<string, readonly Access[]>();
  private readonly me: { pid: number; startTime?: number };

  constructor(
    projectRoot: string,
    private readonly runId: string,
  ) {
    this.dir = path.join(projectRoot, '.guild', 'leases');
    this.file = path.join(this.dir, `${runId}.json`);
    this.mutex = path.join(this.dir, '.mutex');
    this.me = { pid: process.pid, startTime: startTimeOf(process.pid) };
    mkdirSync(this.dir, { recursive: true });
  }

  /**
   * Takes the accesses for `taskId` if no other live run holds a conflicting one; returns the
   * blockers (naming the other run and task) otherwise, taking nothing.
   */
  tryAcquire(taskId: string, accesses: readonly Access[]): Blocker[] {
    return this.withMutex(() => {
      const blockers: Blocker[] = [];
      for (const other of this.otherRuns()) {
        for (const held of other.holds) {
          for (const mine of accesses) {
            if (describeConflict(mine, held.access, [taskId, held.task])) {
              blockers.push({ kind: 'lock', key: accessKey(held.access), heldBy: held.task, run: other.runId });
              break;
            }
          }
        }
      }
      if (blockers.length === 0) {
        this.holds.set(taskId, accesses);
        this.publish();
      }
      return blockers;
    });
  }

  /** Gives back what `taskId` holds. Shrinking our own file needs no mutex: readers see old or new. */
  release(taskId: string): void {
    if (this.holds.delete(taskId)) this.publish();
  }

  /** The run is over: remove our file. */
  close(): void {
    this.holds.clear();
    rmSync(this.file, { force: true });
  }

  /** Live runs other than this one that hold something whose access conflicts with `accesses`. */
  conflictingRuns(accesses: readonly Access[]): Array<{ runId: string; task: string; key: string }> {
    const out: Array<{ runId: string; task: string; key: string }> = [];
    for (const other of this.otherRuns()) {
      for (const held of other.holds) {
        if (accesses.some((mine) => describeConflict(mine, held.access, ['a', 'b']))) {
          out.push({ runId: other.runId, task: held.task, key: accessKey(held.access) });
        }
      }
    }
    return out;
  }

  private publish(): void {
    const lease: LeaseFile = {
      runId: this.runId,
      ...this.me,
      holds: [...this.holds].flatMap(([task, list]) => list.map((access) => ({ task, access }))),
    };
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(lease));
    renameSync(tmp, this.file);
  }

  private otherRuns(): LeaseFile[] {
    const out: LeaseFile[] = [];
    for (const name of readdirSync(this.dir)) {
      if (!name.endsWith('.json') || name === `${this.runId}.json`) continue;
      const file = path.join(this.dir, name);
      let lease: LeaseFile;
      try {
        lease = JSON.parse(readFileSync(file, 'utf8')) as LeaseFile;
      } catch {
        continue; // removed while we looked
      }
      if (isSameProcess(lease.pid, lease.startTime)) out.push(lease);
      else rmSync(file, { force: true });
    }
    return out;
  }

  private withMutex<T>(fn: () => T): T {
    const deadline = Date.now() + MUTEX_TIMEOUT_MS;
    for (;;) {
      try {
        writeFileSync(this.mutex, JSON.stringify(this.me), { flag: 'wx' });
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        let holder: { pid: number; startTime?: number } | undefined;
        try {
          holder = JSON.parse(readFileSync(this.mutex, 'utf8')) as { pid: number; startTime?: number };
        } catch {
          // being written or removed right now: try again
        }
        if (holder && !isSameProcess(holder.pid, holder.startTime)) rmSync(this.mutex, { force: true });
        if (Date.now() > deadline) {
          throw new GuildError(
            'RUN_LOCKED',
            `the project lease mutex ${this.mutex} has been held for over ${MUTEX_TIMEOUT_MS / 1000}s by process ${holder?.pid ?? '?'}`,
          );
        }
        Atomics.wait(sleeper, 0, 0, 1); // the holder keeps it for well under a millisecond
      }
    }
    try {
      return fn();
    } finally {
      rmSync(this.mutex, { force: true });
    }
  }
}
