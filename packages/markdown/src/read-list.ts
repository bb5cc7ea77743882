import type { ListWarning, Problem } from './problems';
import { scanMarkdown, type HeadingEntry, type ItemEntry, type NoteEntry } from './scan';
import { TASK_ID, parseTaskLine, startsWithTaskId, type TaskLine } from './task-line';

/** `spec-kit`: tasks carry ids (`T001`) or the file has `## Phase N` headings; `checklist`: plain checkboxes. */
export type ListFormat = 'spec-kit' | 'checklist';

/** A checkbox item with what its text says and where it stands in the file. */
export interface ItemDraft {
  item: ItemEntry;
  parsed: TaskLine;
  /** The task id: as written, or (in a checklist) made from the title; absent when it is missing. */
  id?: string;
}

/** A `###` (or deeper) heading and the items under it. */
export interface SectionDraft {
  heading?: HeadingEntry;
  items: ItemDraft[];
}

/** A `##` heading (or the start of the file) and what lies under it. */
export interface PhaseDraft {
  heading?: HeadingEntry;
  goal?: NoteEntry;
  sections: SectionDraft[];
}

/** A task list read into phases and sections, before dependencies are worked out. */
export interface ListDraft {
  format: ListFormat;
  /** The first `#` heading before any task. */
  title?: HeadingEntry;
  phases: PhaseDraft[];
  /** Every item in file order. */
  items: ItemDraft[];
  problems: Problem[];
  warnings: ListWarning[];
}

const PHASE_HEADING = /^Phase\s+\d/i;
/** What a dependency looks like in a checklist, whose ids are made from titles (compared in lower case). */
const SLUG_ID = /^[A-Za-z0-9][A-Za-z0-9-]*(?![\w-])/;

/**
 * Reads a task list into phases (`##`), sections (`###` and deeper) and items, parses each
 * item's text and gives it its id. Collects problems (malformed lines, template text, missing
 * or duplicate ids) and warnings rather than throwing, so the caller decides.
 */
export function readList(text: string): ListDraft {
  const { entries, problems } = scanMarkdown(text);
  const warnings: ListWarning[] = [];
  const specKit = entries.some(
    (e) => (e.kind === 'item' && startsWithTaskId(e.text)) || (e.kind === 'heading' && e.level === 2 && PHASE_HEADING.test(e.text)),
  );
  const format: ListFormat = specKit ? 'spec-kit' : 'checklist';
  const idPattern = specKit ? TASK_ID : SLUG_ID;
  const phases: PhaseDraft[] = [];
  const items: ItemDraft[] = [];
  let title: HeadingEntry | undefined;
  const phase = (): PhaseDraft => {
    if (phases.length === 0) phases.push({ sections: [] });
    return phases.at(-1)!;
  };
  const section = (): SectionDraft => {
    const p = phase();
    if (p.sections.length === 0) p.sections.push({ items: [] });
    return p.sections.at(-1)!;
  };
  for (const entry of entries) {
    if (entry.kind === 'heading') {
      if (entry.level === 1 && title === undefined && items.length === 0) title = entry;
      else if (entry.level <= 2) phases.push({ heading: entry, sections: [] });
      else phase().sections.push({ heading: entry, items: [] });
    } else if (entry.kind === 'note') {
      const p = phase();
      if (p.goal === undefined && p.sections.every((s) => s.items.length === 0)) p.goal = entry;
    } else {
      const parsed = parseTaskLine(entry.text, entry.line, entry.column, idPattern);
      if (!specKit) for (const dep of parsed.after) dep.id = dep.id.toLowerCase();
      problems.push(...parsed.problems);
      warnings.push(...parsed.warnings);
      const draft: ItemDraft = { item: entry, parsed, id: parsed.id };
      items.push(draft);
      section().items.push(draft);
    }
  }
  assignIds(items, format, problems);
  return { format, title, phases, items, problems, warnings };
}

/**
 * Checks ids: every spec-kit item needs one and none may repeat. A checklist's items get ids
 * made from their titles (`implement-login-api`, then `-2`, `-3` for repeats).
 */
function assignIds(items: readonly ItemDraft[], format: ListFormat, problems: Problem[]): void {
  const seen = new Map<string, number>();
  for (const draft of items) {
    const { item, parsed } = draft;
    if (format === 'checklist') {
      draft.id = uniqueSlug(slugify(parsed.title), seen);
      seen.set(draft.id, item.line);
      continue;
    }
    if (draft.id === undefined) {
      if (parsed.placeholderId === undefined) {
        problems.push({
          line: item.line,
          column: item.column,
          code: 'PLAN_SYNTAX',
          message: `this checkbox item has no task id; in a spec-kit task list every task starts with one, e.g. "- [ ] T001 ${parsed.title}"`,
        });
      }
      continue;
    }
    const first = seen.get(draft.id);
    if (first !== undefined) {
      problems.push({
        line: item.line,
        column: item.column,
        code: 'PLAN_DUPLICATE_ID',
        message: `duplicate task id ${draft.id}: line ${first} already uses it; give each task its own id`,
      });
      draft.id = undefined;
      continue;
    }
    seen.set(draft.id, item.line);
  }
}

/** A task id made from a title: lower case, words joined by `-`, at most about 40 characters. */
function slugify(title: string): string {
  const words = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  let slug = '';
  for (const word of words) {
    const next = slug === '' ? word : `${slug}-${word}`;
    if (next.length > 40 && slug !== '') break;
    slug = next.slice(0, 40);
  }
  return slug === '' ? 'task' : slug;
}

function uniqueSlug(slug: string, seen: ReadonlyMap<string, number>): string {
  if (!seen.has(slug)) return slug;
  for (let n = 2; ; n++) if (!seen.has(`${slug}-${n}`)) return `${slug}-${n}`;
}
