import {
  createPlan,
  type CommandSpec,
  type EventListener,
  type GuildPlugin,
  type Logger,
  type RunEndContext,
  type Runner,
  type SetupApi,
  type Task,
  type TaskSource,
  type TaskSpec,
} from '@guild/core';
import { installFakeBd, testdir, type FakeBd, type FakeBdIssue, type FakeBdState } from '@guild/test-utils';
import { BdClient } from './bd-client';
import { bdIssueSchema, type BdIssue } from './bd-schema';

/*
 * Builders for this package's tests: a fake bd in a fresh folder, a client for it, a logger
 * that keeps its lines, and real tasks made by core's plan builder.
 */

/** A logger that keeps every line as `level: message`. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => lines.push(`${level}: ${message}`);
  return { lines, info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') };
}

/** A fresh folder with the fake bd installed (state in `.beads/`), and a client for it. */
export async function withFakeBd(state: FakeBdState, clientOptions: { lockRetries?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ dir: string; fake: FakeBd; client: BdClient }> {
  const dir = await testdir();
  const fake = await installFakeBd(dir, state);
  const client = new BdClient({
    bin: fake.bin,
    cwd: dir,
    env: { ...process.env, ...fake.env, ...clientOptions.env },
    lockRetries: clientOptions.lockRetries,
    retryBaseMs: 5,
  });
  return { dir, fake, client };
}

/** A fake bd issue (plus any other fields) as guild reads it, checked by guild's schema. */
export const bdIssue = (issue: FakeBdIssue, fields: Record<string, unknown> = {}): BdIssue => bdIssueSchema.parse({ ...issue, ...fields });

/** The normalised tasks core makes of `specs`, by id. */
export function tasksOf(specs: TaskSpec[], root = '/repo'): Map<string, Task> {
  return new Map(createPlan(specs, { root, runnerFor: () => 'agent' }).tasks);
}

/** What a plugin registered in `setup`. */
export interface Registered {
  sources: TaskSource[];
  wrappers: Array<(runner: Runner) => Runner>;
  listeners: EventListener[];
  runEnd: Array<(run: RunEndContext) => void | Promise<void>>;
  commands: CommandSpec[];
  logger: ReturnType<typeof memoryLogger>;
}

/**
 * Sets `plugin` up against a minimal SetupApi rooted at `root` and returns what it registered;
 * using any other part of the api fails the test.
 */
export async function setUpPlugin(plugin: GuildPlugin, root: string): Promise<Registered> {
  const r: Registered = { sources: [], wrappers: [], listeners: [], runEnd: [], commands: [], logger: memoryLogger() };
  const api: Partial<SetupApi> = {
    logger: r.logger,
    root,
    projectRoot: root,
    addSource: (s) => r.sources.push(s),
    wrapRunners: (w) => r.wrappers.push(w),
    onEvent: (l) => r.listeners.push(l),
    onRunEnd: (h) => r.runEnd.push(h),
    addCommand: (c) => r.commands.push(c),
  };
  const strict = new Proxy(api, {
    get(target, key) {
      if (key in target) return target[key as keyof SetupApi];
      throw new Error(`plugin used api.${String(key)}`);
    },
  }) as SetupApi;
  await plugin.setup?.(strict);
  return r;
}
