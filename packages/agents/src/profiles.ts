import path from 'node:path';
import { GuildError, parseDuration, type Seconds } from '@guild/core';
import { templateProblem } from './argv.js';
import { ROLES, type Role } from './detect.js';
import { optionPath, show, type AgentsOptions, type ProfileOptions } from './options.js';
import type { ParserName } from './parsers/index.js';

/** A resolved agent profile: what guild runs for a task of this agent and how it reads the output. */
export interface AgentProfile {
  readonly name: string;
  readonly description: string;
  /** The argv template, command first (see `renderArgv`). */
  readonly argv: readonly string[];
  /** Added to (and overriding) the task's environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly model?: string;
  /** At most this many tasks of this agent at once; undefined: only the slots limit it. */
  readonly maxConcurrent?: number;
  /** While one of its tasks runs, no other agent task does. */
  readonly singleton: boolean;
  /** It changes code (matched by `@writers` in never-together rules). */
  readonly writes: boolean;
  /** Agents to try, in order, when this one is not installed or is rate-limited. */
  readonly fallbacks: readonly string[];
  /** Patterns that send a prompt-only task to this profile. */
  readonly match: readonly RegExp[];
  readonly parser: ParserName;
  /** Seconds without progress before the agent counts as stalled; undefined: never. */
  readonly stallTimeout?: Seconds;
}

/**
 * The built-in profiles, as options. Each puts the prompt after `--` (or inside `--opt=`), so a
 * prompt that starts with `-` can never be read as an option; permissions allow file edits and
 * nothing more, which suits unattended runs (extend a profile to grant more).
 */
export const BUILT_IN_PROFILES: Readonly<Record<string, ProfileOptions>> = {
  'claude-code': {
    description: 'Claude Code, headless (claude -p, stream-json events)',
    argv: ['claude', '-p', '--output-format', 'stream-json', '--verbose', '--permission-mode', 'acceptEdits', '--model', '{model}', '--', '{prompt}'],
    parser: 'claude',
  },
  codex: {
    description: 'OpenAI Codex CLI, headless (codex exec --json events)',
    argv: ['codex', 'exec', '--json', '--skip-git-repo-check', '--sandbox', 'workspace-write', '--model', '{model}', '--', '{prompt}'],
    parser: 'codex',
  },
  gemini: {
    description: 'Gemini CLI, headless (stream-json events)',
    argv: ['gemini', '--output-format', 'stream-json', '--approval-mode', 'auto_edit', '--skip-trust', '--model', '{model}', '--prompt={prompt}'],
    parser: 'gemini',
  },
  aider: {
    description: 'aider, unattended (--yes-always --message; exit code only)',
    argv: ['aider', '--yes-always', '--message={prompt}', '{files}'],
    parser: 'plain',
  },
};

/** Stall detection when neither the profile nor the plugin options say (seconds). */
export const DEFAULT_STALL_TIMEOUT: Seconds = 600;
/** The profile for prompt-only tasks nothing was detected for, unless options say otherwise. */
export const DEFAULT_AGENT = 'claude-code';
/** In a never-together pair: any agent. */
export const ANY_AGENT = '*';
/** In a never-together pair: any agent whose profile `writes` code. */
export const WRITERS = '@writers';

const fail = (message: string): never => {
  throw new GuildError('CONFIG_INVALID', `guild:agents: ${message}`);
};

/**
 * Profiles, roles and rules resolved from the plugin's options: built-ins merged with the
 * user's profiles (`extends` chains followed, later fields winning, `env` merged), commands with
 * a `/` resolved from `root`. Throws a `CONFIG_INVALID` GuildError for an unknown or circular
 * `extends`, a bad argv template, or a name that is no profile.
 */
export class AgentRegistry {
  readonly profiles: ReadonlyMap<string, AgentProfile>;
  /** The profile each role runs with. */
  readonly roles: ReadonlyMap<Role, string>;
  readonly defaultAgent: string;
  /** Pairs of never-together tokens: profile names, `*`, `@writers`. */
  readonly neverTogether: ReadonlyArray<readonly [string, string]>;

