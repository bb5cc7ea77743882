import { existsSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cosmiconfig, type Loader } from 'cosmiconfig';
import type { Document, LineCounter } from 'yaml';
import {
  type z,
  GuildError,
  assertPlugin,
  configSchema,
  formatLocation,
  isGuildError,
  suggest,
  yamlLibrary,
  type GuildConfig,
  type GuildPlugin,
  type PluginEntry,
} from '@guild/core';
import conflictsPlugin from '@guild/conflicts';
import agentsPlugin from '@guild/agents';
import beadsPlugin from '@guild/beads';
import markdownPlugin from '@guild/markdown';
import metricsPlugin from '@guild/metrics';
import tuiPlugin from '@guild/tui';
import workspacePlugin from '@guild/workspace';

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
  /** See {@link findProjectRoot}. */
  projectRoot: string;
  /**
   * `file:line:column: <field path>` for a value in the config, for messages about it (just
   * the file for JS and TS configs, whose values have no line).
   */
  describe(fieldPath: ReadonlyArray<string | number>): string;
}

/**
 * Makes a loader for `.ts` config files that needs no TypeScript package: esbuild strips the
 * types into a temporary `.mjs` beside the file, so relative imports and packages resolve
 * exactly as they would from the config itself, and imports that. The temporary file is always
 * removed. A syntax error becomes a {@link GuildError} at `show(file)`:line:column.
 */
function tsLoader(show: (file: string) => string): Loader {
  return async (filepath, content) => {
    const { transform } = await import('esbuild');
    let code: string;
    try {
      ({ code } = await transform(content, { loader: 'ts', format: 'esm', target: 'node20', sourcefile: filepath }));
    } catch (e) {
      const first = (e as { errors?: Array<{ text: string; location?: { line: number; column: number } | null }> }).errors?.[0];
      if (!first) throw e;
      const loc = first.location;
      throw new GuildError('CONFIG_INVALID', `${first.text} (fix the TypeScript syntax)`, {
        location: { file: show(filepath), ...(loc ? { line: loc.line, column: loc.column + 1 } : {}) },
        cause: e,
      });
    }
    const tmp = path.join(path.dirname(filepath), `.${path.basename(filepath)}.${process.pid}-${Date.now()}.mjs`);
    try {
      await writeFile(tmp, code);
      const mod = (await import(pathToFileURL(tmp).href)) as { default?: unknown };
      return mod.default ?? mod;
    } finally {
      await rm(tmp, { force: true });
    }
  };
}

/** The `.ts` config loader guild gives cosmiconfig (see {@link tsLoader}); messages name absolute paths. */
export const loadTs: Loader = tsLoader((file) => file);

/**
 * The project root: the nearest folder up from `start` holding `.git`; without one, the nearest
 * holding `pnpm-workspace.yaml`, then `package.json`; else `start` itself.
 */
export function findProjectRoot(start: string): string {
  const from = path.resolve(start);
  // A repository's root wins over a package.json deeper down, so a monorepo shares one config.
  for (const marker of ['.git', 'pnpm-workspace.yaml', 'package.json']) {
    for (let dir = from; ; dir = path.dirname(dir)) {
      if (existsSync(path.join(dir, marker))) return dir;
      if (path.dirname(dir) === dir) break;
    }
  }
  return from;
}

/** YAML and JSON configs as parsed, kept so a schema error can point at the offending line. */
type ParsedDocs = Map<string, { doc: Document; lines: LineCounter }>;

/**
 * A cosmiconfig loader for YAML and JSON (JSON is YAML) that keeps the parsed document and
 * turns a syntax error into a {@link GuildError} at file:line:column.
 */
