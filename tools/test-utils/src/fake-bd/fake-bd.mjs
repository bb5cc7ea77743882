#!/usr/bin/env node
// A stand-in for the beads CLI (`bd` 1.0.5) that keeps its tracker in a JSON file and prints
// exactly what the real one prints with --json (see shared/reference/beads.md): arrays as they
// are, a single object with "schema_version": 1 and sorted keys, BD_JSON_ENVELOPE=1 wrapping,
// errors with exit code 1 on stderr (`Error ...`) or as {"error": ...} on stdout.
//
// Commands: ready, list, show, update (--claim, --status, --assignee, --notes, --append-notes),
// close, comments [add], comment, create, dep tree|add, version. Global flags: --json,
// --actor, --db, -C/--directory, --readonly, -q; the removed --no-daemon/--no-db fail.
//
// Test controls, in the state file: "faults": [{ "command": "update", "id"?: "bd-1",
// "kind": "locked" | "not-json" | "wrong-shape" | "crash", "times": 1 }] makes the next
// matching calls fail that way; every call is appended to "calls" as { argv, actor };
// "legacyOutput": true makes ready/list print counts without dependency records (bd < 1.0).
// Environment: FAKE_BD_TRACE=<file> appends "<pid> start|end <ms>" per process (to check
// that callers serialise), FAKE_BD_DELAY_MS delays each call before it takes the lock.
import { appendFileSync } from 'node:fs';
import process from 'node:process';
import {
  Exit, byPriority, find, isReady, matches, now, openBlockers, ordered, shown, sortedKeys, withCounts, withState,
} from './fake-bd-store.mjs';

const VERSION = '1.0.5';
const WRITES = new Set(['update', 'close', 'create', 'comment', 'comments add', 'dep add']);

// Options each command takes: value options (with their shorthand) and boolean ones.
const GLOBAL = { values: { actor: null, db: null, directory: 'C' }, bools: { json: null, readonly: null, quiet: 'q', help: 'h' } };
const COMMANDS = {
  ready: {
    values: { limit: 'n', priority: 'p', assignee: 'a', sort: 's', label: 'l', 'label-any': null, type: 't', parent: null },
    bools: { unassigned: 'u', claim: null, 'include-deferred': null, pretty: null, plain: null },
    slices: ['label', 'label-any'],
  },
  list: {
    values: { limit: 'n', status: 's', assignee: 'a', label: 'l', 'label-any': null, type: 't' },
    bools: { all: null },
    slices: ['label', 'label-any'],
  },
  show: { values: {}, bools: {} },
  update: {
    values: { status: 's', assignee: 'a', notes: null, 'append-notes': null, priority: 'p', title: null, description: 'd' },
    bools: { claim: null, force: null },
  },
  close: { values: { reason: 'r' }, bools: { force: null } },
  comments: { values: {}, bools: {} },
  comment: { values: {}, bools: {} },
  create: {
    values: { description: 'd', type: 't', priority: 'p', parent: null, deps: null, labels: 'l', assignee: 'a', estimate: 'e', metadata: null },
    bools: {},
  },
  dep: { values: { type: 't' }, bools: {} },
  version: { values: {}, bools: {} },
};

function main() {
  trace('start');
  const argv = process.argv.slice(2);
  let json = false;
  try {
    const { command, opts, args } = parse(argv);
    json = opts.json === true;
    if (opts.version || command === 'version') return print(`bd version ${VERSION} (fake)\n`, 0);
    const delay = Number(process.env.FAKE_BD_DELAY_MS ?? 0);
    if (delay > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, delay);
    const sub = command === 'comments' && args[0] === 'add' ? 'comments add' : command === 'dep' ? `dep ${args[0]}` : command;
    if (opts.readonly && WRITES.has(sub)) throw new Exit(`Error: ${command} is not allowed in read-only mode (--readonly)`);
    const actor = opts.actor ?? process.env.BEADS_ACTOR ?? process.env.BD_ACTOR ?? process.env.USER ?? 'unknown';
    const out = withState((state) => {
      (state.calls ??= []).push({ argv, actor });
      fault(state, command, args);
      return run(state, command, args, opts, actor);
    });
    emit(out, json);
  } catch (e) {
    if (!(e instanceof Exit)) throw e;
    if (e.stream === 'stdout-json') return json ? emitError(e.message) : print(`Error: ${e.message}\n`, e.code, 'stderr');
    print(`${e.message}\n`, e.code, e.stream === 'stdout' ? 'stdout' : 'stderr');
  }
}

