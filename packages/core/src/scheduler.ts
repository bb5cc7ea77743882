import path from 'node:path';
import { GuildError } from './errors.js';
import type { EventBus } from './events.js';
import { Heap } from './heap.js';
import { locationOf } from './plan.js';
import type {
  AccessControl,
  Blocker,
  Clock,
  FinishOutcome,
  Grant,
  Plan,
  RunResult,
  Runner,
  RunningTask,
  Seconds,
  Task,
  TaskState,
} from './types.js';

/** Exponential back-off with full jitter between attempts. */
export interface RetryPolicy {
  /** First delay cap, seconds (default 1). */
  base: Seconds;
  /** Growth per attempt (default 2). */
  factor: number;
  /** Largest delay, seconds (default 60). */
  cap: Seconds;
}

/** Everything the scheduler needs; it decides, runners execute. */
export interface SchedulerOptions {
  plan: Plan;
  runId: string;
  clock: Clock;
  bus: EventBus;
  access: AccessControl;
  /** Runner by name (`shell`, `claude-code`, ...). */
  runners: ReadonlyMap<string, Runner>;
  /** Slots for tasks of any priority. */
  concurrency: number;
  /** Total slots; the ones above `concurrency` only for priority-0 tasks. */
  boost: number;
  /** Stop starting new tasks after the first failure. */
  failFast?: boolean;
  /** Passes over a ready task before it reserves its accesses (default 8). */
  starvationLimit?: number;
  /** Folder for `<task-id>.log` files. */
  logDir: string;
  /** Base environment for tasks (default: this process's). */
  env?: Record<string, string | undefined>;
  retry?: Partial<RetryPolicy>;
  /** Seconds between SIGTERM and SIGKILL when a task times out or is aborted (default 5). */
  killGrace?: Seconds;
  /** Source of randomness for jitter; inject a seeded one for reproducible simulations. */
  random?: () => number;
  /**
   * Where a resumed run left off, from its event log: succeeded tasks never run again; failed
   * and timed-out ones, and those skipped because of them, keep their state unless
   * `retryFailed`; anything else (running when the driver died, cancelled, skipped by an abort)
   * runs again as a new attempt.
   */
  initial?: ReadonlyMap<string, { state: TaskState; attempts: number; because?: string }>;
  retryFailed?: boolean;
  /** Called before each task is launched, after its `task.starting` event: the run store writes its log out here. */
  beforeStart?: () => void;
  /** The project root, for access controls that coordinate with other runs (absent in simulations). */
  projectRoot?: string;
  /** How often to ask again for a task held back by another run, seconds (default 0.25). */
  pollInterval?: Seconds;
}

/** What happened to one task. */
export interface TaskRecord {
  id: string;
  state: TaskState;
  attempts: number;
  /** Virtual or real milliseconds of the last attempt's start and end. */
  startedAt?: number;
  endedAt?: number;
  /** Milliseconds spent running, summed over attempts. */
  busy: number;
  exitCode?: number;
  slot?: number;
  because?: string;
  /** Skipped because it, or a dependency, was dropped (see RunResult): not a failure. */
  dropped?: boolean;
  error?: string;
  /** The last line of output a runner reported through `ctx.log`. */
  lastLine?: string;
}

/** The result of a whole run. */
export interface RunSummary {
  runId: string;
  outcome: 'succeeded' | 'failed' | 'aborted';
  startedAt: number;
  endedAt: number;
  /** Seconds from first start to last end. */
  wall: Seconds;
  /** Summed task running time, seconds. */
  work: Seconds;
  /** work / wall. */
  speedup: number;
  /** `dropped`: tasks not this run's to do, and what depended on them (not counted as skipped). */
  counts: Record<'succeeded' | 'failed' | 'timed-out' | 'cancelled' | 'skipped' | 'dropped', number>;
  tasks: TaskRecord[];
}