function documentLoader(docs: ParsedDocs, show: (file: string) => string): Loader {
  return (filepath, content) => {
    const { LineCounter, parseDocument } = yamlLibrary();
    const lines = new LineCounter();
    const isPackageJson = path.basename(filepath) === 'package.json';
    // JSON.parse (what npm uses) lets a later key win, so only guild's own files must be unique.
    const doc = parseDocument(content, { lineCounter: lines, prettyErrors: false, uniqueKeys: !isPackageJson });
    const error = doc.errors[0];
    if (error) {
      const { line, col } = lines.linePos(error.pos[0]);
      const kind = /\.json$/i.test(filepath) ? 'JSON' : 'YAML';
      const text = (error.message.split('\n')[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, '');
      throw new GuildError('CONFIG_INVALID', `${text} (fix the ${kind} syntax)`, {
        location: { file: show(filepath), line, column: col },
      });
    }
    docs.set(filepath, { doc, lines });
    return doc.toJS() as unknown;
  };
}

/** Where in a parsed config the value at `fieldPath` (or, with `key`, that key of it) is. */
function locate(
  docs: ParsedDocs,
  file: string,
  fieldPath: ReadonlyArray<PropertyKey>,
  key?: string,
): { line: number; column: number } | undefined {
  const parsed = docs.get(file);
  if (!parsed) return undefined;
  const full = [...(path.basename(file) === 'package.json' ? ['guild'] : []), ...fieldPath] as Array<string | number>;
  let node: unknown;
  const { isMap, isNode, isScalar } = yamlLibrary();
  // The value may be missing (a required field): point at the nearest parent that exists.
  for (let n = full.length; n >= 0 && !isNode(node); n--) node = parsed.doc.getIn(full.slice(0, n), true);
  if (!isNode(node)) return undefined;
  let offset = node.range?.[0] ?? 0;
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
    if (pair && isScalar(pair.key)) offset = pair.key.range?.[0] ?? offset;
  }
  const { line, col } = parsed.lines.linePos(offset);
  return { line, column: col };
}

