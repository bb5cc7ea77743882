import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cosmiconfig, type Loader } from 'cosmiconfig';
import {
  GuildError,
  assertPlugin,
  configSchema,
  type GuildConfig,
  type GuildPlugin,
  type PluginEntry,
} from '@guild/core';
import conflictsPlugin from '@guild/conflicts';

/** Where guild looks for its config, in each folder from the current one up to the project root. */
export const SEARCH_PLACES = [
  'package.json',
  '.guildrc',
  '.guildrc.json',
  '.guildrc.yaml',
  '.guildrc.yml',
  '.guildrc.js',
  '.guildrc.mjs',
  '.guildrc.ts',
  'guild.config.ts',
  'guild.config.mts',
  'guild.config.js',
  'guild.config.mjs',
  'guild.config.json',
  'guild.config.yaml',
  'guild.config.yml',
];

/** A loaded configuration and where it came from. */
export interface LoadedConfig {
  config: GuildConfig;
  /** The config file, if one was found. */
  file?: string;
  /** The folder plugins resolve from: the config file's folder, else the project root. */
  dir: string;
  /** The nearest folder up from the start holding `.git` or `package.json` (else the start). */
  projectRoot: string;
}

/**
 * Loads `.ts` config files without the TypeScript package: esbuild strips the types into a
 * temporary `.mjs` beside the file (so its relative imports resolve), which is imported once.
 */
