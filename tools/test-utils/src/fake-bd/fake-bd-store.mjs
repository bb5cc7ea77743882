// The state behind the fake `bd`: one JSON file (FAKE_BD_STATE, else `.beads/fake-bd.json`
// found by walking up from the working folder), read and written under a lock so concurrent
// `bd` processes see one consistent tracker, as the real single-writer database does. Also
// bd's notion of readiness and the exact JSON shapes it prints (see the beads reference).
import { existsSync, mkdirSync, readFileSync, renameSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';

/** Dependency types that block, as bd computes readiness. */
export const BLOCKING = new Set(['blocks', 'conditional-blocks', 'waits-for']);
/** Types bd never offers as ready work (epics do count as ready). */
const INFRASTRUCTURE = new Set(['gate', 'molecule', 'message', 'merge-request', 'agent', 'role', 'rig', 'convoy', 'event']);

/** Field order of bd's Issue struct, which is the order `--json` prints them in. */
const ISSUE_ORDER = [
  'id', 'title', 'description', 'design', 'acceptance_criteria', 'notes', 'status', 'priority', 'issue_type',
  'assignee', 'owner', 'estimated_minutes', 'created_at', 'created_by', 'updated_at', 'started_at', 'closed_at',
  'close_reason', 'defer_until', 'external_ref', 'ephemeral', 'metadata', 'labels', 'dependencies', 'comments',
];

/** RFC 3339 UTC with whole seconds, as bd prints timestamps. */
export const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A failure that ends the process: `stream` gets `message`, the exit code is `code`. */
export class Exit extends Error {
  constructor(message, code = 1, stream = 'stderr') {
    super(message);
    this.code = code;
    this.stream = stream;
  }
}

/** Where the state file is: FAKE_BD_STATE, else `.beads/fake-bd.json` in this folder or above. */
export function statePath() {
  if (process.env.FAKE_BD_STATE) return process.env.FAKE_BD_STATE;
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, '.beads', 'fake-bd.json');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new Exit('Error: no beads database found\nHint: run \'bd init\' to create a database in the current directory');
}

const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Runs `fn(state)` holding the database lock, then saves the state atomically (also when `fn`
 * throws). Waits up to
 * FAKE_BD_LOCK_WAIT_MS (default 3000) for another process's lock, then fails the way a busy
 * database does.
 */
export function withState(fn) {
  const file = statePath();
  const lock = `${file}.lock`;
  const deadline = Date.now() + Number(process.env.FAKE_BD_LOCK_WAIT_MS ?? 3000);
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      // A lock left by a killed process is stale after a while.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 15_000) rmdirSync(lock);
      } catch {
        // gone already
      }
      if (Date.now() > deadline) throw new Exit('Error: failed to open database: database is locked');
      sleepSync(5 + Math.floor(Math.random() * 10));
    }
  }
  try {
    const state = JSON.parse(readFileSync(file, 'utf8'));
    state.issues ??= [];
    try {
      return fn(state);
    } finally {
      // Also after a failure: the call log and used-up faults must stick (commands validate
      // before they change anything).
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
      renameSync(tmp, file);
    }
  } finally {
    rmdirSync(lock);
  }
}

/** The issue with this id, or the error bd prints when there is none. */
export function find(state, id) {
  const issue = state.issues.find((i) => i.id === id);
  if (!issue) throw new Exit(`no issue found matching "${id}"`);
  return issue;
}

const isClosed = (state, id) => state.issues.find((i) => i.id === id)?.status === 'closed';

/** Open blockers of an issue: targets of its blocking dependencies that are not closed. */
export function openBlockers(state, issue) {
  return (issue.dependencies ?? []).filter((d) => BLOCKING.has(d.type) && !isClosed(state, d.depends_on_id)).map((d) => d.depends_on_id);
}

/** The parent an issue points at with `parent-child`, if any. */
export const parentOf = (issue) => (issue.dependencies ?? []).find((d) => d.type === 'parent-child')?.depends_on_id;

/** Blocked as bd sees it: an open blocker, or a blocked parent (an open parent alone does not block). */
export function isBlocked(state, issue, seen = new Set()) {
  if (openBlockers(state, issue).length > 0) return true;
  const parent = parentOf(issue);
  if (parent === undefined || seen.has(parent)) return false;
  seen.add(issue.id);
  const p = state.issues.find((i) => i.id === parent);
  return p !== undefined && isBlocked(state, p, seen);
}

/** bd's ready work: open, not ephemeral, not infrastructure, not deferred, not blocked. */
export function isReady(state, issue) {
  if (issue.status !== 'open' || issue.ephemeral || INFRASTRUCTURE.has(issue.issue_type)) return false;
  if (issue.defer_until && Date.parse(issue.defer_until) > Date.now()) return false;
  return !isBlocked(state, issue);
}

/** `ready`/`list` filters: labels (all), labels-any, type, assignee, unassigned. */
export function matches(issue, f) {
  const labels = issue.labels ?? [];
  if (f.labels.some((l) => !labels.includes(l))) return false;
  if (f.labelsAny.length > 0 && !f.labelsAny.some((l) => labels.includes(l))) return false;
  if (f.type && issue.issue_type !== f.type) return false;
  if (f.assignee && issue.assignee !== f.assignee) return false;
  if (f.unassigned && issue.assignee) return false;
  return true;
}

/** Priority first, then oldest (bd's default `priority` sort policy). */
export const byPriority = (a, b) =>
  a.priority - b.priority || String(a.created_at).localeCompare(String(b.created_at)) || a.id.localeCompare(b.id);

/** An issue's fields in bd's order, empty strings and empty collections left out. */
export function ordered(issue, omit = []) {
  const out = {};
  const keys = [...ISSUE_ORDER, ...Object.keys(issue).filter((k) => !ISSUE_ORDER.includes(k))];
  for (const key of keys) {
    if (omit.includes(key) || !(key in issue)) continue;
    const v = issue[key];
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[key] = v;
  }
  return out;
}

/**
 * An issue as `ready` and `list` print it: dependency records plus counts and parent (with
 * `legacyOutput` in the state, the counts alone, as bd before 1.0 printed them).
 */
export function withCounts(state, issue) {
  const blocks = (d) => d.type === 'blocks';
  const out = ordered(issue, state.legacyOutput ? ['comments', 'dependencies'] : ['comments']);
  out.dependency_count = (issue.dependencies ?? []).filter(blocks).length;
  out.dependent_count = state.issues.filter((i) => (i.dependencies ?? []).some((d) => blocks(d) && d.depends_on_id === issue.id)).length;
  out.comment_count = (issue.comments ?? []).length;
  const parent = parentOf(issue);
  if (parent !== undefined) out.parent = parent;
  return out;
}

/** An issue as `show` prints it: its dependencies are the full issues plus `dependency_type`. */
export function shown(state, issue) {
  const out = ordered(issue, ['dependencies']);
  const deps = (issue.dependencies ?? [])
    .map((d) => {
      const target = state.issues.find((i) => i.id === d.depends_on_id);
      return target ? { ...ordered(target, ['dependencies', 'comments']), dependency_type: d.type } : undefined;
    })
    .filter(Boolean);
  if (deps.length > 0) {
    // Keep bd's key order: dependencies come before comments.
    const { comments, ...rest } = out;
    return comments ? { ...rest, dependencies: deps, comments } : { ...rest, dependencies: deps };
  }
  return out;
}

/** Sorted keys, for a single object printed with `schema_version` added. */
export function sortedKeys(obj) {
  return Object.fromEntries(Object.keys(obj).sort().map((k) => [k, obj[k]]));
}
