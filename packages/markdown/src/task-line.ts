import type { ListWarning, Problem } from './problems';

/** A spec-kit task id: `T001`. */
export const TASK_ID = /^T\d+(?![\w-])/;
/** A template's unnumbered id: `TXXX`, `T0XX`, `T###`. */
const PLACEHOLDER_ID = /^T[\dX#]*[X#][\dX#]*(?![\w-])/;
const MARKER = /^\[([^\]\n]*)\]/;
const GROUP_NAME = /^[A-Za-z0-9][\w.-]*$/;
const STORY = /^US\d+$/i;
const MISPLACED_MARKER = /\[[Pp](?::[^\]\n]*)?\]/g;
/** A bracket that is meant to be replaced: `[Entity1]`, `[language]`, `test_[name].py`. */
const BRACKET = /\[([^[\]\n]+)\]/g;
/** Between ids of a dependency list: `T003, T004`, `T003 and T004`, `T003 & T004`. */
const SEPARATOR = /\s*(?:,|&|\band\b)\s*/;

/** What a checkbox item's text says, before it is placed in its phase. */
export interface TaskLine {
  /** `T012`, when the text starts with one. */
  id?: string;
  /** A template's unnumbered id (`TXXX`) in place of one; reported as a problem. */
  placeholderId?: string;
  /** `[P]`: may run with the `[P]` tasks next to it. */
  parallel: boolean;
  /** `[P:Group-auth]` -> `auth`: may run with the tasks next to it in the same group. */
  group?: string;
  /** `[US1]` -> `US1`. */
  story?: string;
  /** The description, without markers and dependency clauses. */
  title: string;
  /** Ids from `(depends on T003, T004)` and `after: T003`, with the column each was written at. */
  after: Array<{ id: string; column: number }>;
  problems: Problem[];
  warnings: ListWarning[];
}

/** Whether an item's text starts (after any markers) with a task id or a template's `TXXX`. */
export function startsWithTaskId(text: string): boolean {
  const rest = text.replace(/^(?:\[[^\]\n]*\]\s*)+/, '');
  return TASK_ID.test(rest) || PLACEHOLDER_ID.test(rest);
}

/**
 * Reads a checkbox item's text (`T012 [P] [US1] Create User model in src/models/user.py
 * (depends on T010)`): id, `[P]`, `[P:Group-x]` and `[USn]` markers in any order at the start,
 * dependency clauses anywhere, and the title that remains. `column` is where `text` starts in
 * its line; `idPattern` says what a dependency id looks like in this file.
 *
 * Problems: a template's `TXXX` id, unfilled template brackets (`[Entity1]`), open questions
 * (`[NEEDS CLARIFICATION: ...]`), an unreadable group marker, both `[P]` and `[P:...]`, no title.
 * Warnings: a `[P]`/`[P:...]` marker in the middle of the title (ignored there), a clause that
 * names a task id but is not a dependency list.
 */
export function parseTaskLine(text: string, line: number, column: number, idPattern: RegExp): TaskLine {
  const out: TaskLine = { parallel: false, title: '', after: [], problems: [], warnings: [] };
  const problem = (at: number, message: string) =>
    out.problems.push({ line, column: column + at, code: 'PLAN_INVALID', message });
  let pos = 0;
  for (;;) {
    pos += leadingSpace(text.slice(pos));
    const rest = text.slice(pos);
    const id = TASK_ID.exec(rest);
    if (id && out.id === undefined) {
      out.id = id[0];
      pos += id[0].length;
      // `T001: Create ...`, `T001 - Create ...`
      pos += /^\s*[:.)\-–—](?=\s)/.exec(text.slice(pos))?.[0].length ?? 0;
      continue;
    }
    const placeholder = PLACEHOLDER_ID.exec(rest);
    if (placeholder && out.id === undefined && out.placeholderId === undefined) {
      out.placeholderId = placeholder[0];
      problem(pos, `unfilled template text: the task id "${placeholder[0]}" is a placeholder; number the task (T001, T002, ...)`);
      pos += placeholder[0].length;
      continue;
    }
    const marker = MARKER.exec(rest);
    if (!marker || !readMarker(marker[1]!.trim(), out, () => problem(pos, badGroup(marker[0])))) break;
    pos += marker[0].length;
  }
  if (out.parallel && out.group !== undefined) {
    problem(0, `a task is either [P] or in a [P:Group-name] group, not both; keep one marker`);
  }
  const body = text.slice(pos);
  const offset = pos;
  const cleaned = readDependencies(body, idPattern, line, (at) => column + offset + at, out);
  for (const m of maskCode(cleaned.masked).matchAll(MISPLACED_MARKER)) {
    out.warnings.push({
      line,
      message: `the marker "${m[0]}" in the middle of the title is ignored; put it right after the checkbox${out.id ? ` and the id (${out.id} ${m[0]} ...)` : ''}`,
    });
  }
  for (const p of findPlaceholders(cleaned.masked)) {
    problem(offset + p.index, `${placeholderMessage(p.text)} in ${out.id ?? 'this task'}; ${placeholderFix(p.text)}`);
  }
  out.title = cleaned.title;
  if (out.title === '') problem(offset, `${out.id ?? 'this task'} has no description; say what the task does`);
  return out;
}

