import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { CORE_SCHEMA, load as loadYaml } from 'js-yaml';
import type * as YamlLibrary from 'yaml';
import type { Document, Node } from 'yaml';
import type * as z from './zod.js';
import { GuildError, formatLocation, type SourceLocation } from './errors.js';
import { DEFAULTS_FIELDS, PLAN_FIELDS, TASK_FIELDS, planFileSchema, type PlanDefaults } from './plan-schema.js';
import type { TaskSpec } from './types.js';

let yamlLib: typeof YamlLibrary | undefined;

/**
 * The full YAML library (`yaml`), loaded at first use: it takes longer to load than a small run
 * takes to finish, and only explaining a bad file (plan or config) needs it.
 */
export function yamlLibrary(): typeof YamlLibrary {
  return (yamlLib ??= createRequire(import.meta.url)('yaml') as typeof YamlLibrary);
}

/** The tasks of a plan file, with each task's `origin` pointing at its line. */
export interface ParsedPlanFile {
  specs: TaskSpec[];
  /** The folder the plan's paths are relative to. */
  root: string;
  file: string;
}

/**
 * Reads a plan file (YAML, or JSON by extension) and validates it against the plan schema.
 * `file` is resolved from `cwd` and shown as given in messages. Defaults are applied. Throws a {@link GuildError} with file:line:column on bad input.
 */
export async function readPlanFile(file: string, cwd = process.cwd()): Promise<ParsedPlanFile> {
  const abs = path.resolve(cwd, file);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new GuildError('PLAN_NOT_FOUND', `plan file not found: ${file} (looked for ${abs}); check the path`, {
        cause: e,
      });
    }
    if (code === 'EISDIR') {
      throw new GuildError('PLAN_NOT_FOUND', `${file} is a folder, not a plan file; pass the plan's YAML or JSON file`);
    }
    throw new GuildError('PLAN_NOT_FOUND', `cannot read plan file ${file}: ${(e as Error).message}`, { cause: e });
  }
  return { specs: parsePlanText(text, file), root: path.dirname(abs), file };
}

/**
 * Parses and validates plan text. `file` is used in messages only. Returns the task specs with
 * defaults applied and origins set.
 */
export function parsePlanText(text: string, file: string): TaskSpec[] {
  const fast = isJson(file) ? parseValidJson(text, file) : parseValidYaml(text, file);
  if (fast) return fast;
  const { LineCounter, parseDocument } = yamlLibrary();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((err) => {
      const loc = at(err.pos[0]);
      return { loc, message: `${yamlMessage(err.message)} (fix the ${isJson(file) ? 'JSON' : 'YAML'} syntax)` };
    });
    throw fromProblems('PLAN_SYNTAX', problems);
  }
  if (isJson(file)) checkStrictJson(text, file);
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) {
    throw new GuildError('PLAN_EMPTY', 'the plan is empty; add a "tasks:" list (see the README for the format)', {
      location: { file },
    });
  }
  if (Array.isArray(data)) {
    throw new GuildError('PLAN_INVALID', 'the plan is a bare list; put the tasks under a top-level "tasks:" key', {
      location: at(doc.contents?.range?.[0] ?? 0),
    });
  }
  const result = planFileSchema.safeParse(data);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => describeIssue(issue, doc, at, data));
    throw fromProblems('PLAN_INVALID', problems);
  }
  const plan = result.data;
  if (plan.tasks.length === 0) {
    throw new GuildError('PLAN_EMPTY', 'the plan has no tasks; add at least one under "tasks:"', {
      location: at(nodeAt(doc, ['tasks'])?.range?.[0] ?? 0),
    });
  }
  return plan.tasks.map((task, index) => {
    const node = nodeAt(doc, ['tasks', index]);
    const loc = at(node?.range?.[0] ?? 0);
    const spec: TaskSpec = applyDefaults(task as TaskSpec, plan.defaults);
    spec.origin = { source: 'plan', file, line: loc.line, column: loc.column };
    return spec;
  });
}

function applyDefaults(task: TaskSpec & { env?: Record<string, unknown> }, defaults: PlanDefaults | undefined): TaskSpec {
  const spec: TaskSpec = { ...(defaults as Partial<TaskSpec>), ...task } as TaskSpec;
  const env = { ...defaults?.env, ...task.env };
  if (Object.keys(env).length > 0) {
    spec.env = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
  }
  return spec;
}

/**
 * The fast path for `.json` plans (generated plans are often large): `JSON.parse` and the
 * schema, with each task's line found by one scan of the text. Returns undefined when anything
 * is wrong, so the slow path, which builds a YAML document to point at file:line:column, can
 * say what. A 100,000-task plan takes about a second this way instead of tens of seconds.
 */