/** Appends `<pid> start|end <ms>` to FAKE_BD_TRACE, if set. */
function trace(edge) {
  if (process.env.FAKE_BD_TRACE) appendFileSync(process.env.FAKE_BD_TRACE, `${process.pid} ${edge} ${Date.now()}\n`);
}

function print(text, code, stream = 'stdout') {
  process[stream].write(text, () => {
    trace('end');
    process.exit(code);
  });
}

/**
 * Prints a result: `{ value?, single?, stderr?, code? }`. Single objects get schema_version;
 * without a value (every id of a per-id command failed) nothing goes to stdout.
 */
function emit(out, json) {
  if (out.stderr) process.stderr.write(out.stderr);
  if (out.value === undefined) return print('', out.code ?? 0);
  if (!json) return print(`${JSON.stringify(out.value)}\n`, out.code ?? 0);
  let value = out.value;
  if (process.env.BD_JSON_ENVELOPE === '1') value = { schema_version: 1, data: value };
  else if (out.single) value = sortedKeys({ ...value, schema_version: 1 });
  print(`${JSON.stringify(value, null, 2)}\n`, out.code ?? 0);
}

function emitError(message) {
  const body = process.env.BD_JSON_ENVELOPE === '1' ? { schema_version: 1, data: { error: message } } : { error: message, schema_version: 1 };
  print(`${JSON.stringify(body, null, 2)}\n`, 1);
}

/** Splits argv like cobra/pflag: global and command options anywhere, `--` ends options. */
function parse(argv) {
  const opts = {};
  const args = [];
  let command;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      if (command === undefined) {
        if (!(arg in COMMANDS)) throw new Exit(`Error: unknown command "${arg}" for "bd"\nRun 'bd --help' for usage.`);
        command = arg;
      } else args.push(arg);
      continue;
    }
    if (arg === '--version' || arg === '-v') {
      opts.version = true;
      continue;
    }
    const spec = COMMANDS[command] ?? { values: {}, bools: {} };
    const values = { ...GLOBAL.values, ...spec.values };
    const bools = { ...GLOBAL.bools, ...spec.bools };
    const long = arg.startsWith('--');
    const eq = arg.indexOf('=');
    let name = long ? arg.slice(2, eq > 0 ? eq : undefined) : arg.slice(1, 2);
    if (!long) {
      const full = [...Object.entries(values), ...Object.entries(bools)].find(([, short]) => short === name)?.[0];
      if (full === undefined) throw new Exit(`Error: unknown shorthand flag: '${name}' in ${arg}`);
      name = full;
    }
    const inline = long ? (eq > 0 ? arg.slice(eq + 1) : undefined) : arg.length > 2 ? arg.slice(arg[2] === '=' ? 3 : 2) : undefined;
    if (name in bools) {
      opts[name] = inline === undefined ? true : inline !== 'false';
    } else if (name in values) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new Exit(`Error: flag needs an argument: ${arg}`);
      if (spec.slices?.includes(name)) (opts[name] ??= []).push(...value.split(',').map((s) => s.trim()).filter(Boolean));
      else opts[name] = value;
    } else {
      throw new Exit(`Error: unknown flag: --${name}`);
    }
  }
  if (command === undefined && !opts.version) throw new Exit('Error: no command given\nRun \'bd --help\' for usage.');
  return { command, opts, args };
}

