import path from 'node:path';
import { parseDuration } from './duration.js';
import { GuildError, formatLocation, type SourceLocation } from './errors.js';
import { buildGraph, findCycle } from './graph.js';
import type { Access, Plan, Priority, Seconds, Task, TaskSpec } from './types.js';

/** Options for {@link createPlan}. */
export interface CreatePlanOptions {
  /** Folder tasks run in and paths are relative to. */
  root: string;
  /** The plan file, for messages. */
  file?: string;
  /** Estimate for tasks without one and without history, in seconds (default 60). */
  defaultEstimate?: Seconds;
  /** Looks up a learned duration for a task without `estimate`. */
  history?: (spec: TaskSpec) => Seconds | undefined;
  /**
   * The runner for a task that names no agent and has no `run:` command (a prompt only), e.g.
   * an agent detected from its text; `undefined` when there is none.
   */
  runnerFor?: (spec: TaskSpec) => string | undefined;
}

const GLOB_CHARS = /[*?[\]{}]/;

/**
 * Validates and normalises task specs into a {@link Plan}: unique ids, known dependencies, no
 * cycles, durations in seconds, paths relative to the root, defaults filled. Throws a
 * {@link GuildError} naming the task and its file:line on the first problem.
 */
export function createPlan(specs: readonly TaskSpec[], options: CreatePlanOptions): Plan {
  const root = path.resolve(options.root);
  if (specs.length === 0) {
    throw new GuildError('PLAN_EMPTY', 'the plan has no tasks; add at least one', {
      location: options.file ? { file: options.file } : undefined,
    });
  }
  const index = new Map<string, number>();
  specs.forEach((spec, i) => {
    const first = index.get(spec.id);
    if (first !== undefined) {
      throw new GuildError(
        'PLAN_DUPLICATE_ID',
        `duplicate task id "${spec.id}": it is already used by the task at ${where(specs[first]!)}; give each task its own id`,
        { location: locationOf(spec) },
      );
    }
    index.set(spec.id, i);
  });

  const deps: number[][] = specs.map((spec) => {
    const seen = new Set<number>();
    for (const dep of spec.dependsOn ?? []) {
      const d = index.get(dep);
      if (d === undefined) {
        throw new GuildError(
          'PLAN_UNKNOWN_DEPENDENCY',
          `task "${spec.id}" depends on "${dep}", which is not a task in this plan; fix the name or add a task "${dep}"`,
          { location: locationOf(spec) },
        );
      }
      if (d === index.get(spec.id)) {
        throw new GuildError('PLAN_CYCLE', `task "${spec.id}" depends on itself; remove "${dep}" from its dependsOn`, {
          location: locationOf(spec),
        });
      }
      seen.add(d);
    }
    return [...seen];
  });

  const cycle = findCycle(deps);
  if (cycle) {
    const names = cycle.map((i) => specs[i]!.id);
    throw new GuildError(
      'PLAN_CYCLE',
      `dependency cycle: ${[...names, names[0]].join(' -> ')} (a -> b means a depends on b); remove one of these dependencies`,
      { location: locationOf(specs[cycle[0]!]!) },
    );
  }

  const defaultEstimate = options.defaultEstimate ?? 60;
  const tasks = new Map<string, Task>();
  const estimates: Seconds[] = [];
  for (const spec of specs) {
    const task = normaliseTask(spec, root, defaultEstimate, options.history, options.runnerFor);
    tasks.set(task.id, task);
    estimates.push(task.estimate);
  }
  const graph = buildGraph(
    specs.map((s) => s.id),
    deps,
    estimates,
  );
  return { root, file: options.file, tasks, graph };
}

