import { z } from '@guild/core';
import { BdError, type BdClient } from './bd-client';
import { bdCommentSchema, bdIssueSchema, bdShownIssueSchema, type BdIssue, type BdShownIssue } from './bd-schema';

/*
 * The `bd` commands guild uses, with the exact flags of beads 1.0. Values always go as
 * `--flag=value` and free text after `--`, so text that starts with "-" is never a flag.
 */

/** Filters passed through to `bd ready` / `bd list`. */
export interface IssueFilters {
  labels?: readonly string[];
  labelsAny?: readonly string[];
  types?: readonly string[];
  assignee?: string;
}

const issues = z.array(bdIssueSchema);

function filterArgs(f: IssueFilters, type: string | undefined): string[] {
  const args: string[] = [];
  for (const l of f.labels ?? []) args.push(`--label=${l}`);
  if (f.labelsAny?.length) args.push(`--label-any=${f.labelsAny.join(',')}`);
  if (type !== undefined) args.push(`--type=${type}`);
  if (f.assignee !== undefined) args.push(`--assignee=${f.assignee}`);
  return args;
}

/** Runs `query` once per type (bd takes one `--type`), merging the lists in priority order. */
async function perType(f: IssueFilters, query: (type: string | undefined) => Promise<BdIssue[]>): Promise<BdIssue[]> {
  if (!f.types?.length) return query(undefined);
  const seen = new Set<string>();
  const all: BdIssue[] = [];
  for (const type of f.types) {
    for (const issue of await query(type)) {
      if (!seen.has(issue.id)) all.push(issue);
      seen.add(issue.id);
    }
  }
  // A stable sort keeps bd's own order within a priority.
  return all.sort((a, b) => a.priority - b.priority);
}

/** `bd ready --json --limit 0`: the issues that may be worked on now (open, nothing open blocking). */
export function readyIssues(bd: BdClient, f: IssueFilters): Promise<BdIssue[]> {
  return perType(f, (type) => bd.json(['ready', '--limit=0', ...filterArgs(f, type)], issues));
}

/** `bd list --json --limit 0 --status open`: every open issue, ready or not. */
export function openIssues(bd: BdClient, f: IssueFilters): Promise<BdIssue[]> {
  return perType(f, (type) => bd.json(['list', '--status=open', '--limit=0', ...filterArgs(f, type)], issues));
}

/** `bd show <id> --json`: one issue, its dependencies as full issues with `dependency_type`. */
export async function showIssue(bd: BdClient, id: string): Promise<BdShownIssue> {
  const [issue] = await bd.json(['show', '--', id], z.array(bdShownIssueSchema).length(1, { error: 'expected an array of one issue' }));
  return issue!;
}

/** How a claim went: ours now, or not, and why (`claimed by <actor>`, `not open (its status is closed)`). */
export type ClaimOutcome = { claimed: true } | { claimed: false; reason: string };

const CLAIM_LOST = /issue already claimed by (.+)$|issue not claimable: status (\S+)/m;

/**
 * `bd update <id> --claim --json --actor=<actor>`: compare-and-swap from open and unassigned
 * (or already ours) to in_progress and assigned to `actor`. A lost race is an outcome, not an
 * error; any other failure throws a {@link BdError}.
 */
export async function claimIssue(bd: BdClient, id: string, actor: string): Promise<ClaimOutcome> {
  try {
    await bd.json(['update', '--claim', `--actor=${actor}`, '--', id], issues);
    return { claimed: true };
  } catch (e) {
    const lost = e instanceof BdError && e.exitCode === 1 ? CLAIM_LOST.exec(e.detail) : null;
    if (!lost) throw e;
    return { claimed: false, reason: lost[1] !== undefined ? `claimed by ${lost[1].trim()}` : `not open (its status is ${lost[2]})` };
  }
}

/** `bd close <id> --reason=<text> --json --actor=<actor>`. */
export async function closeIssue(bd: BdClient, id: string, reason: string, actor: string): Promise<void> {
  await bd.json(['close', `--reason=${reason}`, `--actor=${actor}`, '--', id], issues);
}

/** `bd update <id> --status=open --assignee= --json --actor=<actor>`: back in the queue, unassigned. */
export async function reopenIssue(bd: BdClient, id: string, actor: string): Promise<void> {
  await bd.json(['update', '--status=open', '--assignee=', `--actor=${actor}`, '--', id], issues);
}

/** `bd comments add <id> <text> --json --actor=<actor>`. */
export async function commentOn(bd: BdClient, id: string, text: string, actor: string): Promise<void> {
  await bd.json(['comments', 'add', `--actor=${actor}`, '--', id, text], bdCommentSchema);
}

/** A new issue, for work found while doing another. */
export interface NewIssue {
  title: string;
  description?: string;
  /** Issue type (default `task`). */
  type?: string;
  /** 0..4 (default 2). */
  priority?: number;
  labels?: readonly string[];
  /** The issue whose work found this one: linked with a `discovered-from` dependency. */
  discoveredFrom: string;
}

/** `bd create <title> ... --deps=discovered-from:<id> --json`; returns the new issue. */
export function createIssue(bd: BdClient, issue: NewIssue, actor: string): Promise<BdIssue> {
  const args = ['create', `--type=${issue.type ?? 'task'}`, `--priority=${issue.priority ?? 2}`, `--deps=discovered-from:${issue.discoveredFrom}`, `--actor=${actor}`];
  if (issue.description !== undefined) args.push(`--description=${issue.description}`);
  if (issue.labels?.length) args.push(`--labels=${issue.labels.join(',')}`);
  return bd.json([...args, '--', issue.title], bdIssueSchema);
}