interface Slot {
  task: Task;
  /** The tasks that depend on this one (filled once, so settling a task allocates nothing). */
  next: Slot[];
  record: TaskRecord;
  rank: number;
  state: TaskState;
  remainingDeps: number;
  passCount: number;
  /** Attempts granted by a runner's `retryAfter` (beyond the task's `retries`). */
  extraRetries: number;
  reserved: boolean;
  blockedKey: string;
  /** Generation of the current wait; a wake-up for an older wait is ignored. */
  waitGen: number;
  parkedOn: number;
  running?: RunningTask;
  grant?: Grant;
  timedOut: boolean;
  cancelTimers: Array<() => void>;
}

const DEFAULT_RETRY: RetryPolicy = { base: 1, factor: 2, cap: 60 };

/**
 * Priority list scheduling under access control. Ready tasks are ordered by explicit priority,
 * then bottom level (longest remaining chain by estimate), then more successors, then id; each
 * dispatch walks that order and starts every task whose whole access set is granted and for
 * which a slot is free. Blocked tasks park on the task that blocks them and come back when it
 * releases, so a dispatch touches only tasks that may start. Works the same on a real and a
 * virtual {@link Clock}.
 */
export class Scheduler {
  private readonly o: Required<Omit<SchedulerOptions, 'retry' | 'env'>> & {
    retry: RetryPolicy;
    env: Record<string, string>;
  };
  private readonly slots = new Map<string, Slot>();
  private readonly ready: Heap<Slot>;
  private readonly parked = new Map<string, Array<[Slot, number]>>();
  private readonly freeSlots: Heap<number>;
  private running = 0;
  private retryWaiting = 0;
  private finished = 0;
  private paused = false;
  private serialized = false;
  private stopping: 'fail-fast' | 'abort' | undefined;
  private startedAt = 0;
  private resolveDone!: (s: RunSummary) => void;
  private readonly done: Promise<RunSummary>;
  private started = false;
  /** Re-dispatch timer while a task waits for something outside this run (nothing here will wake it). */
  private cancelPoll: (() => void) | undefined;