/** `plugins[0]`, `concurrency`: a field path as people write it. */
const fieldName = (fieldPath: ReadonlyArray<PropertyKey>): string =>
  fieldPath.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i > 0 ? '.' : ''}${String(k)}`)).join('');

/** What each config field must be, for messages that say what was expected. */
const EXPECTED: Record<string, string> = {
  concurrency: 'a whole number from 1 to 1024',
  boost: 'a whole number from 1 to 1024 (total slots, at least concurrency)',
  starvationLimit: 'a whole number of at least 1',
  defaultEstimate: 'a positive number of seconds',
  plugins: 'a list of plugins',
};

const PLUGIN_FORMS = '"name", ["name", { options }], or a plugin object (in a .js/.ts config)';

/** One clear sentence for the first schema problem of a config: the field, the value, what was expected. */
function describeConfigIssue(issue: z.core.$ZodIssue, config: unknown): { field: ReadonlyArray<PropertyKey>; key?: string; message: string } {
  const field = issue.path as PropertyKey[];
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const known = Object.keys(configSchema.shape);
    const near = suggest(key, known);
    return {
      field,
      key,
      message: `unknown field "${key}" — ${near ? `did you mean "${near}"?` : `known fields: ${known.join(', ')}`}`,
    };
  }
  const value = field.reduce<unknown>(
    (v, k) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined),
    config,
  );
  const name = fieldName(field);
  if (field.length === 0) {
    return { field, message: `the config must be an object with fields such as ${Object.keys(configSchema.shape).join(', ')}` };
  }
  let expected = EXPECTED[String(field[0])];
  if (field[0] === 'plugins' && field.length > 1) expected = `a plugin: ${PLUGIN_FORMS}`;
  const got = value === undefined ? 'nothing' : JSON.stringify(value);
  return { field, message: expected ? `${name} must be ${expected}, got ${got}` : `${name}: ${issue.message} (got ${got})` };
}

/**
 * Finds and validates guild's config: `--config <file>` if given, else the first match of
 * {@link SEARCH_PLACES} from `cwd` up to the project root (never above it). Throws a
 * {@link GuildError} naming the file, line and field, the value, and what was expected.
 */
export async function loadConfig(cwd: string, explicit?: string): Promise<LoadedConfig> {
  const projectRoot = findProjectRoot(cwd);
  const show = (file: string) => path.relative(cwd, file) || file;
  const docs: ParsedDocs = new Map();
  const data = documentLoader(docs, show);
  const ts = tsLoader(show);
  const explorer = cosmiconfig('guild', {
    searchPlaces: SEARCH_PLACES,
    searchStrategy: 'none',
    loaders: { '.ts': ts, '.mts': ts, '.json': data, '.yaml': data, '.yml': data, noExt: data },
    cache: false,
  });
  let found: { config: unknown; filepath: string; isEmpty?: boolean } | null = null;
  try {
    if (explicit) {
      const file = path.resolve(cwd, explicit);
      if (!existsSync(file)) {
        throw new GuildError('CONFIG_INVALID', `config file not found: ${explicit} (looked for ${file}); check the --config path`);
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
    if (isGuildError(e)) throw e;
    const err = e as Error & { filepath?: string };
    const where = err.filepath ? show(err.filepath) : (explicit ?? 'config');
    const firstLine = err.message.split('\n')[0];
    throw new GuildError('CONFIG_INVALID', `cannot load config ${where}: ${firstLine}; fix the file`, { cause: e });
  }
  const describeIn = (file: string | undefined) => (fieldPath: ReadonlyArray<string | number>) => {
    const name = fieldName(fieldPath);
    if (!file) return name;
    const loc = locate(docs, file, fieldPath);
    return `${formatLocation({ file: show(file), ...loc })}: ${name}`;
  };
  if (!found || found.isEmpty) {
    return {
      config: configSchema.parse({}) as GuildConfig,
      file: found?.filepath,
      dir: projectRoot,
      projectRoot,
      describe: describeIn(undefined),
    };
  }
  const result = configSchema.safeParse(found.config);
  if (!result.success) {
    const { field, key, message } = describeConfigIssue(result.error.issues[0]!, found.config);
    const loc = locate(docs, found.filepath, field, key);
    throw new GuildError('CONFIG_INVALID', message, { location: { file: show(found.filepath), ...loc } });
  }
  const config = result.data as GuildConfig;
  if (config.boost < config.concurrency) config.boost = config.concurrency;
  return {
    config,
    file: found.filepath,
    dir: path.dirname(found.filepath),
    projectRoot,
    describe: describeIn(found.filepath),
  };
}

type Factory = (options: never) => GuildPlugin;

/**
 * The first-party plugins the CLI bundles, by package name (and `guild:<name>`). Each is always
 * present; listing one in config sets its options (it then runs in the listed place).
 */
const BUNDLED: Array<[string, Factory]> = [
  ['@guild/conflicts', conflictsPlugin as Factory],
  ['@guild/metrics', metricsPlugin as Factory],
  ['@guild/agents', agentsPlugin as Factory],
  ['@guild/workspace', workspacePlugin as Factory],
  ['@guild/markdown', markdownPlugin as Factory],
  ['@guild/beads', beadsPlugin as Factory],
  ['@guild/tui', tuiPlugin as Factory],
];

const BUILT_IN: Record<string, Factory> = Object.fromEntries(
  BUNDLED.flatMap(([pkg, factory]) => [
    [pkg, factory],
    [`guild:${pkg.slice('@guild/'.length)}`, factory],
  ]),
);

/**
 * Turns config plugin entries into plugin objects: names are imported from the config file's
 * folder (falling back to the ones bundled with the CLI), a default export is unwrapped, a
 * factory is called with the entry's options, and the result's shape is checked. The bundled
 * first-party plugins are always present; listing one in config only sets its options.
 * `where(i)` names entry `i` in messages (e.g. `guild.config.json:3:5: plugins[0]`).
 * Throws a {@link GuildError} naming the entry, the plugin and the accepted forms.
 */
export async function resolvePlugins(
  entries: readonly PluginEntry[],
  dir: string,
  where: (index: number) => string = (i) => `plugins[${i}]`,
): Promise<GuildPlugin[]> {
  const plugins: GuildPlugin[] = [];
  for (const [i, entry] of entries.entries()) {
    if (typeof entry === 'object' && !Array.isArray(entry)) {
      assertPlugin(entry, where(i));
      plugins.push(entry);
      continue;
    }
    const [name, options] = typeof entry === 'string' ? [entry, undefined] : entry;
    const factory = BUILT_IN[name] ?? (await importPlugin(name, dir, where(i)));
    let plugin: unknown = factory;
    if (typeof factory === 'function') {
      try {
        plugin = (factory as (o: unknown) => unknown)(options);
      } catch (e) {
        throw new GuildError('PLUGIN_INVALID', `${where(i)} (${name}): bad options: ${(e as Error).message}`, { cause: e });
      }
    }
    assertPlugin(plugin, `${where(i)} (${name})`);
    plugins.push(plugin);
  }
  const defaults = BUNDLED.map(([, factory]) => factory(undefined as never)).filter(
    (d) => !plugins.some((p) => p.name === d.name),
  );
  return [...defaults, ...plugins];
}

const isPathLike = (name: string) => name.startsWith('.') || path.isAbsolute(name);

async function importPlugin(name: string, dir: string, where: string): Promise<unknown> {
  const target = resolveModule(name, dir);
  if (!target) {
    if (isPathLike(name)) {
      throw new GuildError(
        'PLUGIN_INVALID',
        `${where}: plugin file "${name}" not found (looked for ${path.resolve(dir, name)}); paths are relative to the config file's folder`,
      );
    }
    const near = suggest(name, Object.keys(BUILT_IN));
    const fix = near ? `did you mean "${near}"?` : `install it (npm i -D ${name}) or fix the name`;
    throw new GuildError(
      'PLUGIN_INVALID',
      `${where}: cannot find plugin "${name}" from ${dir} — ${fix} (accepted forms: ${PLUGIN_FORMS})`,
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
  if (isPathLike(name)) {
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