/** Fails this call as a queued fault says (and uses it up). */
function fault(state, command, args) {
  const faults = state.faults ?? [];
  const f = faults.find((x) => (x.command === command || x.command === '*') && (x.id === undefined || args.includes(x.id)));
  if (!f) return;
  f.times = (f.times ?? 1) - 1;
  if (f.times <= 0) faults.splice(faults.indexOf(f), 1);
  switch (f.kind) {
    case 'locked':
      throw new Exit('Error: failed to open database: database is locked');
    case 'not-json':
      throw new Exit('Dolt server is starting, please wait...\n{"id": ', 0, 'stdout');
    case 'wrong-shape':
      throw new Exit(JSON.stringify({ issues: 'none', schema_version: 1 }, null, 2), 0, 'stdout');
    case 'crash':
      throw new Exit('panic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV: segmentation violation]', 2);
    default:
      throw new Exit(`fake bd: unknown fault kind "${f.kind}"`, 3);
  }
}

function run(state, command, args, opts, actor) {
  switch (command) {
    case 'ready':
      return ready(state, opts, actor);
    case 'list':
      return list(state, opts);
    case 'show':
      return show(state, args);
    case 'update':
      return update(state, args, opts, actor);
    case 'close':
      return close(state, args, opts);
    case 'comments':
      return args[0] === 'add' ? addComment(state, args.slice(1), actor) : listComments(state, args);
    case 'comment':
      return addComment(state, args, actor);
    case 'create':
      return create(state, args, opts, actor);
    case 'dep':
      return dep(state, args, opts, actor);
    default:
      throw new Exit(`Error: unknown command "${command}" for "bd"`);
  }
}

const filtersOf = (opts) => ({
  labels: opts.label ?? [],
  labelsAny: opts['label-any'] ?? [],
  type: opts.type,
  assignee: opts.assignee,
  unassigned: opts.unassigned === true,
});

/** Applies --limit (default `fallback`; 0 means all) and says on stderr when it cut the list. */
function limited(issues, opts, fallback, what) {
  const limit = opts.limit === undefined ? fallback : Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 0) throw new Exit(`Error: invalid argument "${opts.limit}" for "-n, --limit" flag`);
  if (limit === 0 || issues.length <= limit) return { shown: issues };
  return {
    shown: issues.slice(0, limit),
    stderr: `Showing ${limit} of ${issues.length} ${what}. Use --limit 0 for all, or --limit N to raise the cap.\n`,
  };
}

function ready(state, opts, actor) {
  if (opts.claim && opts.assignee) throw new Exit('--claim cannot be combined with --assignee', 1, 'stdout-json');
  const f = filtersOf(opts);
  const all = state.issues.filter((i) => isReady(state, i) && matches(i, f)).sort(byPriority);
  if (opts.claim) {
    const first = all.find((i) => !i.assignee);
    if (!first) return { value: [] };
    Object.assign(first, { status: 'in_progress', assignee: actor, started_at: now(), updated_at: now() });
    return { value: [withCounts(state, first)] };
  }
  const { shown: out, stderr } = limited(all, opts, 100, 'ready issues');
  return { value: out.map((i) => withCounts(state, i)), stderr };
}

function list(state, opts) {
  const statuses = opts.status ? opts.status.split(',').map((s) => s.trim()) : undefined;
  const f = filtersOf(opts);
  const all = state.issues
    .filter((i) => (statuses ? statuses.includes(i.status) : opts.all || i.status !== 'closed') && matches(i, f))
    .sort(byPriority);
  const { shown: out, stderr } = limited(all, opts, 50, 'issues');
  return { value: out.map((i) => withCounts(state, i)), stderr };
}

function show(state, ids) {
  if (ids.length === 0) throw new Exit('Error: requires at least 1 arg(s), only received 0');
  return { value: ids.map((id) => shown(state, findOrJsonError(state, id))) };
}

