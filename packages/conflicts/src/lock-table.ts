import type { Access, AccessContext, AccessControl, Blocker, Conflict, Grant, Plan, Task } from '@guild/core';
import { AccessIndex, type IndexEntry } from './access-index';
import { parseConflictsOptions, type ConflictsOptions, type LockMode } from './options';
import { accessKey, compileGlob, describeConflict } from './paths';
import { ProjectLeases } from './project-lease';
import { conflictReport } from './report';

/** Options of a {@link LockTable}: the plugin's options, `{ mode?: 'strict' | 'advisory' }`. */
export type LockTableOptions = ConflictsOptions;

interface Hold extends IndexEntry {
  /** Grant or reservation order of the owner: older holders are listed first, older reservations win. */
  readonly seq: number;
}

interface Holding {
  readonly grant: Grant;
  readonly seq: number;
  readonly holds: readonly Hold[];
}

/**
 * Whether two accesses conflict, and why: overlapping paths (a directory or glob covers
 * everything below it) where at least one side writes, or one named resource used
 * exclusively by either side. Pure; use it for ad-hoc checks and tests.
 *
 * @param names what to call the two sides in the reason (default `a` and `b`)
 * @returns the reason, e.g. `both write src/api/login.ts`, or null when they do not conflict
 */
export function accessesConflict(a: Access, b: Access, names: readonly [string, string] = ['a', 'b']): string | null {
  return describeConflict(a, b, names)?.reason ?? null;
}

/**
 * The path- and resource-aware {@link AccessControl}: a lock table the scheduler asks before
 * every start. Grants are all-or-nothing over a task's accesses, so no task waits while
 * holding part of what it needs. Lookups go through a trie keyed by path segment, so a check
 * costs about the path's depth plus the holders found, however many tasks are running.
 *
 * Reservations ({@link LockTable.reserve}) keep a task that keeps being passed over from
 * starving: a reservation blocks every other conflicting task except those holding an earlier
 * reservation, so the earliest reservation is never blocked by a later one and cannot deadlock.
 */
export class LockTable implements AccessControl {
  /** Used in messages. */
  readonly name = 'conflicts';
  /** Paths and named resources: core drops its own resource-only control when this is registered. */
  readonly covers: ReadonlyArray<'paths' | 'resources'> = ['paths', 'resources'];
  /** `strict` blocks conflicting starts; `advisory` grants everything. */
  readonly mode: LockMode;

  readonly #holds = new AccessIndex<Hold>();
  readonly #holding = new Map<string, Holding>();
  readonly #reserved = new AccessIndex<Hold>();
  readonly #reservations = new Map<string, { readonly seq: number; readonly holds: readonly Hold[] }>();
  #grantSeq = 0;
  #reserveSeq = 0;
  #leases: ProjectLeases | undefined;

  /**
   * @throws a `CONFIG_INVALID` GuildError for an unknown option or a mode other than
   *   `strict` or `advisory`
   */
  constructor(options: LockTableOptions = {}) {
    this.mode = parseConflictsOptions(options, 'LockTable').mode;
  }

  /**
   * Compiles the plan's globs up front so the first grants are as fast as the rest. In a real
   * run (`ctx.projectRoot` set) in strict mode, also joins the project's leases, so a second
   * run in the same project never holds a conflicting access at the same time as this one.
   */
  prepare(plan: Plan, ctx?: AccessContext): void {
    for (const task of plan.tasks.values()) {
      for (const access of task.access) if (access.kind === 'path' && access.glob) compileGlob(access.path);
    }
    if (ctx?.projectRoot && this.mode === 'strict') this.#leases = new ProjectLeases(ctx.projectRoot, ctx.runId);
  }

  /** Leaves the project's leases at the end of a run. */
  finish(): void {
    this.#leases?.close();
    this.#leases = undefined;
  }