function leadingSpace(s: string): number {
  return s.length - s.trimStart().length;
}

/** Applies a leading `[...]` marker to `out`; false when it is not a marker (it starts the title). */
function readMarker(inner: string, out: TaskLine, bad: () => void): boolean {
  if (inner === 'P' || inner === 'p') {
    out.parallel = true;
    return true;
  }
  if (/^P:/i.test(inner)) {
    const name = inner.slice(2).trim().replace(/^Group-/i, '');
    if (GROUP_NAME.test(name)) out.group = name;
    else bad();
    return true;
  }
  if (STORY.test(inner)) {
    out.story = inner.toUpperCase();
    return true;
  }
  return false;
}

function badGroup(marker: string): string {
  return `cannot read the group marker "${marker}"; write [P:Group-name] (letters, digits, ".", "_", "-")`;
}

/**
 * Finds `(depends on A, B)`, `(after: A)`, `after: A` and `depends on: A` clauses, records
 * their ids and removes them from the title. `masked` is the body with the clauses blanked
 * out (same length), for the placeholder and marker checks.
 */
function readDependencies(
  body: string,
  idPattern: RegExp,
  line: number,
  columnOf: (index: number) => number,
  out: TaskLine,
): { title: string; masked: string } {
  const token = idPattern.source.replace(/^\^/, '');
  const list = new RegExp(`^${token}(?:${SEPARATOR.source}${token})*$`);
  const spans: Array<[number, number]> = [];
  const record = (ids: string, at: number) => {
    let from = 0;
    for (const id of ids.split(SEPARATOR)) {
      const index = ids.indexOf(id, from);
      out.after.push({ id, column: columnOf(at + index) });
      from = index + id.length;
    }
  };
  for (const m of body.matchAll(/\(\s*(depends on|depends-on|after)\b\s*:?\s*([^()]*)\)/gi)) {
    const ids = m[2]!.trim().replace(/\.$/, '');
    if (list.test(ids)) {
      record(ids, m.index + m[0].indexOf(ids));
      spans.push([m.index, m.index + m[0].length]);
    } else if (new RegExp(token).test(ids)) {
      out.warnings.push({
        line,
        message: `"${m[0]}" was not read as a dependency list; write (depends on T003, T004) with ids only`,
      });
    }
  }
  const colon = new RegExp(`(?:^|(?<=[\\s;,]))(?:[Aa]fter|[Dd]epends on):\\s*(${token}(?:${SEPARATOR.source}${token})*)`, 'g');
  for (const m of body.matchAll(colon)) {
    if (spans.some(([a, b]) => m.index >= a && m.index < b)) continue;
    record(m[1]!, m.index + m[0].indexOf(m[1]!));
    spans.push([m.index, m.index + m[0].length]);
  }
  let title = body;
  let masked = body;
  for (const [a, b] of spans.sort((x, y) => y[0] - x[0])) {
    title = title.slice(0, a) + title.slice(b);
    masked = masked.slice(0, a) + ' '.repeat(b - a) + masked.slice(b);
  }
  title = title.replace(/\s{2,}/g, ' ').trim().replace(/\s*[;,:]$/, '').trim();
  return { title, masked };
}

/** Blanks out code spans and link targets, where brackets are meant literally. */
function maskCode(text: string): string {
  return text
    .replace(/`[^`\n]*`/g, (m) => ' '.repeat(m.length))
    .replace(/\]\([^)\n]*\)/g, (m) => `](${' '.repeat(m.length - 2)}`);
}

/**
 * Template brackets left in `text` (outside code spans and links): `[Entity1]`, `test_[name].py`,
 * `[NEEDS CLARIFICATION: ...]`. Not: `[P]` markers, `items[0]`, `arr[i]`, `[text](url)`.
 */
export function findPlaceholders(text: string): Array<{ index: number; text: string }> {
  const masked = maskCode(text);
  const found: Array<{ index: number; text: string }> = [];
  for (const m of masked.matchAll(BRACKET)) {
    const before = masked[m.index - 1] ?? ' ';
    const after = masked[m.index + m[0].length] ?? ' ';
    const inner = m[1]!.trim();
    if (/[A-Za-z0-9\]]/.test(before) || after === '(' || after === '[') continue;
    if (/^P(?::|$)/i.test(inner) || !/[A-Za-z]/.test(inner)) continue;
    found.push({ index: m.index, text: m[0] });
  }
  return found;
}

/** What a template bracket is, for a message. */
export function placeholderMessage(text: string): string {
  return /^\[\s*NEEDS CLARIFICATION/i.test(text) ? `open question "${text}"` : `unfilled template text "${text}"`;
}

/** What to do about a template bracket, for a message. */
export function placeholderFix(text: string): string {
  return /^\[\s*NEEDS CLARIFICATION/i.test(text)
    ? 'answer it in the spec and update the task list'
    : 'replace it with the real value (or put it in backticks if the brackets are meant literally)';
}
