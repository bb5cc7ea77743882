import { GuildError, TASK_ID, type Priority, type TaskSpec } from '@guild/core';
import { PARENT_CHILD, type BdIssue } from './bd-schema';
import { defined } from './defined';
import { guildFields } from './metadata';

/** What a beads task carries in `spec.meta.beads`. */
export interface BeadsTaskMeta {
  /** The issue id (also the task id). */
  id: string;
  /** Whether a run claims the issue on start and closes or reopens it at the end. */
  claim: boolean;
  status: string;
  type?: string;
  labels?: string[];
  assignee?: string;
  parent?: string;
}

/** How issues become tasks. */
export interface MappingOptions {
  /** Honour `metadata.run` (a shell command). */
  allowRun: boolean;
  /** Claim, close and reopen the issues (see {@link BeadsTaskMeta.claim}). */
  claim: boolean;
}

/** Where an issue was read from, when it was a file. */
export interface IssueOrigin {
  file: string;
  line: number;
}

/**
 * Turns an issue into a task: id, title, priority (0..4 as is), description (+ design),
 * acceptance criteria (one per line), `estimated_minutes` as seconds, labels and the issue's
 * state in `meta.beads`, and the guild fields of its metadata. An issue without `metadata.run`
 * is an agent task whose prompt is its title (agent runners add the description and the
 * acceptance criteria). Throws a `PLAN_INVALID` GuildError naming the issue when its id or
 * metadata cannot be used.
 */
export function issueToSpec(issue: BdIssue, dependsOn: readonly string[], o: MappingOptions, origin?: IssueOrigin): TaskSpec {
  if (!TASK_ID.test(issue.id)) {
    throw new GuildError('PLAN_INVALID', `issue "${issue.id}": guild task ids hold letters, digits, ".", "_", ":" and "-" and start with a letter or digit`);
  }
  const fields = guildFields(issue.id, issue.metadata);
  if (fields.run !== undefined && !o.allowRun) {
    throw new GuildError(
      'PLAN_INVALID',
      `issue ${issue.id}: metadata.run is a shell command, and guild runs commands taken from a tracker only when the beads plugin has the option allowRun: true; set it only if everyone who can edit this tracker may run commands on this machine, or remove "run" to make the issue an agent task`,
    );
  }
  const description = [issue.description, issue.design && `Design:\n${issue.design}`].filter(Boolean).join('\n\n');
  const acceptance = acceptanceItems(issue.acceptance_criteria);
  const meta: BeadsTaskMeta = {
    id: issue.id,
    claim: o.claim,
    status: issue.status,
    type: issue.issue_type,
    labels: issue.labels?.length ? issue.labels : undefined,
    assignee: issue.assignee || undefined,
    parent: parentOf(issue),
  };
  return defined({
    id: issue.id,
    title: issue.title,
    ...(fields.run !== undefined ? { run: fields.run } : { prompt: issue.title }),
    description: description || undefined,
    acceptance: acceptance.length > 0 ? acceptance : undefined,
    agent: fields.agent,
    fallbackAgents: fields.fallbackAgents,
    skills: fields.skills,
    writes: fields.writes,
    reads: fields.reads,
    resources: fields.resources,
    priority: issue.priority as Priority,
    estimate: issue.estimated_minutes ? issue.estimated_minutes * 60 : undefined,
    dependsOn: dependsOn.length > 0 ? [...dependsOn] : undefined,
    meta: { beads: defined(meta) },
    origin: { source: 'beads', ref: issue.id, ...origin },
  });
}

/** The issue's parent: its `parent` field, else the target of its `parent-child` dependency. */
export function parentOf(issue: BdIssue): string | undefined {
  return issue.parent || issue.dependencies?.find((d) => d.type === PARENT_CHILD)?.depends_on_id;
}

/** Acceptance criteria as a list: one item per line, list markers and checkboxes dropped. */
export function acceptanceItems(text: string | undefined): string[] {
  return (text ?? '')
    .split('\n')
    .map((line) => line.replace(/^\s*(?:[-*+]|\d+[.)])?\s*(?:\[[ xX]\]\s*)?/, '').trim())
    .filter((line) => line !== '');
}