  constructor(options: SchedulerOptions) {
    this.o = {
      ...options,
      initial: options.initial ?? new Map(),
      retryFailed: options.retryFailed ?? false,
      beforeStart: options.beforeStart ?? (() => {}),
      projectRoot: options.projectRoot ?? '',
      pollInterval: options.pollInterval ?? 0.25,
      failFast: options.failFast ?? false,
      starvationLimit: options.starvationLimit ?? 8,
      killGrace: options.killGrace ?? 5,
      random: options.random ?? Math.random,
      boost: Math.max(options.boost, options.concurrency),
      retry: { ...DEFAULT_RETRY, ...stripUndefined(options.retry ?? {}) },
      // A snapshot: reading process.env is a call into the runtime per variable, too slow per task.
      env: baseEnv(options.env ?? process.env),
    };
    this.ready = new Heap((a, b) => a.rank < b.rank);
    this.freeSlots = new Heap((a, b) => a < b);
    for (let i = 1; i <= this.o.boost; i++) this.freeSlots.push(i);
    const ranks = rankTasks(options.plan);
    for (const task of options.plan.tasks.values()) {
      this.slots.set(task.id, {
        task,
        next: [],
        record: { id: task.id, state: 'pending', attempts: 0, busy: 0 },
        rank: ranks.get(task.id)!,
        state: 'pending',
        remainingDeps: task.dependsOn.length,
        passCount: 0,
        extraRetries: 0,
        reserved: false,
        blockedKey: '',
        waitGen: 0,
        parkedOn: 0,
        timedOut: false,
        cancelTimers: [],
      });
    }
    for (const s of this.slots.values()) {
      for (const id of options.plan.graph.successors(s.task.id)) s.next.push(this.slots.get(id)!);
    }
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** Runs the plan; resolves when every task has an end state. Call once. */
  run(): Promise<RunSummary> {
    if (this.started) throw new Error('Scheduler.run() may be called once');
    this.started = true;
    const { plan, clock, bus } = this.o;
    checkRunners(plan, this.o.runners);
    this.o.access.prepare?.(plan, {
      runId: this.o.runId,
      ...(this.o.projectRoot ? { projectRoot: this.o.projectRoot } : {}),
    });
    this.startedAt = clock.now();
    bus.emit({
      type: 'run.started',
      runId: this.o.runId,
      at: this.startedAt,
      tasks: plan.tasks.size,
      slots: this.o.concurrency,
      boost: this.o.boost,
    });
    this.restore();
    for (const id of plan.graph.order) {
      const s = this.slots.get(id)!;
      if (s.state === 'pending' && s.remainingDeps === 0) this.makeReady(s);
    }
    this.dispatch();
    return this.done;
  }

  /** Applies `initial` (a resumed run): settled tasks stay settled, the rest start over. */
  private restore(): void {
    const ended: Slot[] = [];
    for (const [id, init] of this.o.initial) {
      const s = this.slots.get(id);
      if (!s) continue;
      s.record.attempts = init.attempts;
      const terminal = init.state === 'succeeded' || (!this.o.retryFailed && keepsItsEnd(init.state, init.because));
      if (!terminal) continue;
      s.state = s.record.state = init.state;
      s.record.because = init.because;
      this.finished++;
      if (init.state === 'succeeded') {
        for (const next of s.next) next.remainingDeps--;
      } else {
        ended.push(s);
      }
    }
    // A log cut short may hold a failure without the skips it caused: skip those dependents now.
    for (const s of ended) {
      this.skipDependents(s.task.id, `${s.task.id} ${s.state === 'timed-out' ? 'timed out' : s.state}`);
    }
  }

  /** Start nothing new until {@link resume}; running tasks go on. */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.o.bus.emit({ type: 'run.control', at: this.o.clock.now(), action: 'pause' });
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.o.bus.emit({ type: 'run.control', at: this.o.clock.now(), action: 'resume' });
    this.dispatch();
  }

  /** One task at a time for the rest of the run. */
  serialize(): void {
    if (this.serialized) return;
    this.serialized = true;
    this.o.bus.emit({ type: 'run.control', at: this.o.clock.now(), action: 'serialize' });
  }

  /**
   * Cancels the run: nothing new starts, running tasks are stopped (`graceful`: SIGTERM, then
   * SIGKILL after the grace period; `now`: SIGKILL) and end `cancelled`; the rest is skipped.
   */
  abort(how: 'graceful' | 'now' = 'graceful'): void {
    if (this.stopping !== 'abort') {
      this.stopping = 'abort';
      this.o.bus.emit({ type: 'run.control', at: this.o.clock.now(), action: 'abort' });
      this.skipUnstarted('the run was aborted');
      for (const s of this.slots.values()) {
        if (s.state !== 'retrying') continue;
        for (const cancel of s.cancelTimers) cancel();
        s.cancelTimers.length = 0;
        this.retryWaiting--;
        this.settle(s, 'cancelled');
      }
    }
    for (const s of this.slots.values()) {
      if (s.state === 'running') this.stopTask(s, how);
    }
    this.checkDone();
  }

  /** The current record of every task (a snapshot). */
  records(): TaskRecord[] {
    return [...this.slots.values()].map((s) => ({ ...s.record }));
  }

  private makeReady(s: Slot): void {
    s.state = s.record.state = 'ready';
    this.o.bus.emit({ type: 'task.ready', id: s.task.id, at: this.o.clock.now() });
    this.ready.push(s);
  }

  private slotsFree(priority: number): boolean {
    if (this.serialized) return this.running === 0;
    return this.running < (priority === 0 ? this.o.boost : this.o.concurrency);
  }

