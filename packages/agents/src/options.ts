import { z, GuildError, parseDuration } from '@guild/core';
import { ROLES } from './detect.js';

const duration = (what: string) =>
  z.union([z.number(), z.string()]).refine((v) => parseDuration(v) !== undefined, {
    error: `must be ${what}: seconds (90) or a string like "30s", "10m", "1h"`,
  });

const names = (what: string) =>
  z.array(z.string().min(1, { error: `entries of ${what} must not be empty` }), { error: `must be a list of ${what}` });

/** One agent profile as written in options. Every field is optional when `extends` is given. */
export const profileOptionsSchema = z.strictObject({
  /** A profile (built-in or declared here) whose fields this one starts from. */
  extends: z.string({ error: 'must be the name of a profile' }).optional(),
  /** Replaces the command (argv[0]); a path with a `/` is relative to the config file's folder. */
  command: z.string({ error: 'must be a command name or path' }).min(1, { error: 'must not be empty' }).optional(),
  /** The argv template: command first, then arguments; placeholders {prompt} {files} {workdir} {model} {task}. */
  argv: z.array(z.string({ error: 'must be a list of strings (one per argument)' }), {
    error: 'must be a list of strings such as ["claude", "-p", "{prompt}"], never one shell string',
  }).optional(),
  /** Added to the task's environment (and overriding it). */
  env: z.record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be a mapping of names to strings' }).optional(),
  /** Fills {model}; without one, `--model {model}` is left out. */
  model: z.string({ error: 'must be a model name' }).min(1, { error: 'must not be empty' }).optional(),
  /** At most this many tasks of this agent at once. */
  maxConcurrent: z.int({ error: 'must be a whole number' }).min(1, { error: 'must be at least 1' }).optional(),
  /** While a task of this agent runs, no other agent task does. */
  singleton: z.boolean({ error: 'must be true or false' }).optional(),
  /** Whether the agent changes code (`@writers` in never-together rules); default true. */
  writes: z.boolean({ error: 'must be true or false' }).optional(),
  /** Agents to try, in order, when this one is not installed or is rate-limited. */
  fallbacks: names('agent names').optional(),
  /** Regular expressions (case-insensitive) that send a prompt-only task to this profile. */
  match: names('regular expressions')
    .refine((list) => list.every(isRegExp), { error: 'must hold valid regular expressions' })
    .optional(),
  /** How to read the CLI's output: claude, codex, gemini (structured) or plain (exit code only). */
  parser: z.enum(['claude', 'codex', 'gemini', 'plain'], { error: 'must be "claude", "codex", "gemini" or "plain"' }).optional(),
  /** No progress for this long and the agent is stopped as stalled; false never. */
  stallTimeout: z.union([z.literal(false), duration('a duration or false')]).optional(),
  /** One line for `guild agents`. */
  description: z.string({ error: 'must be text' }).optional(),
});

/** The options of the `guild:agents` plugin. */
export const agentsOptionsSchema = z.strictObject({
  /** New profiles, and changes to the built-in ones (`claude-code`, `codex`, `gemini`, `aider`). */
  profiles: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/), profileOptionsSchema, {
    error: (issue) =>
      issue.code === 'invalid_key'
        ? 'is not a profile name: use letters, digits, ".", "_" and "-", starting with a letter or digit'
        : 'must be a mapping of profile names to profiles',
  }).optional(),
  /** The profile each detected role runs with (default: `defaultAgent`). */
  roles: z.partialRecord(z.enum(ROLES), z.string({ error: 'must be a profile name' }), {
    error: `must be a mapping of roles (${ROLES.join(', ')}) to profile names`,
  }).optional(),
  /** The profile for prompt-only tasks nothing was detected for (default `claude-code`). */
  defaultAgent: z.string({ error: 'must be a profile name' }).optional(),
  /** Pairs of agents never run at the same time: profile or role names, `*` (any agent), `@writers`. */
  neverTogether: z.array(z.tuple([z.string(), z.string()], { error: 'must be a pair ["a", "b"] of agent names' }), {
    error: 'must be a list of pairs such as [["release", "@writers"]]',
  }).optional(),
  /** Stall detection for every profile that does not set its own (default 10m); false for none. */
  stallTimeout: z.union([z.literal(false), duration('a duration or false')]).optional(),
  /** Rate-limit back-off: how long a lowered limit holds before it rises by one again (default 60s). */
  backoff: z.strictObject({ cooldown: duration('a duration').optional() }, { error: 'must be an object such as { cooldown: "60s" }' }).optional(),
});

/** Options of the `guild:agents` plugin, as written in config. */
export type AgentsOptions = z.input<typeof agentsOptionsSchema>;
/** One profile as written in options. */
export type ProfileOptions = z.input<typeof profileOptionsSchema>;

function isRegExp(source: string): boolean {
  try {
    new RegExp(source, 'i');
    return true;
  } catch {
    return false;
  }
}

/** Keys accepted at each level, for "unknown option" messages. */
function acceptedAt(path: readonly PropertyKey[]): readonly string[] {
  if (path[0] === 'profiles' && path.length === 2) return Object.keys(profileOptionsSchema.shape);
  if (path[0] === 'backoff') return ['cooldown'];
  if (path[0] === 'roles') return ROLES;
  return Object.keys(agentsOptionsSchema.shape);
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const key of path) v = typeof v === 'object' && v !== null ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  return v;
}

/** `profiles.claude-code.argv` */
export function optionPath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/**
 * Validates the plugin's options where they enter. Returns them typed; throws a
 * `CONFIG_INVALID` {@link GuildError} naming each offending option, its value and what is
 * accepted (`guild:agents: option "profiles.x.maxConcurrent" must be at least 1 (got 0)`).
 */
export function parseAgentsOptions(input: unknown, where: string): z.output<typeof agentsOptionsSchema> {
  const result = agentsOptionsSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const messages = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => `"${k}"`).join(', ');
      const at = issue.path.length > 0 ? ` in "${optionPath(issue.path)}"` : '';
      return `${where}: unknown option${issue.keys.length > 1 ? 's' : ''} ${keys}${at}; accepted: ${acceptedAt(issue.path).join(', ')}`;
    }
    if (issue.path.length === 0) {
      return `${where}: options must be an object such as { profiles: { ... } } (got ${show(input)})`;
    }
    return `${where}: option "${optionPath(issue.path)}" ${issue.message} (got ${show(valueAt(input, issue.path))})`;
  });
  throw new GuildError('CONFIG_INVALID', messages[0]!, { cause: result.error, more: messages.slice(1) });
}

/** A value as the user wrote it, for messages. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  return JSON.stringify(value) ?? String(value);
}
