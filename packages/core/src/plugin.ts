import type { GuildConfig } from './config.js';
import { GuildError } from './errors.js';
import type { RunSummary } from './scheduler.js';
import type { AccessControl, Conflict, EventListener, Plan, RunEvent, Runner, Seconds, Task, TaskSpec } from './types.js';

/** A prefixed logger handed to each plugin. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
}

/** What a source is told when it loads: where, and the source flags of the command line. */
export interface SourceContext {
  /** The folder `ref` is relative to (the current folder). */
  root: string;
  /** `--all-open`: every open task, not only those ready now (sources with a notion of readiness). */
  allOpen?: boolean;
  /** `--update-source`: write outcomes back to the source (tick boxes, close issues). */
  updateSource?: boolean;
}

/** Produces tasks: a plan file, beads, a markdown task list, ... */
export interface TaskSource {
  /** `plan`, `beads`, `markdown`, ... — what `--from <name>` selects. */
  readonly name: string;
  /** Whether this source handles a `--from` reference (a file name, `beads`, ...). */
  accepts?(ref: string): boolean;
  /**
   * Loads tasks. `ctx.root` is the folder `ref` is relative to (the current folder). Returns the
   * specs, the folder their paths are relative to (default: `ctx.root`), and likely mistakes
   * worth a warning (`file:line: message`), which `guild plan` lists and `guild run` prints.
   */
  load(ref: string, ctx: SourceContext): Promise<{ specs: TaskSpec[]; root?: string; warnings?: string[] }>;
  /** Optional: hears how tasks ended (markdown ticks boxes, beads closes issues). */
  sink?: {
    /**
     * Not called by guild: for a source that must claim work before it runs, called from its
     * own runner wrapper (`api.wrapRunners`), which ends a task it lost as `dropped`.
     */
    started?(task: Task): Promise<'ok' | 'lost'>;
    /** Called by `guild run` once a task has ended for good (its last attempt); awaited before the run ends. */
    finished?(task: Task, outcome: string): Promise<void>;
  };
}

/** A command a plugin adds to the `guild` binary. */
export interface CommandSpec {
  /** e.g. `worker` or `worker <url>` (commander syntax for arguments). */
  name: string;
  description: string;
  options?: Array<{ flags: string; description: string; default?: string | boolean }>;
  /** Returns the exit code. */
  action(args: string[], options: Record<string, unknown>): number | Promise<number>;
}

/** Steering a live run, as the keys of an interactive reporter do. */
export interface RunControls {
  pause(): void;
  resume(): void;
  /** One task at a time from now on (running ones finish). */
  serialize(): void;
  /** `graceful` stops running tasks with SIGTERM, `now` with SIGKILL. */
  abort(how?: 'graceful' | 'now'): void;
}

/** What a reporter is told when a run starts. */
export interface ReporterContext {
  runId: string;
  /** `.guild/runs/<run-id>/`. */
  runDir: string;
  /** Where task logs are: `<logDir>/<task-id>.log`. */
  logDir: string;
  /** The user's current folder, for printing relative paths. */
  cwd: string;
  plan: Plan;
  slots: number;
  /** Total slots including those only priority-0 tasks may use. */
  boost: number;
  resumed: boolean;
  control: RunControls;
  /** Where to draw. An interactive reporter owns it until `close`. */
  stdout: NodeJS.WriteStream;
  /** Keys, for interactive reporters (absent when stdin is not a terminal). */
  stdin?: NodeJS.ReadStream;
}

/** Shows a run while it goes: the plain line reporter, the live terminal monitor, ... */
export interface Reporter {
  /** Called synchronously for every event; must be cheap (an interactive reporter batches redraws). */
  onEvent(event: RunEvent): void;
  /** The run is over: print the summary, give the terminal back. */
  close(summary: RunSummary): void | Promise<void>;
}

/** A named way of reporting, chosen with `guild run --reporter <name>`. */
export interface ReporterFactory {
  /** `plain`, `tui`, ... */
  readonly name: string;
  /** Needs a terminal: the CLI picks it by default only when stdout is a TTY and not in CI. */
  readonly interactive: boolean;
  create(ctx: ReporterContext): Reporter;
}

/** What plugins' run-end hooks get, after the run store is closed and `summary.json` written. */
export interface RunEndContext {
  runId: string;
  runDir: string;
  projectRoot: string;
  plan: Plan;
  summary: RunSummary;
  /** Every pair of tasks that conflict and are not ordered by dependencies (the static report). */
  conflicts(): Conflict[];
  /** Slots the run had. */
  slots: number;
  boost: number;
}

/** What plugins' run-removed hooks get: a run `guild runs --prune` removes (its folder still there). */
export interface RunRemovedContext {
  runId: string;
  /** `.guild/runs/<run-id>/`, removed once every hook has run. */
  runDir: string;
  projectRoot: string;
}

