import { z, GuildError, type ResourceSpec } from '@guild/core';

const text = (what: string) => z.string({ error: `must be ${what} (text)` }).min(1, { error: `must be ${what} (text)` });
const RESOURCE = 'must be a resource name or a { name, shared } object';
const list = (what: string) => z.array(text(`${/^[aeiou]/.test(what) ? 'an' : 'a'} ${what}`), { error: `must be a list of ${what}s` });

/**
 * The guild fields an issue's `metadata` may carry. Other keys belong to other tools and are
 * left alone.
 */
const guildMetadataSchema = z.looseObject({
  /** The runner or agent profile (`claude-code`, `codex`, ...). */
  agent: text('an agent name').optional(),
  /** Claude Code's name for the same thing; `agent` wins when both are set. */
  subagent_type: text('an agent name').optional(),
  fallback_agents: list('agent name').optional(),
  applicable_skills: list('skill name').optional(),
  writes: list('path').optional(),
  reads: list('path').optional(),
  resources: z
    .array(
      z.union([text('a resource name'), z.strictObject({ name: text('a resource name'), shared: z.boolean().optional() }, { error: RESOURCE })], {
        error: RESOURCE,
      }),
      { error: 'must be a list of resource names or { name, shared } objects' },
    )
    .optional(),
  /** A shell command: the issue is a shell task (honoured only with the plugin option `allowRun`). */
  run: text('a shell command').optional(),
});

/** The guild fields of one issue, validated. */
export interface GuildFields {
  agent?: string;
  fallbackAgents?: string[];
  skills?: string[];
  writes?: string[];
  reads?: string[];
  resources?: Array<string | ResourceSpec>;
  run?: string;
}

/**
 * Reads the guild fields of an issue's `metadata` (a JSON object; a JSON string holding one is
 * accepted too). Throws a `PLAN_INVALID` {@link GuildError} naming the issue, the field, the
 * value and what was expected.
 */
export function guildFields(issueId: string, metadata: unknown): GuildFields {
  if (metadata === undefined || metadata === null) return {};
  let value: unknown = metadata;
  if (typeof metadata === 'string') {
    try {
      value = JSON.parse(metadata);
    } catch (cause) {
      throw new GuildError('PLAN_INVALID', `issue ${issueId}: its metadata is not JSON (${JSON.stringify(metadata.slice(0, 80))}); fix it with bd update ${issueId} --metadata '{...}'`, { cause });
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GuildError('PLAN_INVALID', `issue ${issueId}: its metadata must be a JSON object (got ${JSON.stringify(value)})`);
  }
  const result = guildMetadataSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = issue.path.map(String).join('.');
    let got: unknown = value;
    for (const p of issue.path) got = (got as Record<PropertyKey, unknown> | undefined)?.[p];
    throw new GuildError(
      'PLAN_INVALID',
      `issue ${issueId}: metadata.${field} ${issue.message} (got ${JSON.stringify(got) ?? String(got)}); fix it with bd update ${issueId} --metadata '{...}'`,
      { cause: result.error },
    );
  }
  const m = result.data;
  return {
    agent: m.agent ?? m.subagent_type,
    fallbackAgents: m.fallback_agents,
    skills: m.applicable_skills,
    writes: m.writes,
    reads: m.reads,
    resources: m.resources,
    run: m.run,
  };
}
