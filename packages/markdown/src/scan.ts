import type { Problem } from './problems';

/** A heading (`#` to `######`). `column` is where its text starts. */
export interface HeadingEntry {
  kind: 'heading';
  line: number;
  column: number;
  level: number;
  text: string;
}

/** A `**Purpose**:` or `**Goal**:` line: context for the tasks of its phase. `column` is where its text starts. */
export interface NoteEntry {
  kind: 'note';
  line: number;
  column: number;
  label: string;
  text: string;
}

/** A checkbox list item: `- [ ] text` or `- [x] text`. */
export interface ItemEntry {
  kind: 'item';
  line: number;
  /** Indentation of the bullet, in characters. */
  indent: number;
  /** 0-based index of the checkbox's `[` in the line. */
  box: number;
  checked: boolean;
  /** Everything after the checkbox, trimmed. */
  text: string;
  /** 1-based column where `text` starts. */
  column: number;
  /** Lines indented below the item (not themselves checkbox items), trimmed. */
  details: string[];
}

/** What a task list holds, line by line, outside code blocks, comments and front matter. */
export type Entry = HeadingEntry | NoteEntry | ItemEntry;

const ITEM = /^(\s*)([-*+]|\d{1,9}[.)])(\s+)\[([ xX])\](.*)$/;
/** Something shaped like a checkbox that {@link ITEM} does not accept. */
const LOOSE_ITEM = /^(\s*)((?:[-*+]|\d{1,9}[.)])?)(\s*)\[(\s*[xX]?\s*)\](.*)$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const FENCE = /^\s*(`{3,}|~{3,})/;
const NOTE = /^\*\*(Purpose|Goal)(?::\*\*|\*\*\s*:)\s*(.+)$/;

/**
 * Reads a markdown task list line by line: headings, checkbox items (with the indented lines
 * below them), and `**Purpose**`/`**Goal**` notes. Skips front matter, fenced code blocks and
 * HTML comments. Lines that look like checkbox items but are malformed (`- [ ]T001`,
 * `- [] T001`, `-[ ] T001`, `[ ] T001`, an empty item) come back as problems, never dropped.
 * Line endings (`\n` or `\r\n`) and a byte order mark are accepted.
 */
export function scanMarkdown(text: string): { entries: Entry[]; problems: Problem[] } {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  const entries: Entry[] = [];
  const problems: Problem[] = [];
  let fence: string | undefined;
  let inComment = false;
  let item: ItemEntry | undefined;
  for (let i = frontMatterEnd(lines); i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    const line = i + 1;
    if (fence !== undefined) {
      if (raw.trim().startsWith(fence) && raw.trim().replace(/[`~]/g, '') === '') fence = undefined;
      continue;
    }
    const hidden = hideComments(raw, inComment);
    inComment = hidden.inComment;
    const visible = hidden.text;
    const opening = FENCE.exec(visible);
    if (opening) {
      fence = opening[1]!;
      continue;
    }
    if (visible.trim() === '') continue;
    const indent = visible.length - visible.trimStart().length;
    const heading = HEADING.exec(visible);
    if (heading) {
      item = undefined;
      const text = heading[2] ?? '';
      const at = text === '' ? indent : visible.indexOf(text, indent + heading[1]!.length);
      entries.push({ kind: 'heading', line, column: at + 1, level: heading[1]!.length, text });
      continue;
    }
    const m = ITEM.exec(visible);
    if (m) {
      item = undefined;
      const rest = m[5]!;
      const box = m[1]!.length + m[2]!.length + m[3]!.length;
      if (rest.trim() === '') {
        problems.push(syntax(line, box + 1, 'this task has no text after its checkbox; describe the task or remove the line'));
      } else if (!/^\s/.test(rest)) {
        problems.push(syntax(line, box + 4, `put a space after the checkbox: "${m[2]} [${m[4]}] ${rest.trim()}"`));
      } else {
        const offset = rest.length - rest.trimStart().length;
        item = { kind: 'item', line, indent, box, checked: m[4] !== ' ', text: rest.trim(), column: box + 4 + offset, details: [] };
        entries.push(item);
      }
      continue;
    }
    const loose = LOOSE_ITEM.exec(visible);
    if (loose) {
      item = undefined;
      problems.push(syntax(line, indent + 1, looseMessage(loose)));
      continue;
    }
    if (item !== undefined && indent > item.indent) {
      item.details.push(visible.trim());
      continue;
    }
    item = undefined;
    const note = NOTE.exec(visible.trim());
    if (note) {
      const text = note[2]!.trim();
      entries.push({ kind: 'note', line, column: visible.indexOf(text, indent) + 1, label: note[1]!, text });
    }
  }
  return { entries, problems };
}

function syntax(line: number, column: number, message: string): Problem {
  return { line, column, code: 'PLAN_SYNTAX', message };
}

function looseMessage(m: RegExpExecArray): string {
  const [, , bullet, space, box, rest] = m as unknown as [string, string, string, string, string, string];
  const text = rest.trim();
  const fixed = `- [${box.trim() === '' ? ' ' : 'x'}] ${text}`.trimEnd();
  if (bullet === '') return `a task line needs a list bullet: write "${fixed}"`;
  if (space === '') return `put a space between "${bullet}" and the checkbox: write "${fixed}"`;
  return `a checkbox is "[ ]" (one space) or "[x]", not "[${box}]": write "${fixed}"`;
}

/** The index of the first line after YAML front matter (`---` ... `---` at the top). */
function frontMatterEnd(lines: readonly string[]): number {
  if (lines[0]?.replace(/\r$/, '') !== '---') return 0;
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!.replace(/\r$/, '');
    if (l === '---' || l === '...') return i + 1;
  }
  return 0;
}

/** Blanks out HTML comments (keeping columns), also ones spanning lines. */
function hideComments(line: string, inComment: boolean): { text: string; inComment: boolean } {
  let out = '';
  let rest = line;
  let open = inComment;
  for (;;) {
    if (open) {
      const end = rest.indexOf('-->');
      if (end < 0) return { text: out + ' '.repeat(rest.length), inComment: true };
      out += ' '.repeat(end + 3);
      rest = rest.slice(end + 3);
      open = false;
    }
    const start = rest.indexOf('<!--');
    if (start < 0) return { text: out + rest, inComment: false };
    out += rest.slice(0, start);
    rest = rest.slice(start);
    open = true;
  }
}