function findOrJsonError(state, id) {
  try {
    return find(state, id);
  } catch (e) {
    throw new Exit(e.message, 1, 'stdout-json');
  }
}

const NO_ID = 'no issue ID provided (the last-touched fallback only applies in interactive sessions; pass an explicit issue ID or set BD_LAST_TOUCHED_FALLBACK=1)';

function update(state, ids, opts, actor) {
  if (ids.length === 0) throw new Exit(NO_ID, 1, 'stdout-json');
  if (opts.notes !== undefined && opts['append-notes'] !== undefined) {
    throw new Exit('cannot specify both --notes and --append-notes', 1, 'stdout-json');
  }
  const updated = [];
  const errors = [];
  for (const id of ids) {
    const issue = state.issues.find((i) => i.id === id);
    if (!issue) {
      errors.push(`Error resolving ${id}: no issue found matching "${id}"`);
      continue;
    }
    if (opts.claim) {
      const ours = issue.assignee === actor;
      if (!(ours && issue.status === 'in_progress')) {
        if (issue.assignee && !ours) {
          errors.push(`Error claiming ${id}: issue already claimed by ${issue.assignee}`);
          continue;
        }
        if (issue.status !== 'open') {
          errors.push(`Error claiming ${id}: issue not claimable: status ${issue.status}`);
          continue;
        }
        Object.assign(issue, { status: 'in_progress', assignee: actor, started_at: now() });
      }
    }
    if (opts.status !== undefined) issue.status = opts.status;
    if (opts.assignee !== undefined) issue.assignee = opts.assignee || undefined;
    if (opts.notes !== undefined) issue.notes = opts.notes;
    if (opts['append-notes'] !== undefined) issue.notes = issue.notes ? `${issue.notes}\n${opts['append-notes']}` : opts['append-notes'];
    if (opts.priority !== undefined) issue.priority = Number(opts.priority);
    if (opts.title !== undefined) issue.title = opts.title;
    if (opts.description !== undefined) issue.description = opts.description;
    issue.updated_at = now();
    updated.push(ordered(issue, ['dependencies', 'comments']));
  }
  return partial(updated, errors);
}

/**
 * Per-id commands: successes printed, failures on stderr; a partial success exits 0, a
 * command where every id failed prints no JSON and exits 1.
 */
function partial(done, errors) {
  const stderr = errors.length > 0 ? `${errors.join('\n')}\n` : undefined;
  return done.length === 0 ? { stderr, code: 1 } : { value: done, stderr };
}

function close(state, ids, opts) {
  if (ids.length === 0) throw new Exit(NO_ID, 1, 'stdout-json');
  const closed = [];
  const errors = [];
  for (const id of ids) {
    const issue = state.issues.find((i) => i.id === id);
    if (!issue) {
      errors.push(`Error resolving ${id}: no issue found matching "${id}"`);
      continue;
    }
    const blockers = openBlockers(state, issue);
    if (issue.status !== 'closed' && blockers.length > 0 && !opts.force) {
      errors.push(`cannot close ${id}: blocked by open issues [${blockers.join(' ')}]`);
      continue;
    }
    if (issue.status !== 'closed') {
      Object.assign(issue, { status: 'closed', closed_at: now(), updated_at: now(), close_reason: opts.reason ?? 'Closed' });
    }
    closed.push(ordered(issue, ['dependencies', 'comments']));
  }
  return partial(closed, errors);
}

function listComments(state, [id]) {
  const issue = findOrJsonError(state, id);
  return { value: issue.comments ?? [] };
}