  /**
   * Grants every access of `task`, or none. In strict mode a task is blocked by every other
   * task holding a conflicting access (one `lock` blocker per holder, oldest grant first) and
   * by every conflicting reservation made before the task's own (one `reserved` blocker per
   * reserving task, oldest first). A grant keeps the task's own reservation: another access
   * control may still refuse the task, and the scheduler drops it with `unreserve` once the task
   * really starts. Asking again
   * for a task that already holds a grant returns that grant.
   *
   * @returns `{ grant }` with every access recorded as held, or `{ blockers }` with nothing recorded
   */
  tryGrant(task: Task): { grant: Grant } | { blockers: Blocker[] } {
    const current = this.#holding.get(task.id);
    if (current !== undefined) return { grant: current.grant };
    const grant: Grant = { taskId: task.id };
    if (this.mode === 'advisory') {
      this.#holding.set(task.id, { grant, seq: ++this.#grantSeq, holds: [] });
      return { grant };
    }

    // Made only when something blocks: most grants find nothing, and big runs make millions.
    let locks: Map<string, { seq: number; blocker: Blocker }> | undefined;
    let reserved: Map<string, { seq: number; blocker: Blocker }> | undefined;
    const ownSeq = this.#reservations.get(task.id)?.seq ?? Infinity;
    for (const access of task.access) {
      this.#holds.forEachConflict(access, (hold) => {
        if (hold.owner === task.id || locks?.has(hold.owner)) return;
        const blocker: Blocker = { kind: 'lock', key: accessKey(hold.access), heldBy: hold.owner };
        (locks ??= new Map()).set(hold.owner, { seq: hold.seq, blocker });
      });
      if (this.#reserved.size === 0) continue;
      this.#reserved.forEachConflict(access, (hold) => {
        if (hold.owner === task.id || hold.seq > ownSeq || reserved?.has(hold.owner)) return;
        const blocker: Blocker = { kind: 'reserved', key: accessKey(hold.access), by: hold.owner };
        (reserved ??= new Map()).set(hold.owner, { seq: hold.seq, blocker });
      });
    }
    if (locks || reserved) {
      const bySeq = (x: { seq: number }, y: { seq: number }): number => x.seq - y.seq;
      const ordered = [...[...(locks?.values() ?? [])].sort(bySeq), ...[...(reserved?.values() ?? [])].sort(bySeq)];
      return { blockers: ordered.map((b) => b.blocker) };
    }

    // Tasks without accesses cannot conflict with anything, so they skip the project lease.
    if (this.#leases && task.access.length > 0) {
      const elsewhere = this.#leases.tryAcquire(task.id, task.access);
      if (elsewhere.length > 0) return { blockers: elsewhere };
    }
    const seq = ++this.#grantSeq;
    const holds = task.access.map((access): Hold => ({ owner: task.id, access, seq }));
    for (const hold of holds) this.#holds.add(hold);
    this.#holding.set(task.id, { grant, seq, holds });
    return { grant };
  }

  /** Gives back everything the grant's task holds. Releasing twice, or an unknown grant, does nothing. */
  release(grant: Grant): void {
    const holding = this.#holding.get(grant.taskId);
    if (holding === undefined) return;
    for (const hold of holding.holds) this.#holds.delete(hold);
    this.#holding.delete(grant.taskId);
    this.#leases?.release(grant.taskId);
  }

  /**
   * Reserves the task's accesses so no later conflicting task can start ahead of it. Call it
   * when a ready task has been passed over too often. Reserving again keeps the original
   * place in line. Does nothing in advisory mode, which never blocks.
   */
  reserve(task: Task): void {
    if (this.mode === 'advisory') return;
    const previous = this.#reservations.get(task.id);
    if (previous !== undefined) for (const hold of previous.holds) this.#reserved.delete(hold);
    const seq = previous?.seq ?? ++this.#reserveSeq;
    const holds = task.access.map((access): Hold => ({ owner: task.id, access, seq }));
    for (const hold of holds) this.#reserved.add(hold);
    this.#reservations.set(task.id, { seq, holds });
  }

  /** Drops a task's reservation (it started, was skipped or was cancelled). */
  unreserve(taskId: string): void {
    const reservation = this.#reservations.get(taskId);
    if (reservation === undefined) return;
    for (const hold of reservation.holds) this.#reserved.delete(hold);
    this.#reservations.delete(taskId);
  }

  /** The ids of the tasks currently holding a grant, oldest grant first. */
  holders(): string[] {
    return [...this.#holding.keys()];
  }

  /**
   * The static report for `guild conflicts`: see {@link conflictReport}. Independent of the
   * mode and of what is currently held.
   */
  conflicts(plan: Plan): Conflict[] {
    return conflictReport(plan);
  }
}