  private dispatch(): void {
    if (this.paused || this.stopping) {
      this.checkDone();
      return;
    }
    const passed: Slot[] = [];
    while (this.ready.size > 0) {
      const s = this.ready.peek()!;
      // The queue is ordered by priority first: once the top cannot have a slot, nothing after it can.
      if (!this.slotsFree(s.task.priority)) break;
      this.ready.pop();
      if (s.state !== 'ready' && s.state !== 'waiting') continue;
      const r = this.o.access.tryGrant(s.task);
      if ('grant' in r) {
        this.start(s, r.grant);
      } else {
        this.block(s, r.blockers);
        if (s.parkedOn === 0) passed.push(s);
      }
    }
    for (const s of passed) this.ready.push(s);
    this.checkDone();
  }

  private block(s: Slot, blockers: Blocker[]): void {
    s.passCount++;
    if (!s.reserved && s.passCount >= this.o.starvationLimit && this.o.access.reserve) {
      s.reserved = true;
      this.o.access.reserve(s.task);
    }
    const key = blockers.map(blockerKey).join('|');
    if (s.state !== 'waiting' || key !== s.blockedKey) {
      s.state = s.record.state = 'waiting';
      s.blockedKey = key;
      this.o.bus.emit({ type: 'task.waiting', id: s.task.id, at: this.o.clock.now(), on: blockers });
    }
    // Park on every task that blocks it; the first to release (or start, for a reservation) wakes it.
    const holders = new Set<string>();
    for (const b of blockers) {
      if (b.kind === 'lock') holders.add(b.heldBy);
      else if (b.kind === 'reserved') holders.add(b.by);
      else {
        holders.clear();
        break;
      }
    }
    s.waitGen++;
    s.parkedOn = 0;
    // A holder outside this run (another run's lease) cannot wake it: such a task stays queued
    // and the queue is looked at again after a while.
    if (blockers.some((b) => b.kind === 'lock' && b.run !== undefined)) {
      this.pollLater();
      return;
    }
    for (const h of holders) if (!this.slots.has(h)) return;
    for (const h of holders) {
      let list = this.parked.get(h);
      if (!list) this.parked.set(h, (list = []));
      list.push([s, s.waitGen]);
      s.parkedOn++;
    }
  }

  private pollLater(): void {
    if (this.cancelPoll) return;
    this.cancelPoll = this.o.clock.after(this.o.pollInterval * 1000, () => {
      this.cancelPoll = undefined;
      this.dispatch();
    });
  }

  /** Puts back in the queue every task parked on `holderId`. */
  private wake(holderId: string): void {
    const list = this.parked.get(holderId);
    if (!list) return;
    this.parked.delete(holderId);
    for (const [s, gen] of list) {
      // Stale entries (the task was woken by another holder, or parked again since) are skipped.
      if (s.state !== 'waiting' || s.parkedOn === 0 || gen !== s.waitGen) continue;
      s.parkedOn = 0;
      this.ready.push(s);
    }
  }