export const loadTs: Loader = async (filepath, content) => {
  const { transform } = await import('esbuild');
  const out = await transform(content, { loader: 'ts', format: 'esm', target: 'node20', sourcefile: filepath });
  const tmp = await mkdtemp(path.join(path.dirname(filepath), '.guild-config-'));
  const file = path.join(tmp, 'config.mjs');
  try {
    // The temp folder sits beside the config, so "./x" imports must go one level up.
    await writeFile(file, out.code.replace(/(from\s+|import\s*\(\s*)(['"])\.\//g, '$1$2../'));
    const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
    return mod.default ?? mod;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
};

/** The project root: the nearest folder up from `start` holding `.git` or `package.json`. */
export function findProjectRoot(start: string): string {
  let dir = path.resolve(start);
  for (;;) {
    if (existsSync(path.join(dir, '.git')) || existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(start);
    dir = parent;
  }
}

/**
 * Finds and validates guild's config: `--config <file>` if given, else the first match of
 * {@link SEARCH_PLACES} from `cwd` up to the project root. Throws a {@link GuildError} naming
 * the file and the bad field.
 */
export async function loadConfig(cwd: string, explicit?: string): Promise<LoadedConfig> {
  const projectRoot = findProjectRoot(cwd);
  const explorer = cosmiconfig('guild', {
    searchPlaces: SEARCH_PLACES,
    searchStrategy: 'none',
    loaders: { '.ts': loadTs, '.mts': loadTs },
    cache: false,
  });
  let found: { config: unknown; filepath: string; isEmpty?: boolean } | null = null;
  try {
    if (explicit) {
      const file = path.resolve(cwd, explicit);
      if (!existsSync(file)) {
        throw new GuildError('CONFIG_INVALID', `config file not found: ${explicit} (looked for ${file})`);
      }
      found = await explorer.load(file);
    } else {
      let dir = path.resolve(cwd);
      for (;;) {
        found = await explorer.search(dir);
        if (found || dir === projectRoot) break;
        const parent = path.dirname(dir);
        if (parent === dir) break;
        dir = parent;
      }
    }
  } catch (e) {
    if (e instanceof GuildError) throw e;
    const err = e as Error & { filepath?: string; mark?: { line: number; column: number } };
    const where = err.filepath ?? explicit ?? 'config';
    const firstLine = err.message.split('\n')[0];
    throw new GuildError('CONFIG_INVALID', `cannot load config ${where}: ${firstLine}; fix the file`, { cause: e });
  }
  if (!found || found.isEmpty) {
    return { config: configSchema.parse({}) as GuildConfig, file: found?.filepath, dir: projectRoot, projectRoot };
  }
  const result = configSchema.safeParse(found.config);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = issue.path.join('.') || '(top level)';
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      message = `unknown field "${issue.keys[0]}"; known fields: ${Object.keys(configSchema.shape).join(', ')}`;
    }
    throw new GuildError('CONFIG_INVALID', `${field}: ${message}`, { location: { file: found.filepath } });
  }
  const config = result.data as GuildConfig;
  if (config.boost < config.concurrency) config.boost = config.concurrency;
  return { config, file: found.filepath, dir: path.dirname(found.filepath), projectRoot };
}

const BUILT_IN: Record<string, (options: never) => GuildPlugin> = {
  'guild:conflicts': conflictsPlugin as (options: never) => GuildPlugin,
  '@guild/conflicts': conflictsPlugin as (options: never) => GuildPlugin,
};

/**
 * Turns config plugin entries into plugin objects: names are imported from the config file's
 * folder (falling back to the ones bundled with the CLI), a default export is unwrapped, a
 * factory is called with the entry's options, and the result's shape is checked. The
 * conflicts plugin is always present; listing it in config only sets its options.
 */
export async function resolvePlugins(entries: readonly PluginEntry[], dir: string, file?: string): Promise<GuildPlugin[]> {
  const plugins: GuildPlugin[] = [];
  for (const [i, entry] of entries.entries()) {
    const where = `plugins[${i}]${file ? ` in ${path.relative(process.cwd(), file) || file}` : ''}`;
    if (typeof entry === 'object' && !Array.isArray(entry)) {
      assertPlugin(entry, where);
      plugins.push(entry);
      continue;
    }
    const [name, options] = typeof entry === 'string' ? [entry, undefined] : entry;
    const factory = BUILT_IN[name] ?? (await importPlugin(name, dir, where));
    let plugin: unknown = factory;
    if (typeof factory === 'function') {
      try {
        plugin = (factory as (o: unknown) => unknown)(options);
      } catch (e) {
        throw new GuildError('PLUGIN_INVALID', `${where} (${name}): bad options: ${(e as Error).message}`, { cause: e });
      }
    }
    assertPlugin(plugin, `${where} (${name})`);
    plugins.push(plugin);
  }
  if (!plugins.some((p) => p.name === 'guild:conflicts')) plugins.unshift(conflictsPlugin({}));
  return plugins;
}

async function importPlugin(name: string, dir: string, where: string): Promise<unknown> {
  const target = resolveModule(name, dir);
  if (!target) {
    throw new GuildError(
      'PLUGIN_INVALID',
      `${where}: cannot find plugin "${name}" from ${dir}; install it (npm i -D ${name}) or fix the name. Accepted forms: "name", ["name", { options }], or a plugin object in a .js/.ts config`,
    );
  }
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(target).href)) as { default?: unknown };
  } catch (e) {
    throw new GuildError('PLUGIN_INVALID', `${where}: plugin "${name}" failed to load: ${(e as Error).message}`, { cause: e });
  }
  return mod.default ?? mod;
}

function resolveModule(name: string, dir: string): string | undefined {
  if (name.startsWith('.') || path.isAbsolute(name)) {
    const file = path.resolve(dir, name);
    return existsSync(file) ? file : undefined;
  }
  try {
    return createRequire(path.join(dir, 'noop.js')).resolve(name);
  } catch {
    // ESM-only packages have no "require" export: find the package and read its entry ourselves.
  }
  let d = dir;
  for (;;) {
    const pkgDir = path.join(d, 'node_modules', name);
    const pkgJson = path.join(pkgDir, 'package.json');
    if (existsSync(pkgJson)) {
      const pkg = JSON.parse(readFileSync(pkgJson, 'utf8')) as {
        exports?: unknown;
        module?: string;
        main?: string;
      };
      const entry = exportEntry(pkg.exports) ?? pkg.module ?? pkg.main ?? 'index.js';
      return path.join(pkgDir, entry);
    }
    const parent = path.dirname(d);
    if (parent === d) return undefined;
    d = parent;
  }
}

function exportEntry(exports: unknown): string | undefined {
  if (typeof exports === 'string') return exports;
  if (typeof exports !== 'object' || exports === null) return undefined;
  const root = (exports as Record<string, unknown>)['.'] ?? exports;
  if (typeof root === 'string') return root;
  if (typeof root !== 'object' || root === null) return undefined;
  const r = root as Record<string, unknown>;
  for (const key of ['import', 'default', 'node']) {
    const v = r[key];
    if (typeof v === 'string') return v;
    const nested = exportEntry({ '.': v });
    if (nested) return nested;
  }
  return undefined;
}
