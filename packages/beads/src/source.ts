import { existsSync } from 'node:fs';
import path from 'node:path';
import { GuildError, type Logger, type SourceContext, type TaskSource, type TaskSpec } from '@guild/core';
import { BdError, type BdClient } from './bd-client';
import { openIssues, readyIssues, showIssue, type IssueFilters } from './bd-commands';
import type { BdIssue } from './bd-schema';
import { IssueGraph, dependenciesWithin, nodeOf, nodeOfShown, planOpenGraph, type IssueNode } from './dependencies';
import { findBeadsDir, isReadyIn, readIssuesJsonl } from './jsonl';
import { issueToSpec, type IssueOrigin } from './mapping';
import type { ResolvedBeadsOptions } from './options';
import type { BeadsTracker } from './tracker';

/** What the beads source needs. */
export interface BeadsSourceOptions {
  options: ResolvedBeadsOptions;
  logger: Logger;
  /** The bd client for a folder, or `undefined` when bd is not installed. */
  bd: (cwd: string) => Promise<BdClient | undefined>;
  tracker: BeadsTracker;
}

/** An issue picked for the plan, with what is known of it. */
interface Picked {
  issue: BdIssue;
  node: IssueNode;
  origin?: IssueOrigin;
}

/** The candidates, and the graph that knows (or can look up) everything they wait for. */
interface Found {
  picked: Picked[];
  graph: IssueGraph;
}

const REFS = ['beads', 'beads:all-open'];

/**
 * The `beads` task source: `guild run beads` (or `--from beads`) plans the issues `bd ready`
 * lists; `beads:all-open` (or `--all-open`, or the option `allOpen`) every open issue, with the
 * dependencies among them. Without bd it reads `.beads/issues.jsonl` and only reads. Its sink
 * claims, closes and reopens issues (see {@link BeadsTracker}).
 */
export function beadsSource(o: BeadsSourceOptions): TaskSource {
  return {
    name: 'beads',
    accepts: (ref) => ref === 'beads' || ref.startsWith('beads:'),
    async load(ref, ctx: SourceContext) {
      if (!REFS.includes(ref)) {
        throw new GuildError('USAGE', `unknown beads source "${ref}"; use ${REFS.map((r) => `"${r}"`).join(' or ')}`);
      }
      const allOpen = ref === 'beads:all-open' || ctx.allOpen === true || o.options.allOpen;
      const beadsDir = findBeadsDir(ctx.root);
      const root = beadsDir ? path.dirname(beadsDir) : ctx.root;
      const bd = await o.bd(ctx.root);
      const wb = o.options.writeBack;
      const claim = bd !== undefined && (wb === 'always' || (wb === 'with-flag' && ctx.updateSource === true));
      if (!bd) o.logger.warn('bd is not on PATH: reading .beads/issues.jsonl read-only (issues are not claimed, closed or reopened)');
      const { picked, graph } = bd ? await fromBd(bd, o.options, allOpen) : await fromJsonl(beadsDir, o.options, allOpen);
      // Assigned issues stay in the graph (what waits for them waits for someone else).
      const candidates = claim ? leaveOutAssigned(picked, o.logger) : picked;
      const dependsOn = await dependenciesOf(candidates.map((p) => p.node), graph, allOpen, o.logger);
      const specs: TaskSpec[] = candidates
        .filter((p) => dependsOn.has(p.issue.id))
        .map((p) => issueToSpec(p.issue, dependsOn.get(p.issue.id)!, { allowRun: o.options.allowRun, claim }, p.origin));
      if (specs.length === 0) {
        const what = allOpen ? 'open issues' : 'issues ready to work on';
        throw new GuildError('PLAN_EMPTY', `beads: no ${what}${describeFilters(o.options)}; nothing to run`);
      }
      return { specs, root };
    },
    sink: o.tracker.sink,
  };
}

/**
 * What each candidate waits for. Ready work: only edges inside the selection (bd already left
 * out what is blocked). The whole open graph: see {@link planOpenGraph}; what it leaves out is
 * reported. A candidate missing from the result is not planned.
 */