  private start(s: Slot, grant: Grant): void {
    const { clock, bus, runId } = this.o;
    const task = s.task;
    s.grant = grant;
    if (s.reserved) {
      s.reserved = false;
      this.o.access.unreserve?.(task.id);
    }
    this.wake(task.id); // tasks waiting on its reservation
    s.state = s.record.state = 'running';
    s.timedOut = false;
    s.record.attempts++;
    s.record.slot = this.freeSlots.pop()!;
    s.record.startedAt = clock.now();
    s.record.endedAt = undefined;
    this.running++;
    const runner = this.o.runners.get(task.runner)!;
    // Made only if a runner reads `signal`: building and aborting one per task is measurable on big plans.
    let controller: AbortController | undefined;
    const attempt = s.record.attempts;
    // Built when a runner asks (simulated runners never do): copying the environment per task is not free.
    let env: Record<string, string> | undefined;
    const buildEnv = (): Record<string, string> => {
      return Object.assign({}, this.o.env, task.env, {
        GUILD_RUN_ID: runId,
        GUILD_TASK_ID: task.id,
        GUILD_WORKDIR: task.cwd,
        GUILD_ATTEMPT: String(attempt),
      });
    };
    bus.emit({ type: 'task.starting', id: task.id, at: s.record.startedAt, attempt });
    this.o.beforeStart();
    let running: RunningTask;
    try {
      running = runner.start(task, {
        runId,
        attempt,
        workdir: task.cwd,
        get env() {
          return (env ??= buildEnv());
        },
        logFile: path.join(this.o.logDir, `${task.id}.log`),
        log: (line) => {
          s.record.lastLine = line;
        },
        progress: (p) => bus.emit({ type: 'task.progress', id: task.id, at: clock.now(), ...p }),
        clock,
        get signal() {
          return (controller ??= new AbortController()).signal;
        },
      });
    } catch (error) {
      running = { done: Promise.resolve({ outcome: 'failed', error: errorText(error) }), stop: () => {} };
    }
    s.running = running;
    bus.emit({
      type: 'task.started',
      id: task.id,
      at: s.record.startedAt,
      attempt: s.record.attempts,
      slot: s.record.slot,
      ...(running.pid !== undefined ? { pid: running.pid } : {}),
      ...(running.procStart !== undefined ? { procStart: running.procStart } : {}),
    });
    if (task.timeout !== undefined) {
      s.cancelTimers.push(
        clock.after(task.timeout * 1000, () => {
          s.timedOut = true;
          this.stopTask(s, 'graceful');
        }),
      );
    }
    if (running.onDone) {
      running.onDone((result) => this.finish(s, result, controller));
    } else {
      running.done.then(
        (result) => this.finish(s, result, controller),
        (error: unknown) => this.finish(s, { outcome: 'failed', error: errorText(error) }, controller),
      );
    }
  }

  private stopTask(s: Slot, how: 'graceful' | 'now'): void {
    if (!s.running) return;
    s.running.stop(how);
    if (how === 'graceful') {
      s.cancelTimers.push(this.o.clock.after(this.o.killGrace * 1000, () => s.running?.stop('now')));
    }
  }

  private finish(s: Slot, result: RunResult, controller: AbortController | undefined): void {
    const { clock, bus } = this.o;
    const now = clock.now();
    for (const cancel of s.cancelTimers) cancel();
    s.cancelTimers.length = 0;
    controller?.abort();
    s.running = undefined;
    this.o.access.release(s.grant!);
    s.grant = undefined;
    this.freeSlots.push(s.record.slot!);
    this.running--;
    s.record.endedAt = now;
    s.record.busy += now - (s.record.startedAt ?? now);
    s.record.exitCode = result.exitCode;
    s.record.error = result.error;
    if (result.outcome === 'dropped' && !s.timedOut) {
      const because = result.error ?? 'dropped: not this run\'s to do';
      this.wake(s.task.id);
      this.skip(s, because, true);
      this.skipDependents(s.task.id, `${s.task.id} was dropped (${because})`, true);
      this.dispatch();
      return;
    }
    const outcome: FinishOutcome = s.timedOut
      ? 'timed-out'
      : this.stopping === 'abort' && result.outcome !== 'succeeded'
        ? 'cancelled'
        : result.outcome === 'succeeded'
          ? 'succeeded'
          : 'failed';
    bus.emit({
      type: 'task.finished',
      id: s.task.id,
      at: now,
      attempt: s.record.attempts,
      outcome,
      ...(result.exitCode !== undefined ? { exitCode: result.exitCode } : {}),
      ...(result.signal !== undefined ? { signal: result.signal } : {}),
      ...(s.timedOut ? { error: `timed out after ${s.task.timeout}s` } : result.error ? { error: result.error } : {}),
    });
    this.wake(s.task.id);
    const failed = outcome === 'failed' || outcome === 'timed-out';
    const extra = failed && result.retryAfter !== undefined && s.extraRetries < MAX_EXTRA_RETRIES;
    if (failed && !this.stopping && (extra || s.record.attempts - s.extraRetries <= s.task.retries)) {
      if (extra) s.extraRetries++;
      this.retryLater(s, extra ? result.retryAfter : undefined);
    } else {
      this.settle(s, outcome);
    }
    this.dispatch();
  }

