import type { GuildConfig } from './config.js';
import { GuildError, isGuildError } from './errors.js';
import { readPlanFile } from './plan-load.js';
import type { CommandSpec, Estimator, GuildPlugin, Logger, ReporterFactory, RunEndContext, RunRemovedContext, TaskSource } from './plugin.js';
import { shellRunner } from './shell-runner.js';
import type { AccessControl, EventListener, Plan, Runner, Seconds, TaskSpec } from './types.js';

/** Seconds a hook may run before the host says it is waiting for it. */
const SLOW_HOOK_MS = 3000;

/** The built-in source for plan files (YAML or JSON). */
export const planFileSource: TaskSource = {
  name: 'plan',
  accepts: (ref) => /\.(ya?ml|json)$/i.test(ref),
  async load(ref, ctx) {
    const parsed = await readPlanFile(ref, ctx.root);
    return { specs: parsed.specs, root: parsed.root };
  },
};

/** A logger that writes `[plugin] message` lines to stderr. */
export function stderrLogger(prefix: string, verbose = false): Logger {
  const write = (level: string, message: string) => process.stderr.write(`${level}[${prefix}] ${message}\n`);
  return {
    info: (m) => write('', m),
    warn: (m) => write('warning: ', m),
    error: (m) => write('error: ', m),
    debug: (m) => {
      if (verbose) write('debug: ', m);
    },
  };
}

/**
 * Runs plugins' hooks and holds what they register. `setup` hooks run one at a time in config
 * order (`enforce: 'pre'` first, `'post'` last); `teardown` hooks in reverse, always. A hook's
 * failure is rethrown as a {@link GuildError} naming the plugin and the hook.
 */
export class PluginHost {
  readonly sources: TaskSource[] = [planFileSource];
  readonly runners = new Map<string, Runner>([[shellRunner.name, shellRunner]]);
  readonly accessControls: AccessControl[] = [];
  readonly listeners: EventListener[] = [];
  readonly commands: Array<CommandSpec & { plugin: string }> = [];
  readonly planHooks: Array<{ plugin: string; hook: (plan: Plan) => void | Promise<void> }> = [];
  readonly estimators: Estimator[] = [];
  readonly runnerResolvers: Array<(spec: TaskSpec) => string | undefined> = [];
  private readonly runnerWrappers: Array<(runner: Runner) => Runner> = [];
  readonly reporters = new Map<string, ReporterFactory>();
  readonly runEndHooks: Array<{ plugin: string; hook: (run: RunEndContext) => void | Promise<void> }> = [];
  readonly runRemovedHooks: Array<{ plugin: string; hook: (run: RunRemovedContext) => void | Promise<void> }> = [];
  private readonly plugins: GuildPlugin[];
  private setUp: GuildPlugin[] = [];

  constructor(
    private readonly config: GuildConfig,
    plugins: readonly GuildPlugin[],
    private readonly options: { root: string; projectRoot?: string; logger?: (plugin: string) => Logger } = { root: process.cwd() },
  ) {
    const rank = (p: GuildPlugin) => (p.enforce === 'pre' ? 0 : p.enforce === 'post' ? 2 : 1);
    // A stable sort keeps config order within each enforce group.
    this.plugins = [...plugins].sort((a, b) => rank(a) - rank(b));
  }

  /** Plugin names in the order their hooks run. */
  get names(): string[] {
    return this.plugins.map((p) => p.name);
  }

