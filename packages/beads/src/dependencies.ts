import { BLOCKING_TYPES, PARENT_CHILD, type BdIssue, type BdShownIssue } from './bd-schema';
import { parentOf } from './mapping';

/** What planning needs to know of an issue. */
export interface IssueNode {
  id: string;
  status: string;
  assignee?: string;
  /** Targets of its blocking dependencies (`blocks`, `conditional-blocks`, `waits-for`). */
  blockers: string[];
  parent?: string;
}

/** Finds an issue outside the selection (`bd show`, or the JSONL file); `undefined` if there is none. */
export type IssueLookup = (id: string) => Promise<IssueNode | undefined>;

/** An issue from `bd ready`, `bd list` or JSONL, as a node (its dependency records). */
export function nodeOf(issue: BdIssue): IssueNode {
  const blockers = (issue.dependencies ?? []).filter((d) => BLOCKING_TYPES.has(d.type)).map((d) => d.depends_on_id);
  return { id: issue.id, status: issue.status, assignee: issue.assignee || undefined, blockers, parent: parentOf(issue) };
}

/** An issue from `bd show`, as a node (its dependencies are full issues with `dependency_type`). */
export function nodeOfShown(issue: BdShownIssue): IssueNode {
  const deps = issue.dependencies ?? [];
  return {
    id: issue.id,
    status: issue.status,
    assignee: issue.assignee || undefined,
    blockers: deps.filter((d) => BLOCKING_TYPES.has(d.dependency_type)).map((d) => d.id),
    parent: issue.parent || deps.find((d) => d.dependency_type === PARENT_CHILD)?.id,
  };
}

/**
 * The issues guild knows, and how to find the others. Blocking follows bd: an issue waits for
 * the targets of its blocking dependencies and, through `parent-child`, for those of its
 * ancestors (an open parent alone blocks nothing).
 */
export class IssueGraph {
  private readonly known = new Map<string, Promise<IssueNode | undefined>>();

  constructor(nodes: Iterable<IssueNode>, private readonly lookup: IssueLookup = async () => undefined) {
    for (const n of nodes) this.known.set(n.id, Promise.resolve(n));
  }

  /** The issue, looked up (once) if it is not known yet. */
  node(id: string): Promise<IssueNode | undefined> {
    let found = this.known.get(id);
    if (!found) this.known.set(id, (found = this.lookup(id)));
    return found;
  }

  /** Everything the issue waits for: its own blockers, then its open ancestors' (nearest first). */
  async effectiveBlockers(id: string): Promise<string[]> {
    const out = new Set<string>();
    const seen = new Set<string>();
    for (let node = await this.node(id); node && !seen.has(node.id); ) {
      seen.add(node.id);
      for (const b of node.blockers) if (b !== id) out.add(b);
      const parent: IssueNode | undefined = node.parent === undefined ? undefined : await this.node(node.parent);
      node = parent?.status === 'closed' ? undefined : parent;
    }
    return [...out];
  }

  /** The issues it waits for that are not closed (unknown ids block nothing). */
  async openBlockers(id: string): Promise<IssueNode[]> {
    const out: IssueNode[] = [];
    for (const b of await this.effectiveBlockers(id)) {
      const node = await this.node(b);
      if (node && node.status !== 'closed') out.push(node);
    }
    return out;
  }
}

/** Ready work: bd already left out what is blocked, so only edges inside the selection count. */
export function dependenciesWithin(selected: readonly IssueNode[]): Map<string, string[]> {
  const ids = new Set(selected.map((n) => n.id));
  return new Map(selected.map((n) => [n.id, n.blockers.filter((b) => ids.has(b) && b !== n.id)]));
}

/** The dependencies of a whole open graph, and the issues that cannot be in it. */
export interface OpenGraphPlan {
  /** For each planned issue, the planned issues it waits for. */
  dependsOn: Map<string, string[]>;
  /** Issues left out, each with the reason, in selection order. */
  leftOut: Array<{ id: string; reason: string }>;
}

/**
 * Plans every selected issue with what it waits for: a blocker inside the selection becomes a
 * dependency; a closed one outside is dropped; an open one outside (claimed by someone, filtered
 * out, deferred, ...) cannot be waited for by this run, so the issue is left out, and so is
 * everything in the selection that waits for it. A cycle is kept for the plan to report.
 */
export async function planOpenGraph(selected: readonly IssueNode[], graph: IssueGraph): Promise<OpenGraphPlan> {
  const inSet = new Set(selected.map((n) => n.id));
  const verdicts = new Map<string, string | null>();
  const dependsOn = new Map<string, string[]>();
  const visiting = new Set<string>();

  const judge = async (id: string): Promise<string | null> => {
    const known = verdicts.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return null;
    visiting.add(id);
    const deps: string[] = [];
    let reason: string | null = null;
    for (const b of await graph.effectiveBlockers(id)) {
      if (inSet.has(b)) {
        if ((await judge(b)) !== null) reason = `it waits for ${b}, which is left out`;
        else deps.push(b);
      } else {
        const node = await graph.node(b);
        if (node && node.status !== 'closed') {
          const who = node.assignee ? `, assigned to ${node.assignee}` : '';
          reason = `it waits for ${b} (${node.status}${who}), which is not in this plan`;
        }
      }
      if (reason !== null) break;
    }
    visiting.delete(id);
    verdicts.set(id, reason);
    if (reason === null) dependsOn.set(id, deps);
    return reason;
  };

  const leftOut: OpenGraphPlan['leftOut'] = [];
  for (const n of selected) {
    const reason = await judge(n.id);
    if (reason !== null) leftOut.push({ id: n.id, reason });
  }
  return { dependsOn, leftOut };
}