  private retryLater(s: Slot, atLeast = 0): void {
    const { base, factor, cap } = this.o.retry;
    const ceiling = Math.min(cap, base * factor ** (s.record.attempts - 1));
    const delay = Math.max(atLeast, this.o.random() * ceiling);
    s.state = s.record.state = 'retrying';
    this.retryWaiting++;
    this.o.bus.emit({
      type: 'task.retrying',
      id: s.task.id,
      at: this.o.clock.now(),
      attempt: s.record.attempts + 1,
      delay,
    });
    s.cancelTimers.push(
      this.o.clock.after(delay * 1000, () => {
        s.cancelTimers.length = 0;
        this.retryWaiting--;
        if (this.stopping) {
          // Its failed attempt is logged; say why there is no next one.
          this.skip(s, `the run stopped before attempt ${s.record.attempts + 1}`);
          this.checkDone();
          return;
        }
        s.state = s.record.state = 'ready';
        this.ready.push(s);
        this.dispatch();
      }),
    );
  }

  private settle(s: Slot, outcome: FinishOutcome): void {
    s.state = s.record.state = outcome;
    this.finished++;
    if (outcome === 'succeeded') {
      for (const n of s.next) {
        if (--n.remainingDeps === 0 && n.state === 'pending' && !this.stopping) this.makeReady(n);
      }
      return;
    }
    this.skipDependents(s.task.id, `${s.task.id} ${outcome === 'timed-out' ? 'timed out' : outcome}`);
    if (this.o.failFast && !this.stopping && outcome !== 'cancelled') {
      this.stopping = 'fail-fast';
      this.skipUnstarted(`--fail-fast: ${s.task.id} ${outcome}`);
    }
  }

  /** Skips everything that depends on `id`, naming the direct cause and the original one. */
  private skipDependents(id: string, reason: string, dropped = false): void {
    const stack: Array<[Slot, string]> = this.slots.get(id)!.next.map((n) => [n, `dependency ${reason}`]);
    while (stack.length > 0) {
      const [next, because] = stack.pop()!;
      if (next.state !== 'pending') continue;
      this.skip(next, because, dropped);
      for (const n of next.next) stack.push([n, `dependency ${next.task.id} was skipped (${reason})`]);
    }
  }

  private skipUnstarted(reason: string): void {
    for (const id of this.o.plan.graph.order) {
      const s = this.slots.get(id)!;
      if (s.state === 'pending' || s.state === 'ready' || s.state === 'waiting') this.skip(s, reason);
    }
  }

  private skip(s: Slot, because: string, dropped = false): void {
    if (s.reserved) {
      s.reserved = false;
      this.o.access.unreserve?.(s.task.id);
      this.wake(s.task.id);
    }
    s.state = s.record.state = 'skipped';
    s.record.because = because;
    if (dropped) s.record.dropped = true;
    this.finished++;
    this.o.bus.emit({ type: 'task.skipped', id: s.task.id, at: this.o.clock.now(), because, ...(dropped ? { dropped } : {}) });
  }

  private checkDone(): void {
    if (this.finished < this.slots.size) {
      if (this.running === 0 && this.retryWaiting === 0 && !this.paused && !this.cancelPoll) this.failStuck();
      return;
    }
    this.cancelPoll?.();
    this.cancelPoll = undefined;
    this.o.access.finish?.();
    if (this.finished > this.slots.size) throw new Error('scheduler accounting error: a task ended twice');
    const now = this.o.clock.now();
    const summary = this.summary(now);
    this.o.bus.emit({ type: 'run.finished', at: now, outcome: summary.outcome });
    this.finished = Infinity; // resolve once
    this.resolveDone(summary);
  }