  async setup(): Promise<void> {
    for (const plugin of this.plugins) {
      this.setUp.push(plugin);
      if (!plugin.setup) continue;
      const name = plugin.name;
      const logger = (this.options.logger ?? stderrLogger)(name);
      await this.call(plugin, 'setup', () =>
        plugin.setup!({
          config: this.config,
          logger,
          root: this.options.root,
          projectRoot: this.options.projectRoot ?? this.options.root,
          addSource: (s) => {
            this.sources.unshift(s);
          },
          addRunner: (r) => {
            this.runners.set(r.name, r);
          },
          addAccessControl: (c) => {
            this.accessControls.push(c);
          },
          onEvent: (l) => {
            this.listeners.push(l);
          },
          addCommand: (c) => {
            this.commands.push({ ...c, plugin: name });
          },
          onPlan: (hook) => {
            this.planHooks.push({ plugin: name, hook });
          },
          addEstimator: (e) => {
            this.estimators.push(e);
          },
          addReporter: (r) => {
            this.reporters.set(r.name, r);
          },
          onRunEnd: (hook) => {
            this.runEndHooks.push({ plugin: name, hook });
          },
          onRunRemoved: (hook) => {
            this.runRemovedHooks.push({ plugin: name, hook });
          },
          addRunnerResolver: (r) => {
            this.runnerResolvers.push(r);
          },
          wrapRunners: (w) => {
            this.runnerWrappers.push(w);
          },
        }),
      );
    }
    for (const [name, runner] of this.runners) {
      this.runners.set(name, this.runnerWrappers.reduce((r, wrap) => wrap(r), runner));
    }
  }

  /** The first resolver's runner for a prompt-only task without an agent. */
  readonly runnerFor = (spec: TaskSpec): string | undefined => {
    for (const r of this.runnerResolvers) {
      const name = r(spec);
      if (name !== undefined) return name;
    }
    return undefined;
  };

  /** Runs every plugin's plan hook, in setup order. */
  async preparePlan(plan: Plan): Promise<void> {
    for (const { plugin, hook } of this.planHooks) {
      const p = this.plugins.find((x) => x.name === plugin)!;
      await this.call(p, 'onPlan', () => hook(plan));
    }
  }

  /** The first registered estimator's answer for a task without an estimate. */
  readonly estimate = (spec: TaskSpec): Seconds | undefined => {
    for (const e of this.estimators) {
      const s = e(spec);
      if (s !== undefined && Number.isFinite(s) && s > 0) return s;
    }
    return undefined;
  };

  /** Runs every plugin's run-end hook, in setup order. */
  async runEnded(run: RunEndContext): Promise<void> {
    for (const { plugin, hook } of this.runEndHooks) {
      const p = this.plugins.find((x) => x.name === plugin)!;
      await this.call(p, 'onRunEnd', () => hook(run));
    }
  }

  /** Runs every plugin's run-removed hook, in setup order; the first failure is thrown. */
  async runRemoved(run: RunRemovedContext): Promise<void> {
    for (const { plugin, hook } of this.runRemovedHooks) {
      const p = this.plugins.find((x) => x.name === plugin)!;
      await this.call(p, 'onRunRemoved', () => hook(run));
    }
  }

  /** Runs `teardown` of every plugin that was set up, in reverse order; collects failures. */
  async teardown(): Promise<void> {
    const failures: GuildError[] = [];
    for (const plugin of [...this.setUp].reverse()) {
      if (!plugin.teardown) continue;
      try {
        await this.call(plugin, 'teardown', () => plugin.teardown!());
      } catch (e) {
        failures.push(e as GuildError);
      }
    }
    this.setUp = [];
    if (failures.length > 0) throw failures[0];
  }

  /** The source for a `--from` reference or plan file name. */
  sourceFor(ref: string): TaskSource | undefined {
    return this.sources.find((s) => s.name === ref || s.accepts?.(ref));
  }

  private async call<T>(plugin: GuildPlugin, hook: string, fn: () => T | Promise<T>): Promise<T> {
    const slow = setTimeout(() => {
      process.stderr.write(`guild: waiting for plugin ${plugin.name} (${hook})...\n`);
    }, SLOW_HOOK_MS);
    slow.unref();
    try {
      return await fn();
    } catch (cause) {
      if (isGuildError(cause)) {
        throw new GuildError(cause.code, `plugin ${plugin.name} (${hook}): ${cause.message}`, { cause, more: cause.more });
      }
      const message = cause instanceof Error ? cause.message : String(cause);
      throw new GuildError('PLUGIN_FAILED', `plugin ${plugin.name} failed in ${hook}: ${message}`, { cause });
    } finally {
      clearTimeout(slow);
    }
  }
}