async function dependenciesOf(nodes: IssueNode[], graph: IssueGraph, allOpen: boolean, logger: Logger): Promise<Map<string, string[]>> {
  if (!allOpen) return dependenciesWithin(nodes);
  const plan = await planOpenGraph(nodes, graph);
  for (const { id, reason } of plan.leftOut) logger.warn(`${id} is left out: ${reason}`);
  return plan.dependsOn;
}

/** Issues from bd: `bd ready` (or `bd list` for the whole open graph), `bd show` where needed. */
async function fromBd(bd: BdClient, opts: ResolvedBeadsOptions, allOpen: boolean): Promise<Found> {
  const issues = allOpen ? await openIssues(bd, opts) : await readyIssues(bd, opts);
  const picked: Picked[] = [];
  for (const issue of issues) {
    // Older bd prints counts without the dependency records: ask for them.
    const needShow = issue.dependencies === undefined && (issue.dependency_count ?? 0) > 0;
    picked.push({ issue, node: needShow ? nodeOfShown(await showIssue(bd, issue.id)) : nodeOf(issue) });
  }
  const lookup = async (id: string) => {
    try {
      return nodeOfShown(await showIssue(bd, id));
    } catch (e) {
      if (e instanceof BdError && /no issue found/i.test(e.detail)) return undefined;
      throw e;
    }
  };
  return { picked, graph: new IssueGraph(picked.map((p) => p.node), lookup) };
}

/** Issues from `.beads/issues.jsonl`, read-only, readiness computed as bd computes it. */
async function fromJsonl(beadsDir: string | undefined, opts: ResolvedBeadsOptions, allOpen: boolean): Promise<Found> {
  const file = beadsDir && path.join(beadsDir, 'issues.jsonl');
  if (!file || !existsSync(file)) {
    throw new GuildError(
      'PLAN_NOT_FOUND',
      `beads: bd is not on PATH and there is no ${file ?? '.beads/issues.jsonl'} to read; install beads (bd), or export the issues with bd export -o .beads/issues.jsonl`,
    );
  }
  const lines = await readIssuesJsonl(file);
  const graph = new IssueGraph(lines.map((l) => nodeOf(l.issue)));
  const picked: Picked[] = [];
  for (const { issue, line } of lines) {
    if (!matchesFilters(issue, opts)) continue;
    if (allOpen ? issue.status !== 'open' : !(await isReadyIn(graph, issue))) continue;
    picked.push({ issue, node: nodeOf(issue), origin: { file, line } });
  }
  // bd's order: priority first (a stable sort keeps the file's order within one).
  return { picked: picked.sort((a, b) => a.issue.priority - b.issue.priority), graph };
}

/** bd's filters, applied to JSONL issues. */
function matchesFilters(issue: BdIssue, f: IssueFilters): boolean {
  const labels = issue.labels ?? [];
  if (f.labels?.some((l) => !labels.includes(l))) return false;
  if (f.labelsAny?.length && !f.labelsAny.some((l) => labels.includes(l))) return false;
  if (f.types?.length && !f.types.includes(issue.issue_type ?? '')) return false;
  return f.assignee === undefined || issue.assignee === f.assignee;
}

/** With claims on, an issue assigned to someone cannot be claimed: leave it out, and say so. */
function leaveOutAssigned(picked: Picked[], logger: Logger): Picked[] {
  const assigned = picked.filter((p) => p.issue.assignee);
  if (assigned.length > 0) {
    const list = assigned.map((p) => `${p.issue.id} (${p.issue.assignee})`).join(', ');
    logger.info(`left out ${assigned.length} issue${assigned.length === 1 ? '' : 's'} assigned to someone, which a claim would not get: ${list}`);
  }
  return picked.filter((p) => !p.issue.assignee);
}

function describeFilters(f: IssueFilters): string {
  const parts = [
    f.labels?.length && `labels ${f.labels.join(', ')}`,
    f.labelsAny?.length && `any label of ${f.labelsAny.join(', ')}`,
    f.types?.length && `type ${f.types.join(' or ')}`,
    f.assignee && `assignee ${f.assignee}`,
  ].filter(Boolean);
  return parts.length > 0 ? ` with ${parts.join(', ')}` : '';
}
