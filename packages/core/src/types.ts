/**
 * The nouns every guild package shares. State changes only through {@link RunEvent}s; the
 * scheduler decides, runners execute, plugins observe or provide.
 */

/** 0 is the most urgent, 4 the least (the beads scale). */
export type Priority = 0 | 1 | 2 | 3 | 4;
/** A duration in seconds. */
export type Seconds = number;

/** A named resource a task needs: exclusive unless `shared`. */
export interface ResourceSpec {
  name: string;
  shared?: boolean;
}

/** Where a task came from, for error messages that point at the right line. */
export interface TaskOrigin {
  source: string;
  file?: string;
  line?: number;
  column?: number;
  ref?: string;
}

/** A task as a source produced it, before validation. */
export interface TaskSpec {
  id: string;
  title?: string;
  /** Shell command, run by `/bin/sh -c` with the shell runner. */
  run?: string;
  /** Instructions for an agent runner. */
  prompt?: string;
  /** Runner (or agent profile) name; `shell` when absent and `run` is set. */
  agent?: string;
  /** Longer instructions for an agent. */
  description?: string;
  /** Acceptance criteria for an agent's work. */
  acceptance?: string[];
  /** Agents to try in order when `agent` is missing or rate-limited. */
  fallbackAgents?: string[];
  /** Skills the agent should use. */
  skills?: string[];
  /** How many free loopback ports the task needs (exported as GUILD_PORT, GUILD_PORT_1, ...). */
  ports?: number;
  cwd?: string;
  env?: Record<string, string>;
  dependsOn?: string[];
  /** Paths, directories or globs the task writes, relative to the plan root. */
  writes?: string[];
  /** Paths, directories or globs the task reads, relative to the plan root. */
  reads?: string[];
  resources?: Array<string | ResourceSpec>;
  priority?: Priority;
  estimate?: Seconds | string;
  timeout?: Seconds | string;
  retries?: number;
  group?: string;
  /** Plugin-owned extras (beads id, spec-kit line, ...). */
  meta?: Record<string, unknown>;
  origin?: TaskOrigin;
}

/** One access a task makes, normalised: paths are relative to the plan root, POSIX separators. */
export type Access =
  | { kind: 'path'; path: string; mode: 'read' | 'write'; glob: boolean }
  | { kind: 'resource'; name: string; shared: boolean };

/** A validated, normalised task: durations in seconds, paths normalised, defaults applied. */
export interface Task {
  readonly id: string;
  readonly title: string;
  readonly priority: Priority;
  readonly dependsOn: readonly string[];
  /** Runner name: the task's `agent`, or `shell`. */
  readonly runner: string;
  readonly run?: string;
  readonly prompt?: string;
  /** Absolute working directory. */
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly access: readonly Access[];
  readonly estimate: Seconds;
  readonly estimateFrom: 'plan' | 'history' | 'default';
  readonly timeout?: Seconds;
  readonly retries: number;
  readonly group?: string;
  /** The spec as the source produced it (after defaults were applied). */
  readonly spec: Readonly<TaskSpec>;
}

/** A validated plan: tasks plus their dependency graph. */
export interface Plan {
  /** Tasks' default cwd and the base of every relative path. */
  readonly root: string;
  /** The file the plan came from, if any. */
  readonly file?: string;
  readonly tasks: ReadonlyMap<string, Task>;
  readonly graph: PlanGraph;
}

/** The dependency graph of a plan. Edges run from a dependency to its dependents. */
export interface PlanGraph {
  /** Task ids in a topological order (dependencies first; ties by declaration order). */
  readonly order: readonly string[];
  predecessors(id: string): readonly string[];
  successors(id: string): readonly string[];
  /** Longest path (by estimate) from this task to any sink, including the task itself. */
  bottomLevel(id: string): Seconds;
  /** The longest chain of dependent tasks by estimate. */
  criticalPath(): { length: Seconds; ids: string[] };
  /** Wave-style view: stage k holds the tasks whose longest dependency chain has k links. */
  stages(): string[][];
  /** Whether `to` (transitively) depends on `from`. */
  reaches(from: string, to: string): boolean;
  /**
   * For many pairs at once: 1 where one task of the pair (transitively) depends on the other,
   * else 0. Much faster than {@link reaches} per pair on big plans.
   */
  orderedPairs(pairs: ReadonlyArray<readonly [string, string]>): Uint8Array;
}

/** A task outcome once it has finished running. */
export type FinishOutcome = 'succeeded' | 'failed' | 'timed-out' | 'cancelled';

/** Every state a task moves through. */
export type TaskState =
  | 'pending'
  | 'ready'
  | 'waiting'
  | 'running'
  | 'retrying'
  | FinishOutcome
  | 'skipped';

/** Why a ready task cannot start now. */
export type Blocker =
  | {
      kind: 'lock';
      key: string;
      heldBy: string;
      /** Set when the holder is a task of another run in the same project. */
      run?: string;
    }
  | { kind: 'reserved'; key: string; by: string }
  | { kind: 'agent'; agent: string; reason: 'limit' | 'never-together' | 'singleton'; with?: string }
  | { kind: 'slot' }
  | { kind: 'paused' };