function normaliseTask(
  spec: TaskSpec,
  root: string,
  defaultEstimate: Seconds,
  history: CreatePlanOptions['history'],
  runnerFor: CreatePlanOptions['runnerFor'],
): Task {
  const loc = locationOf(spec);
  const runner = spec.agent ?? (spec.run === undefined && spec.prompt !== undefined ? runnerFor?.(spec) : undefined) ?? 'shell';
  if (spec.run === undefined && spec.prompt === undefined) {
    throw new GuildError('PLAN_INVALID', `task "${spec.id}" has nothing to do; give it a "run:" command`, {
      location: loc,
    });
  }
  if (runner === 'shell' && spec.run === undefined) {
    throw new GuildError(
      'PLAN_INVALID',
      `task "${spec.id}" has a prompt but no agent and no "run:" command; set "agent:" or "run:"`,
      { location: loc },
    );
  }
  const duration = (field: 'estimate' | 'timeout'): Seconds | undefined => {
    const value = spec[field];
    if (value === undefined) return undefined;
    const seconds = parseDuration(value);
    if (seconds === undefined) {
      throw new GuildError(
        'PLAN_INVALID',
        `${field}: ${JSON.stringify(value)} is not a duration in task "${spec.id}"; use seconds or "500ms", "2s", "5m", "1h"`,
        { location: loc },
      );
    }
    return seconds;
  };
  const priority = spec.priority ?? 2;
  if (!Number.isInteger(priority) || priority < 0 || priority > 4) {
    throw new GuildError('PLAN_INVALID', `priority ${String(priority)} in task "${spec.id}" must be 0..4 (0 = most urgent)`, {
      location: loc,
    });
  }
  const planned = duration('estimate');
  const learned = planned === undefined ? history?.(spec) : undefined;
  const estimate = planned ?? learned ?? defaultEstimate;
  const estimateFrom = planned !== undefined ? 'plan' : learned !== undefined ? 'history' : 'default';

  const access: Access[] = [];
  for (const [mode, list] of [
    ['write', spec.writes],
    ['read', spec.reads],
  ] as const) {
    for (const raw of list ?? []) {
      const rel = normalisePath(raw, root);
      if (mode === 'write' && (rel === '..' || rel.startsWith('../'))) {
        throw new GuildError(
          'PLAN_PATH_ESCAPES',
          `task "${spec.id}" writes "${raw}", which is outside the plan's folder ${root}; guild only guards paths inside it`,
          { location: loc },
        );
      }
      access.push({ kind: 'path', path: rel, mode, glob: GLOB_CHARS.test(rel) });
    }
  }
  for (const r of spec.resources ?? []) {
    access.push(parseResource(r));
  }

  return {
    id: spec.id,
    title: spec.title ?? spec.id,
    priority: priority as Priority,
    dependsOn: [...new Set(spec.dependsOn ?? [])],
    runner,
    run: spec.run,
    prompt: spec.prompt,
    cwd: spec.cwd ? path.resolve(root, spec.cwd) : root,
    env: spec.env ?? {},
    access,
    estimate,
    estimateFrom,
    timeout: duration('timeout'),
    retries: spec.retries ?? 0,
    group: spec.group,
    spec,
  };
}

/** `db` is exclusive, `db:shared` (or `{ name: db, shared: true }`) shared. */
export function parseResource(r: string | { name: string; shared?: boolean }): Access {
  if (typeof r !== 'string') return { kind: 'resource', name: r.name, shared: r.shared ?? false };
  const shared = r.endsWith(':shared');
  return { kind: 'resource', name: shared ? r.slice(0, -':shared'.length) : r, shared };
}

/**
 * Normalises a declared path to POSIX form relative to `root`: no `./`, no trailing slash, `.`
 * for the root itself. Absolute paths inside the root become relative.
 */
export function normalisePath(raw: string, root: string): string {
  let p = raw.replace(/\\/g, '/');
  if (path.posix.isAbsolute(p)) p = path.relative(root, p).split(path.sep).join('/') || '.';
  p = path.posix.normalize(p);
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  if (p.startsWith('./')) p = p.slice(2);
  return p === '' ? '.' : p;
}

/** Where a task was declared, if its source said. */
export function locationOf(spec: TaskSpec): SourceLocation | undefined {
  const o = spec.origin;
  return o?.file ? { file: o.file, line: o.line, column: o.column } : undefined;
}

function where(spec: TaskSpec): string {
  const loc = locationOf(spec);
  return loc ? formatLocation(loc) : `position ${spec.id}`;
}
