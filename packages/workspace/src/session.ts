import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readStoredPlan, runPaths } from '@guild/core';
import { takeCheckpoint, type Checkpoint } from './checkpoint';
import { covers, type PathAccess } from './globs';
import { inside, storeExclude } from './paths';
import { resolveRev, updateRef } from './objects';
import type { ResolvedWorkspaceOptions } from './options';
import type { Repo } from './repo';
import { newRecord, readRecord, saveRecord, type KeptWorktree, type TaskWorkspace, type WorkspaceRecord } from './run-record';
import { Serial } from './serial';
import { Snapshots } from './snapshot';
import { integrationBranch, readWorktreeInclude, resolveIncludes } from './worktrees';

/** What a run's session is opened with. */
export interface SessionSettings {
  repo: Repo;
  runId: string;
  /** Where `.guild/` lives. */
  projectRoot: string;
  isolation: 'shared' | 'worktree';
  options: ResolvedWorkspaceOptions;
  /** The plan's root when the run store has no `plan.json` (a run without a store). */
  planRoot?: string;
}

/**
 * Everything the workspace plugin keeps for one run: its checkpoint, its integration branch
 * (worktree isolation), the serial merge queue, the snapshots of the project, who is running
 * in the project now, and `workspace.json`.
 */
export class RunSession {
  /** One structural git change at a time (worktrees added or removed). */
  readonly gitLock = new Serial();
  /** Landings on the integration branch, one at a time, in the order tasks finish. */
  readonly mergeQueue = new Serial();
  readonly snapshots: Snapshots;
  /** Tasks running in the project now, each with the tasks that ran there alongside it. */
  private readonly inProject = new Map<string, Set<string>>();
  /** Declared writes of every task that ran in the project in this run. */
  private readonly declared = new Map<string, readonly PathAccess[]>();
  private includes: Promise<string[]> | undefined;

  private constructor(
    readonly settings: SessionSettings,
    readonly checkpoint: Checkpoint,
    readonly record: WorkspaceRecord,
    readonly runDir: string,
    /** The plan's root relative to the repository (`''` when the same). */
    readonly planDir: string,
    readonly exclude: readonly string[],
    private readonly tmp: string,
  ) {
    this.snapshots = new Snapshots(settings.repo, path.join(tmp, 'index'), exclude);
  }

  /**
   * Opens a run: takes its checkpoint (a resumed run keeps its own) and, with worktree
   * isolation, creates its integration branch at the checkpoint.
   */
  static async open(settings: SessionSettings): Promise<RunSession> {
    const { repo, runId, projectRoot, isolation } = settings;
    const exclude = storeExclude(repo, projectRoot);
    const checkpoint = await takeCheckpoint(repo, runId, exclude);
    const paths = runPaths(projectRoot, runId);
    let planRoot = settings.planRoot ?? projectRoot;
    try {
      planRoot = readStoredPlan(paths).root;
    } catch {
      // A run without a store: the plan's root as the plan hook saw it.
    }
    // A resumed run goes on with its record.
    const record = { ...(readRecord(paths.dir, runId) ?? newRecord(runId, isolation)), isolation };
    await keepInterrupted(repo, record);
    record.checkpoint = { ref: checkpoint.ref, commit: checkpoint.commit, head: checkpoint.head, clean: checkpoint.clean };
    if (isolation === 'worktree') {
      const branch = integrationBranch(runId);
      if ((await resolveRev(repo, `refs/heads/${branch}`)) === undefined) {
        await updateRef(repo, `refs/heads/${branch}`, checkpoint.commit, null);
      }
      record.integration = { branch, base: record.integration?.base ?? checkpoint.commit };
    }
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'guild-workspace-'));
    // A plan outside the repository declares nothing inside it: "..", which no changed file starts with.
    const planDir = inside(repo.top, planRoot) ?? '..';
    const session = new RunSession(settings, checkpoint, record, paths.dir, planDir, exclude, tmp);
    session.save();
    return session;
  }

  get repo(): Repo {
    return this.settings.repo;
  }

  get runId(): string {
    return this.settings.runId;
  }

  /** The integration branch, `guild/<run-id>`. */
  get integration(): string {
    return integrationBranch(this.runId);
  }

  /** What the `include` option and `.worktreeinclude` name in the project (looked up once per run). */
  includePaths(): Promise<string[]> {
    this.includes ??= readWorktreeInclude(this.repo).then((lines) => resolveIncludes(this.repo, [...this.settings.options.include, ...lines]));
    return this.includes;
  }

  /** A task starts running in the project: it and every task already there run alongside each other. */
  enterProject(taskId: string, writes: readonly PathAccess[]): void {
    this.declared.set(taskId, writes);
    for (const others of this.inProject.values()) others.add(taskId);
    this.inProject.set(taskId, new Set(this.inProject.keys()));
  }

  /**
   * A task stopped running in the project. Returns the tasks that ran there meanwhile, and
   * whether their declared writes cover a file (so a change to it may be theirs).
   */
  leaveProject(taskId: string): { alongside: string[]; declaredByOthers: (file: string) => boolean } {
    const alongside = [...(this.inProject.get(taskId) ?? [])];
    this.inProject.delete(taskId);
    const writes = alongside.flatMap((id) => this.declared.get(id) ?? []);
    const prefix = this.planDir === '' ? '' : `${this.planDir}/`;
    return {
      alongside,
      declaredByOthers: (file) => file.startsWith(prefix) && writes.some((w) => covers(w, file.slice(prefix.length))),
    };
  }

  /** Records what a task did, and saves `workspace.json`. */
  setTask(taskId: string, task: TaskWorkspace): void {
    this.record.tasks[taskId] = task;
    this.save();
  }

  /** Records a branch and worktree kept for inspection, and saves `workspace.json`. */
  keep(kept: KeptWorktree): void {
    this.record.kept.push(kept);
    this.dropTry(kept.worktree);
    this.save();
  }

  /** Records the worktree of a try that is about to run (see `WorkspaceRecord.trying`), and saves `workspace.json`. */
  trying(t: Omit<KeptWorktree, 'reason'>): void {
    (this.record.trying ??= []).push(t);
    this.save();
  }

  /** A try's worktree was removed: it is no longer under way. Saves `workspace.json`. */
  removed(worktree: string): void {
    this.dropTry(worktree);
    this.save();
  }

  private dropTry(worktree: string): void {
    if (this.record.trying) this.record.trying = this.record.trying.filter((t) => t.worktree !== worktree);
  }

  /** Writes `workspace.json`. */
  save(): void {
    saveRecord(this.runDir, this.record);
  }

  /** Removes the run's temporary files. */
  async close(): Promise<void> {
    await rm(this.tmp, { recursive: true, force: true });
  }
}

/**
 * A resumed run: the worktrees of tries that were under way when the previous driver stopped
 * are kept for inspection (listed by `guild worktrees`, with what they held then), since the
 * task runs again in a new one. Those already gone are forgotten.
 */
async function keepInterrupted(repo: Repo, record: WorkspaceRecord): Promise<void> {
  for (const t of record.trying ?? []) {
    if (!existsSync(t.worktree) && (await resolveRev(repo, `refs/heads/${t.branch}`)) === undefined) continue;
    const reason = `its run's driver stopped while attempt ${t.attempt} ran; the resumed run runs the task again`;
    record.kept.push({ ...t, reason });
  }
  delete record.trying;
}
