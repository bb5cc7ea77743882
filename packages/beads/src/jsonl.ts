import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { GuildError } from '@guild/core';
import { bdIssueSchema, type BdIssue } from './bd-schema';
import type { IssueGraph } from './dependencies';

/** An issue read from `.beads/issues.jsonl`, with its line. */
export interface JsonlIssue {
  issue: BdIssue;
  line: number;
}

/** Types bd never offers as ready work (epics do count as ready). */
const INFRASTRUCTURE = new Set(['gate', 'molecule', 'message', 'merge-request', 'agent', 'role', 'rig', 'convoy', 'event']);

/**
 * The beads workspace folder, found as `bd` finds it: `$BEADS_DIR`, else the folder of
 * `$BEADS_DB`, else a `.beads/` folder in `start` or above, up to the git root.
 */
export function findBeadsDir(start: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.BEADS_DIR) return path.resolve(start, env.BEADS_DIR);
  if (env.BEADS_DB) return path.dirname(path.resolve(start, env.BEADS_DB));
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, '.beads');
    if (existsSync(candidate) && statSync(candidate).isDirectory()) return candidate;
    if (existsSync(path.join(dir, '.git')) || path.dirname(dir) === dir) return undefined;
  }
}

/**
 * Reads a beads JSONL export: one JSON object per line; lines whose `_type` is not `issue` are
 * other records and skipped. Throws a `PLAN_SYNTAX` or `PLAN_INVALID` GuildError at file:line
 * for a line that is not JSON or not an issue.
 */
export async function readIssuesJsonl(file: string): Promise<JsonlIssue[]> {
  const text = await readFile(file, 'utf8');
  const out: JsonlIssue[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (cause) {
      throw new GuildError('PLAN_SYNTAX', `not a JSON line: ${raw.slice(0, 80)}; export again with bd export -o ${file}`, { location: { file, line }, cause });
    }
    const type = (value as { _type?: unknown } | null)?._type;
    if (type !== undefined && type !== 'issue') return;
    const parsed = bdIssueSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const at = issue.path.length > 0 ? ` (${issue.path.map(String).join('.')})` : '';
      throw new GuildError('PLAN_INVALID', `not a beads issue: ${issue.message}${at}`, { location: { file, line }, cause: parsed.error });
    }
    out.push({ issue: parsed.data, line });
  });
  return out;
}

/** Ready as bd computes it: open, not ephemeral, not infrastructure, not deferred, nothing open blocking. */
export async function isReadyIn(graph: IssueGraph, issue: BdIssue, now = Date.now()): Promise<boolean> {
  if (issue.status !== 'open' || issue.ephemeral || INFRASTRUCTURE.has(issue.issue_type ?? '')) return false;
  if (issue.defer_until && Date.parse(issue.defer_until) > now) return false;
  return (await graph.openBlockers(issue.id)).length === 0;
}