/** Events: the only way run state changes. The run store appends them; everything else listens. */
export type RunEvent =
  | { type: 'run.started'; runId: string; at: number; tasks: number; slots: number; boost: number }
  | { type: 'task.ready'; id: string; at: number }
  | { type: 'task.waiting'; id: string; at: number; on: Blocker[] }
  | {
      /** Written before a task's process is launched, so a crash mid-launch still leaves a trace. */
      type: 'task.starting';
      id: string;
      at: number;
      attempt: number;
    }
  | {
      type: 'task.started';
      id: string;
      at: number;
      attempt: number;
      slot: number;
      /** The task's process group (its leader's pid), when it has one. */
      pid?: number;
      /** The leader's start time (clock ticks since boot), so a reused pid is never mistaken for it. */
      procStart?: number;
    }
  | { type: 'task.progress'; id: string; at: number; message?: string; fraction?: number }
  | {
      type: 'task.finished';
      id: string;
      at: number;
      attempt: number;
      outcome: FinishOutcome;
      exitCode?: number;
      signal?: string;
      error?: string;
    }
  | { type: 'task.retrying'; id: string; at: number; attempt: number; delay: Seconds }
  | {
      type: 'task.skipped';
      id: string;
      at: number;
      because: string;
      /** Set when the task (or the dependency it waited for) was dropped: not a failure. */
      dropped?: boolean;
    }
  | { type: 'run.control'; at: number; action: 'pause' | 'resume' | 'serialize' | 'abort' }
  | { type: 'run.finished'; at: number; outcome: 'succeeded' | 'failed' | 'aborted' };

/** A listener on the event bus. Called synchronously; must be cheap and must not throw. */
export type EventListener = (event: RunEvent) => void;

/** What a run tells its access controls before the first grant. */
export interface AccessContext {
  runId: string;
  /** The project's root, for real runs; absent in simulations. */
  projectRoot?: string;
}

/** Proof that a task holds its accesses. All-or-nothing: one grant covers every access. */
export interface Grant {
  readonly taskId: string;
}

/** Two tasks that must not run at the same time, and why. */
export interface Conflict {
  a: string;
  b: string;
  /** Human-readable, e.g. `both write src/api (directory vs file)`. */
  reason: string;
  /** The access key the conflict is about (a path or `resource:<name>`). */
  key: string;
}

/**
 * Decides whether a task may start now. The scheduler asks every registered control before a
 * start and starts the task only if all of them grant; grants are all-or-nothing, so no task
 * ever holds part of what it needs while waiting for the rest, and deadlock cannot happen.
 */
export interface AccessControl {
  /** Name used in messages, e.g. `conflicts`. */
  readonly name: string;
  /** What this control takes care of; core drops its own resource control if another covers `resources`. */
  readonly covers?: ReadonlyArray<'paths' | 'resources' | 'agents'>;
  /**
   * Build indexes once, before the first grant. `ctx.projectRoot` is set for real runs (not
   * simulations): a control may then coordinate with other runs in the same project.
   */
  prepare?(plan: Plan, ctx?: AccessContext): void;
  /** The run is over: let go of anything held outside this process (e.g. a project lease). */
  finish?(): void;
  /** Grant every access of `task`, or none and say what blocks it. */
  tryGrant(task: Task): { grant: Grant } | { blockers: Blocker[] };
  /** Give back what a grant holds. */
  release(grant: Grant): void;
  /**
   * Hold the task's accesses back for it: no task that conflicts with a reservation made
   * earlier than its own may be granted until the reserving task starts. Used so a task
   * passed over too often cannot starve. Optional; a control without it cannot starve tasks.
   */
  reserve?(task: Task): void;
  /**
   * Drop a reservation. The scheduler calls it when the task starts, is skipped or is cancelled;
   * `tryGrant` itself keeps the reservation, because another control may still refuse the task.
   */
  unreserve?(taskId: string): void;
  /** The static report: every pair of tasks that would conflict, ignoring dependencies. */
  conflicts?(plan: Plan): Conflict[];
}

/** Real time for runs, virtual time for `plan --simulate` and tests. Times are milliseconds. */
export interface Clock {
  now(): number;
  /** Call `fn` after `ms`; returns a function that cancels it. */
  after(ms: number, fn: () => void): () => void;
}

/** What a runner is told when it starts a task. */
export interface RunContext {
  runId: string;
  attempt: number;
  /** Absolute working directory. */
  workdir: string;
  env: Record<string, string>;
  /** Absolute path of the task's log file; the runner appends the task's output to it. */
  logFile: string;
  /** For runners that read structured output: a line of the task's output. */
  log: (line: string, stream: 'stdout' | 'stderr') => void;
  progress: (p: { message?: string; fraction?: number }) => void;
  clock: Clock;
  signal: AbortSignal;
}

/**
 * How a runner says a task ended. `dropped`: the task is not this run's to do (another worker
 * claimed its issue, say) and was not run; it and what depends on it are skipped with `error` as
 * the reason, and the run does not count them as failures.
 */
export interface RunResult {
  outcome: 'succeeded' | 'failed' | 'dropped';
  /**
   * A failure worth another attempt after this many seconds whatever the task's `retries`
   * (an agent's rate limit, say). Such attempts are capped (5 a task) and do not use up `retries`.
   */
  retryAfter?: Seconds;
  exitCode?: number;
  signal?: string;
  error?: string;
}

/** A started task. */
export interface RunningTask {
  /** Process group leader, if the task is a process group. */
  readonly pid?: number;
  /** The leader's start time (see `task.started`). */
  readonly procStart?: number;
  readonly done: Promise<RunResult>;
  /**
   * Optional: reports the end synchronously, as soon as it is known. Simulated runners use it
   * so a simulation runs as plain function calls on the virtual clock; real runners need not.
   */
  onDone?(listener: (result: RunResult) => void): void;
  /** Stop it: `graceful` sends SIGTERM to its process group, `now` SIGKILL. */
  stop(how: 'graceful' | 'now'): void;
}

/** Executes tasks of one kind (`shell`, `claude-code`, ...). */
export interface Runner {
  readonly name: string;
  start(task: Task, ctx: RunContext): RunningTask;
}