/** Gives a task without an `estimate` one, e.g. from earlier runs' durations; `undefined` for no idea. */
export type Estimator = (spec: TaskSpec) => Seconds | undefined;

/** What a plugin's `setup` hook may do. Everything it registers lives for the whole command. */
export interface SetupApi {
  readonly config: Readonly<GuildConfig>;
  /** A logger whose lines are prefixed with the plugin's name. */
  readonly logger: Logger;
  /** The folder of the config file (or the current folder without one). */
  readonly root: string;
  /** The project's root: where `.guild/` (runs, history, leases) lives. */
  readonly projectRoot: string;
  addSource(source: TaskSource): void;
  addRunner(runner: Runner): void;
  /** All registered controls must grant before a task starts; core composes them all-or-nothing. */
  addAccessControl(control: AccessControl): void;
  /** Called synchronously for every event; must be cheap. */
  onEvent(listener: EventListener): void;
  addCommand(command: CommandSpec): void;
  /** Called once per plan after validation, before anything runs (e.g. to add accesses). */
  onPlan(hook: (plan: Plan) => void | Promise<void>): void;
  /** Estimates for tasks that give none; the first estimator with an answer wins. */
  addEstimator(estimator: Estimator): void;
  /** Adds a reporter `guild run --reporter <name>` can choose. */
  addReporter(reporter: ReporterFactory): void;
  /** Picks the runner for a task that names no agent and has only a prompt (agent detection). */
  addRunnerResolver(resolve: (spec: TaskSpec) => string | undefined): void;
  /**
   * Wraps every runner (also those registered by later plugins), e.g. to run tasks in their own
   * git worktree. Wrappers apply in setup order: the first registered is innermost.
   */
  wrapRunners(wrap: (runner: Runner) => Runner): void;
  /** Called after every run (also a failed or aborted one), once its files are complete. */
  onRunEnd(hook: (run: RunEndContext) => void | Promise<void>): void;
  /**
   * Called when `guild runs --prune` removes an ended run, before its folder goes: remove what
   * the plugin keeps for that run elsewhere (git refs, branches, worktrees). A hook that throws
   * keeps the run (its folder stays, and the prune says why).
   */
  onRunRemoved(hook: (run: RunRemovedContext) => void | Promise<void>): void;
}

/**
 * A guild plugin: a plain object, usually returned by a factory made with {@link definePlugin}.
 * Hooks run in this order: `setup` (sequentially, in config order after `enforce` sorting),
 * then the command, then `teardown` (reverse order, always, also after a failure).
 */
export interface GuildPlugin {
  /** `guild:<name>` for first-party plugins, `guild-plugin-<name>` for third-party ones. */
  name: string;
  /** The plugin API this plugin was written against. */
  apiVersion: 1;
  /** `pre` plugins set up before the rest, `post` after. */
  enforce?: 'pre' | 'post';
  /** Register sources, runners, access controls, listeners and commands. May be async. */
  setup?(api: SetupApi): void | Promise<void>;
  /** Release what `setup` acquired. Runs in reverse order, also after a failure. */
  teardown?(): void | Promise<void>;
}

/**
 * Declares a plugin factory. Returns the factory unchanged; it exists for type inference
 * (`export default definePlugin((options: Options = {}) => ({ name: 'guild:x', apiVersion: 1 }))`).
 * The factory's own signature is kept, so an optional options parameter stays optional.
 */
export const definePlugin = <F extends (...args: never[]) => GuildPlugin>(factory: F): F => factory;

/** Checks that a value is a usable plugin object; throws a {@link GuildError} naming `where`. */
export function assertPlugin(value: unknown, where: string): asserts value is GuildPlugin {
  const accepted =
    'a plugin object { name, apiVersion: 1, setup? }, a factory returning one, a package name, or [name, options]';
  if (typeof value !== 'object' || value === null) {
    throw new GuildError('PLUGIN_INVALID', `${where} is not a plugin (got ${typeof value}); expected ${accepted}`);
  }
  const p = value as Partial<GuildPlugin>;
  if (typeof p.name !== 'string' || p.name === '') {
    throw new GuildError('PLUGIN_INVALID', `${where} has no "name"; expected ${accepted}`);
  }
  if (p.apiVersion !== 1) {
    throw new GuildError(
      'PLUGIN_INVALID',
      `${where} (${p.name}) was written for plugin API ${String(p.apiVersion)}; this guild supports apiVersion 1`,
    );
  }
  for (const hook of ['setup', 'teardown'] as const) {
    if (p[hook] !== undefined && typeof p[hook] !== 'function') {
      throw new GuildError('PLUGIN_INVALID', `${where} (${p.name}): "${hook}" must be a function`);
    }
  }
  if (p.enforce !== undefined && p.enforce !== 'pre' && p.enforce !== 'post') {
    throw new GuildError('PLUGIN_INVALID', `${where} (${p.name}): "enforce" must be "pre" or "post"`);
  }
}