  constructor(options: AgentsOptions, root: string) {
    const declared = new Map<string, ProfileOptions>(Object.entries(BUILT_IN_PROFILES));
    for (const [name, p] of Object.entries(options.profiles ?? {})) {
      if (name === 'shell') fail('a profile cannot be called "shell": that runner is core\'s own');
      if ((ROLES as readonly string[]).includes(name)) {
        fail(`a profile cannot be called "${name}", a role's name; map the role instead: roles: { ${name}: "<profile>" }`);
      }
      const builtIn = BUILT_IN_PROFILES[name];
      // A built-in's name (without `extends`, or extending itself) changes that built-in.
      const changesBuiltIn = builtIn !== undefined && (p.extends === undefined || p.extends === name);
      declared.set(name, changesBuiltIn ? merge(builtIn, p) : p);
    }
    const stall = options.stallTimeout ?? DEFAULT_STALL_TIMEOUT;
    const profiles = new Map<string, AgentProfile>();
    for (const name of declared.keys()) {
      profiles.set(name, finish(name, flatten(name, declared, []), stall, root));
    }
    this.profiles = profiles;
    this.defaultAgent = options.defaultAgent ?? DEFAULT_AGENT;
    if (!profiles.has(this.defaultAgent)) fail(`option "defaultAgent" names no profile (got ${show(this.defaultAgent)}); ${this.known()}`);
    this.roles = new Map(ROLES.map((role) => [role, options.roles?.[role] ?? this.defaultAgent]));
    for (const [role, target] of this.roles) {
      if (!profiles.has(target)) fail(`option "roles.${role}" names no profile (got ${show(target)}); ${this.known()}`);
    }
    for (const p of profiles.values()) {
      p.fallbacks.forEach((f, i) => {
        if (!this.resolve(f)) fail(`option "profiles.${p.name}.fallbacks.${i}" names no profile or role (got ${show(f)}); ${this.known()}`);
      });
    }
    const token = (value: string, at: string): string => {
      if (value === ANY_AGENT || value === WRITERS) return value;
      return (
        this.resolve(value)?.name ??
        fail(`option "neverTogether.${at}" names no profile or role (got ${show(value)}); use a profile, a role, "*" or "@writers"`)
      );
    };
    this.neverTogether = (options.neverTogether ?? []).map(([a, b], i) => [token(a, `${i}.0`), token(b, `${i}.1`)] as const);
  }

  /** The profile a runner name stands for: a profile's own name or a role. */
  resolve(name: string): AgentProfile | undefined {
    return this.profiles.get(name) ?? this.profiles.get(this.roles.get(name as Role) ?? '');
  }

  /** Every runner name this registry answers to: profiles, then the roles. */
  runnerNames(): string[] {
    return [...this.profiles.keys(), ...ROLES];
  }

  private known(): string {
    return `profiles: ${[...this.profiles.keys()].join(', ')}`;
  }
}

/** `over` on top of `base`: later fields win, `env` is merged. */
function merge(base: ProfileOptions, over: ProfileOptions): ProfileOptions {
  return { ...base, ...over, env: { ...base.env, ...over.env }, extends: undefined };
}

/** Follows `extends` to a flat set of options. */
function flatten(name: string, declared: ReadonlyMap<string, ProfileOptions>, seen: readonly string[]): ProfileOptions {
  const own = declared.get(name)!;
  if (own.extends === undefined) return own;
  if (seen.includes(name)) fail(`profiles extend each other in a circle: ${[...seen, name].join(' -> ')}`);
  if (!declared.has(own.extends)) {
    fail(`option "profiles.${name}.extends" names no profile (got ${show(own.extends)}); profiles: ${[...declared.keys()].join(', ')}`);
  }
  return merge(flatten(own.extends, declared, [...seen, name]), own);
}

/** Checks and completes flattened options into a profile. */
function finish(name: string, o: ProfileOptions, stall: number | string | false, root: string): AgentProfile {
  const where = (field: string) => optionPath(['profiles', name, field]);
  if (!o.argv) fail(`profile "${name}" has no argv; give "argv" (e.g. ["my-agent", "--message", "{prompt}"]) or "extends"`);
  const problem = templateProblem(o.argv!);
  if (problem) fail(`option "${where('argv')}" ${problem}`);
  const argv = [...o.argv!];
  if (o.command !== undefined) argv[0] = o.command;
  // A path (not a bare command name looked up on PATH) is relative to the config file's folder.
  if (argv[0]!.includes('/')) argv[0] = path.resolve(root, argv[0]!);
  const limit = o.stallTimeout ?? stall;
  const stallSeconds = limit === false ? 0 : (parseDuration(limit) ?? 0);
  return {
    name,
    description: o.description ?? '',
    argv,
    env: o.env ?? {},
    model: o.model,
    maxConcurrent: o.maxConcurrent,
    singleton: o.singleton ?? false,
    writes: o.writes ?? true,
    fallbacks: o.fallbacks ?? [],
    match: (o.match ?? []).map((source) => new RegExp(source, 'i')),
    parser: o.parser ?? 'plain',
    stallTimeout: stallSeconds > 0 ? stallSeconds : undefined,
  };
}