function addComment(state, [id, ...words], actor) {
  if (id === undefined) throw new Exit('Error: requires at least 1 arg(s), only received 0');
  const issue = findOrJsonError(state, id);
  const text = words.join(' ');
  if (text.trim() === '') throw new Exit('comment text cannot be empty', 1, 'stdout-json');
  state.nextCommentId = (state.nextCommentId ?? 0) + 1;
  const comment = { id: state.nextCommentId, issue_id: issue.id, author: actor, text, created_at: now() };
  (issue.comments ??= []).push(comment);
  issue.updated_at = now();
  return { value: comment, single: true };
}

function create(state, [title, ...rest], opts, actor) {
  if (title === undefined || title.trim() === '' || rest.length > 0) throw new Exit('Error: title required (exactly one argument)');
  const priority = opts.priority === undefined ? 2 : Number(String(opts.priority).replace(/^P/i, ''));
  if (!Number.isInteger(priority) || priority < 0 || priority > 4) {
    throw new Exit(`invalid priority "${opts.priority}" (expected 0-4 or P0-P4)`, 1, 'stdout-json');
  }
  const prefix = state.prefix ?? 'bd';
  state.nextId = (state.nextId ?? state.issues.length) + 1;
  const id = opts.parent ? `${opts.parent}.${state.nextId}` : `${prefix}-${state.nextId.toString(36).padStart(4, '0')}`;
  const at = new Date().toISOString();
  const dependencies = [];
  const link = (type, target) => {
    find(state, target);
    dependencies.push({ issue_id: id, depends_on_id: target, type, created_at: now(), created_by: actor, metadata: '{}' });
  };
  if (opts.parent) link('parent-child', opts.parent);
  for (const d of (opts.deps ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const colon = d.indexOf(':');
    link(colon > 0 ? d.slice(0, colon) : 'blocks', colon > 0 ? d.slice(colon + 1) : d);
  }
  let metadata;
  if (opts.metadata !== undefined) {
    try {
      metadata = JSON.parse(opts.metadata);
    } catch {
      throw new Exit('invalid JSON in --metadata: must be valid JSON', 1, 'stdout-json');
    }
  }
  const issue = {
    id,
    title,
    description: opts.description,
    status: 'open',
    priority,
    issue_type: opts.type ?? 'task',
    assignee: opts.assignee,
    estimated_minutes: opts.estimate === undefined ? undefined : Number(opts.estimate),
    created_at: at,
    created_by: actor,
    updated_at: at,
    metadata,
    labels: opts.labels ? opts.labels.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
    dependencies,
  };
  // Stored with whole seconds; `bd create` itself prints fractional ones, and no dependency records.
  state.issues.push({ ...JSON.parse(JSON.stringify(issue)), created_at: now(), updated_at: now() });
  return { value: ordered(issue, ['dependencies']), single: true };
}

function dep(state, [sub, ...args], opts, actor) {
  if (sub === 'tree') {
    const root = findOrJsonError(state, args[0]);
    const nodes = [];
    const walk = (issue, depth, parentId, edge, seen) => {
      const truncated = seen.has(issue.id);
      nodes.push({ ...ordered(issue, ['dependencies', 'comments']), depth, parent_id: parentId, ...(edge ? { edge_from_parent: edge } : {}), truncated });
      if (truncated) return;
      for (const d of issue.dependencies ?? []) {
        const target = state.issues.find((i) => i.id === d.depends_on_id);
        if (target) walk(target, depth + 1, issue.id, d.type, new Set([...seen, issue.id]));
      }
    };
    walk(root, 0, root.id, undefined, new Set());
    return { value: nodes };
  }
  if (sub === 'add') {
    const [from, to] = args;
    const issue = findOrJsonError(state, from);
    findOrJsonError(state, to);
    const type = opts.type ?? 'blocks';
    (issue.dependencies ??= []).push({ issue_id: from, depends_on_id: to, type, created_at: now(), created_by: actor, metadata: '{}' });
    return { value: { status: 'added', issue_id: from, depends_on_id: to, type }, single: true };
  }
  throw new Exit(`Error: unknown command "${sub}" for "bd dep"`);
}

main();