function parseValidJson(text: string, file: string): TaskSpec[] | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  const result = planFileSchema.safeParse(data);
  if (!result.success || result.data.tasks.length === 0) return undefined;
  const position = jsonArrayElementPositions(text, 'tasks');
  return result.data.tasks.map((task, i) => {
    const spec = applyDefaults(task as TaskSpec, result.data.defaults);
    spec.origin = { source: 'plan', file, ...position(i) };
    return spec;
  });
}

/**
 * The fast path for YAML plans: a quick parser (YAML 1.2 core schema, as the slow path's) and the
 * schema, with each task's line found by a scan for the entries of the block sequence under a
 * top-level `tasks:`. Returns undefined when anything is wrong or unusual (a flow-style task
 * list, say), so the slow path, which builds a document with positions, says what or does it.
 * Several times faster on big plans.
 */
function parseValidYaml(text: string, file: string): TaskSpec[] | undefined {
  let data: unknown;
  try {
    data = loadYaml(text, { schema: CORE_SCHEMA, filename: file });
  } catch {
    return undefined;
  }
  const result = planFileSchema.safeParse(data);
  if (!result.success || result.data.tasks.length === 0) return undefined;
  const lines = yamlTaskLines(text);
  if (lines.length !== result.data.tasks.length) return undefined;
  return result.data.tasks.map((task, i) => {
    const spec = applyDefaults(task as TaskSpec, result.data.defaults);
    spec.origin = { source: 'plan', file, line: lines[i]!.line, column: lines[i]!.column };
    return spec;
  });
}

/**
 * Line and column (of the content after the dash) of each entry of the block sequence under the
 * top-level `tasks:` key: the lines starting with `-` at the indentation of its first entry,
 * until the next top-level key.
 * A caller checks the count against the parsed tasks, so an unusual layout is never misread.
 */
function yamlTaskLines(text: string): Array<{ line: number; column: number }> {
  const out: Array<{ line: number; column: number }> = [];
  const lines = text.split('\n');
  let inTasks = false;
  let indent = -1;
  // A dash alone on its line: the entry's content starts on the next line.
  let pending = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const content = line.trimStart();
    if (content === '' || content.startsWith('#')) continue;
    const col = line.length - content.length;
    if (pending) {
      out.push({ line: i + 1, column: col + 1 });
      pending = false;
    }
    if (col === 0 && !content.startsWith('-')) {
      inTasks = /^tasks\s*:\s*(#.*)?$/.test(content.trimEnd());
      indent = -1;
      continue;
    }
    if (!inTasks || !/^-(\s|$)/.test(content)) continue;
    if (indent < 0) indent = col;
    if (col !== indent) continue;
    // Like the slow path: the position of the entry's content, after the dash.
    const rest = content.slice(1);
    const pad = rest.length - rest.trimStart().length;
    if (rest.trim() === '' || rest.trimStart().startsWith('#')) pending = true;
    else out.push({ line: i + 1, column: col + 2 + pad });
  }
  return out;
}

/**
 * Line and column of each element of the top-level array `key` of a JSON text, from one pass
 * that skips strings and tracks nesting.
 */
function jsonArrayElementPositions(text: string, key: string): (index: number) => { line?: number; column?: number } {
  const starts: number[] = [];
  let depth = 0;
  let inArray = false;
  let expectElement = false;
  let lastKey = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const from = i + 1;
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
      if (depth === 1) lastKey = text.slice(from, i);
      if (inArray && depth === 2 && expectElement) {
        starts.push(from - 1);
        expectElement = false;
      }
      continue;
    }
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    if (inArray && depth === 2 && expectElement && c !== 0x5d) {
      starts.push(i);
      expectElement = false;
    }
    if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth === 2 && c === 0x5b && lastKey === key) {
        inArray = true;
        expectElement = true;
      }
    } else if (c === 0x7d || c === 0x5d) {
      if (depth === 2 && inArray) inArray = false;
      depth--;
    } else if (c === 0x2c && inArray && depth === 2) {
      expectElement = true;
    }
  }
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  return (index) => {
    const offset = starts[index];
    if (offset === undefined) return {};
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - lineStarts[lo]! + 1 };
  };
}

const isJson = (file: string): boolean => file.toLowerCase().endsWith('.json');

/**
 * YAML accepts things JSON does not (trailing commas, comments, single quotes); a `.json` plan
 * must be real JSON so other tools can read it too.
 */
