import { z } from '@guild/core';

/*
 * The parts of `bd --json` output guild reads (beads 1.0). Objects are loose: bd adds fields
 * from version to version, and guild ignores what it does not use.
 */

/** Dependency types that block an issue until their target is closed. */
export const BLOCKING_TYPES: ReadonlySet<string> = new Set(['blocks', 'conditional-blocks', 'waits-for']);
/** A child points at its parent with this type; it never blocks. */
export const PARENT_CHILD = 'parent-child';

/** A dependency record: `issue_id` depends on `depends_on_id`. */
export const bdDependencySchema = z.looseObject({
  issue_id: z.string(),
  depends_on_id: z.string(),
  type: z.string(),
});

const optionalText = z.string().optional();

/** An issue as `bd ready`, `bd list`, `bd update` and `bd close` print it (and a JSONL line). */
export const bdIssueSchema = z.looseObject({
  id: z.string().min(1),
  title: z.string(),
  description: optionalText,
  design: optionalText,
  acceptance_criteria: optionalText,
  status: z.string(),
  priority: z.int().min(0).max(4),
  issue_type: optionalText,
  assignee: optionalText,
  estimated_minutes: z.int().min(0).optional(),
  defer_until: optionalText,
  ephemeral: z.boolean().optional(),
  /** A raw JSON object (checked field by field where guild reads it). */
  metadata: z.unknown().optional(),
  labels: z.array(z.string()).optional(),
  dependencies: z.array(bdDependencySchema).optional(),
  /** Number of `blocks` dependencies (printed by `ready` and `list`). */
  dependency_count: z.int().optional(),
  parent: optionalText,
});

/** An issue as `bd show` prints it: its dependencies are the full issues plus `dependency_type`. */
export const bdShownIssueSchema = bdIssueSchema.extend({
  dependencies: z
    .array(z.looseObject({ id: z.string(), status: z.string(), assignee: optionalText, dependency_type: z.string() }))
    .optional(),
});

/** A comment, as `bd comments add` prints it. */
export const bdCommentSchema = z.looseObject({ issue_id: z.string(), text: z.string() });

/** An issue from `bd ready`, `bd list` or a JSONL line. */
export type BdIssue = z.output<typeof bdIssueSchema>;
/** An issue from `bd show`. */
export type BdShownIssue = z.output<typeof bdShownIssueSchema>;