  /** Nothing runs, nothing can start: tasks parked on holders outside this run. Should not happen. */
  private failStuck(): void {
    const stuck = [...this.slots.values()].filter((s) => s.state === 'waiting' || s.state === 'ready');
    if (stuck.length === 0) return;
    for (const s of stuck) this.skip(s, `could not be started: ${s.blockedKey || 'no slot'}`);
    this.checkDone();
  }

  private summary(now: number): RunSummary {
    const counts = { succeeded: 0, failed: 0, 'timed-out': 0, cancelled: 0, skipped: 0, dropped: 0 };
    let busy = 0;
    const tasks: TaskRecord[] = [];
    for (const s of this.slots.values()) {
      const st = (s.record.dropped ? 'dropped' : s.record.state) as keyof typeof counts;
      if (st in counts) counts[st]++;
      busy += s.record.busy;
      tasks.push({ ...s.record });
    }
    const wall = (now - this.startedAt) / 1000;
    const work = busy / 1000;
    const outcome =
      this.stopping === 'abort'
        ? 'aborted'
        : counts.succeeded + counts.dropped === this.slots.size
          ? 'succeeded'
          : 'failed';
    return {
      runId: this.o.runId,
      outcome,
      startedAt: this.startedAt,
      endedAt: now,
      wall,
      work,
      speedup: wall > 0 ? work / wall : 0,
      counts,
      tasks,
    };
  }
}

/** The most attempts a task gets from runners' `retryAfter`, beyond its own `retries`. */
const MAX_EXTRA_RETRIES = 5;

/** The defined variables of an environment, as a plain object. */
function baseEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

/**
 * Throws a {@link GuildError} naming the first task whose runner no plugin provides. Call it
 * before creating anything for a run.
 */
export function checkRunners(plan: Plan, runners: ReadonlyMap<string, Runner>): void {
  for (const task of plan.tasks.values()) {
    if (!runners.has(task.runner)) {
      throw new GuildError(
        'RUNNER_UNKNOWN',
        `task "${task.id}" needs the runner "${task.runner}", which no plugin provides; add the plugin that provides it (agent runners come with @guild/agents)`,
        { location: locationOf(task.spec) },
      );
    }
  }
}

/**
 * The static order of the ready queue: priority, then bottom level (longer first), then more
 * successors first, then id. Returns each task's rank (0 goes first).
 */
export function rankTasks(plan: Plan): Map<string, number> {
  const keys = [...plan.tasks.values()].map((t) => ({
    id: t.id,
    priority: t.priority,
    bottom: plan.graph.bottomLevel(t.id),
    succ: plan.graph.successors(t.id).length,
  }));
  keys.sort(
    (a, b) =>
      a.priority - b.priority || b.bottom - a.bottom || b.succ - a.succ || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  return new Map(keys.map((k, i) => [k.id, i]));
}

function blockerKey(b: Blocker): string {
  switch (b.kind) {
    case 'lock':
      return `${b.key}@${b.heldBy}`;
    case 'reserved':
      return `${b.key}~${b.by}`;
    case 'agent':
      return `agent:${b.agent}:${b.reason}`;
    default:
      return b.kind;
  }
}

/**
 * Whether a resumed run keeps a task's earlier end: failures, and skips caused by a failed
 * dependency, stand; a cancelled task or one skipped by an abort or --fail-fast never had its
 * chance and runs again.
 */
function keepsItsEnd(state: TaskState, because: string | undefined): boolean {
  if (state === 'failed' || state === 'timed-out') return true;
  return state === 'skipped' && (because?.startsWith('dependency ') ?? false);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