function checkStrictJson(text: string, file: string): void {
  try {
    JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const offset = Number(/position (\d+)/.exec(message)?.[1] ?? 0);
    const before = text.slice(0, offset).split('\n');
    const detail = message.replace(/ in JSON at position \d+.*$/s, '').replace(/^JSON\.parse: /, '');
    throw new GuildError('PLAN_SYNTAX', `${detail} (fix the JSON syntax)`, {
      location: { file, line: before.length, column: before.at(-1)!.length + 1 },
    });
  }
}

function yamlMessage(message: string): string {
  const first = message.split('\n')[0] ?? message;
  return first.replace(/ at line \d+, column \d+:?$/, '').replace(/\.$/, '');
}

interface Problem {
  loc: SourceLocation;
  message: string;
}

function fromProblems(code: 'PLAN_SYNTAX' | 'PLAN_INVALID', problems: Problem[]): GuildError {
  const [first, ...rest] = problems;
  return new GuildError(code, first!.message, {
    location: first!.loc,
    more: rest.map((p) => `${formatLocation(p.loc)}: ${p.message}`),
  });
}

function nodeAt(doc: Document, pathParts: ReadonlyArray<PropertyKey>): Node | undefined {
  const found: unknown = doc.getIn(pathParts as Array<string | number>, true);
  return yamlLibrary().isNode(found) ? found : undefined;
}

/** Turns a schema issue into a message at the line of the offending value. */
function describeIssue(
  issue: z.core.$ZodIssue,
  doc: Document,
  at: (offset: number) => SourceLocation,
  data: unknown,
): Problem {
  const where = issue.path as PropertyKey[];
  const taskLabel = labelFor(where, data);
  if (issue.code === 'unrecognized_keys') {
    const parent = nodeAt(doc, where);
    const fields = fieldsFor(where);
    const key = issue.keys[0]!;
    let offset = parent?.range?.[0] ?? 0;
    const { isMap, isNode } = yamlLibrary();
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isNode(p.key) && (p.key as Node & { value?: unknown }).value === key);
      if (pair && isNode(pair.key)) offset = pair.key.range?.[0] ?? offset;
    }
    const near = suggest(key, fields);
    const hint = near ? `did you mean "${near}"?` : `known fields: ${fields.join(', ')}`;
    return { loc: at(offset), message: `unknown field "${key}"${taskLabel} — ${hint}` };
  }
  // Point at the value when it exists, else at its parent.
  let node: Node | undefined;
  for (let n = where.length; n >= 0 && !node; n--) node = nodeAt(doc, where.slice(0, n));
  const field = where.filter((p) => typeof p === 'string').at(-1);
  const named = typeof field === 'string' && (issue.message.startsWith(`${field} `) || issue.message.startsWith(`"${field}"`));
  const fieldText = field && field !== 'tasks' && !named ? `${String(field)}: ` : '';
  let message = issue.message;
  if (issue.code === 'invalid_type' && message.startsWith('Invalid input') && valueAt(data, where) === undefined) {
    message = `missing required field "${String(field)}"`;
  }
  return { loc: at(node?.range?.[0] ?? 0), message: `${fieldText}${message}${taskLabel}` };
}

function valueAt(data: unknown, where: PropertyKey[]): unknown {
  let v = data;
  for (const key of where) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function labelFor(where: PropertyKey[], data: unknown): string {
  if (where[0] !== 'tasks' || typeof where[1] !== 'number') return where[0] === 'defaults' ? ' in defaults' : '';
  const tasks = (data as { tasks?: unknown }).tasks;
  const task = Array.isArray(tasks) ? (tasks[where[1]] as { id?: unknown } | undefined) : undefined;
  return typeof task?.id === 'string' ? ` in task "${task.id}"` : ` in task #${where[1] + 1}`;
}

function fieldsFor(where: PropertyKey[]): string[] {
  if (where.length === 0) return PLAN_FIELDS;
  if (where[0] === 'defaults') return DEFAULTS_FIELDS;
  return TASK_FIELDS;
}

/** The closest known name, if it is close enough to be a likely typo. */
export function suggest(input: string, known: readonly string[]): string | undefined {
  const squash = (s: string) => s.toLowerCase().replace(/[-_\s]/g, '');
  let best: string | undefined;
  let bestScore = Infinity;
  for (const name of known) {
    const score = squash(name) === squash(input) ? 0 : editDistance(input.toLowerCase(), name.toLowerCase());
    if (score < bestScore) {
      best = name;
      bestScore = score;
    }
  }
  return best !== undefined && bestScore <= Math.max(2, Math.floor(input.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
