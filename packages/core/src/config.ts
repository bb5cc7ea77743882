import * as z from './zod.js';
import type { GuildPlugin } from './plugin.js';

/** A plugin as written in config: a package name, `[name, options]`, or a plugin object. */
export type PluginEntry = string | [string, unknown] | GuildPlugin;

const pluginEntry = z.union(
  [
    z.string().min(1),
    z.tuple([z.string().min(1), z.unknown()]),
    z.looseObject({ name: z.string(), apiVersion: z.number() }),
  ],
  { error: 'expected a package name, [name, options], or a plugin object' },
);

/** The schema of guild's configuration (guild.config.*, .guildrc*, package.json "guild"). */
export const configSchema = z.strictObject({
  /** Slots for tasks of any priority. */
  concurrency: z.int().min(1).max(1024).default(5),
  /** Total slots including the extra ones only priority-0 tasks may use. */
  boost: z.int().min(1).max(1024).default(8),
  /** Plugins, set up in this order (after `enforce` sorting). */
  plugins: z.array(pluginEntry).default([]),
  /** How many times a ready task may be passed over before it reserves its accesses. */
  starvationLimit: z.int().min(1).default(8),
  /** Estimate for tasks that give none, in seconds. */
  defaultEstimate: z.number().positive().default(60),
  /** Back-off between attempts: a random delay up to min(cap, base * factor^(attempt-1)) seconds. */
  retry: z
    .strictObject({
      base: z.number().positive().default(1),
      factor: z.number().min(1).default(2),
      cap: z.number().positive().default(60),
    })
    .default({ base: 1, factor: 2, cap: 60 }),
  /** Seconds between SIGTERM and SIGKILL when a task times out or a run is aborted. */
  killGrace: z.number().min(0).default(5),
  /**
   * Where tasks run: `shared` (in the project, the lock table keeps writers apart) or
   * `worktree` (each writing task in its own git worktree, merged back; needs @guild/workspace).
   */
  isolation: z.enum(['shared', 'worktree']).default('shared'),
});

/** guild's configuration, as validated (defaults filled in). */
export type GuildConfig = Omit<z.output<typeof configSchema>, 'plugins'> & { plugins: PluginEntry[] };
/** Where tasks run (see `GuildConfig.isolation`). */
export type Isolation = GuildConfig['isolation'];
/** guild's configuration, as written by a user. */
export type UserConfig = Omit<z.input<typeof configSchema>, 'plugins'> & { plugins?: PluginEntry[] };

/** Returns its argument: exists so `guild.config.ts` gets types and completion. */
export const defineConfig = (config: UserConfig): UserConfig => config;

/** The configuration used when there is no config file. */
export const defaultConfig = (): GuildConfig => configSchema.parse({}) as GuildConfig;
