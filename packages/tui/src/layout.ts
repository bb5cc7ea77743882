import { describeBlocker, type Seconds } from '@guild/core';
import type { Glyphs } from './glyphs.js';
import type { KeyMode } from './keys.js';
import { doneCount, type MonitorState, type TaskView, type Tone } from './state.js';
import { pad, textWidth, truncate } from './text.js';
import { formatElapsed } from './wording.js';

/** How a piece of a line is drawn. */
export type Style = Tone | 'bold' | 'title';

/** A run of text in one style. */
export interface Segment {
  text: string;
  style?: Style;
}

/** One terminal line, made of styled segments. */
export type Line = Segment[];

/** Memory and CPU of the running tasks' processes. */
export interface Usage {
  /** Resident memory, bytes. */
  rss: number;
  /** Percent of one core since the previous sample; undefined after the first one. */
  cpu?: number;
}

/** The last line a running task wrote, and when the monitor saw it change (epoch ms). */
export interface Tail {
  line: string;
  at: number;
}

/** Everything one frame is drawn from. */
export interface FrameInput {
  state: MonitorState;
  /** Epoch ms. */
  now: number;
  columns: number;
  rows: number;
  glyphs: Glyphs;
  tails: ReadonlyMap<string, Tail>;
  /** Absent where it cannot be measured (not Linux) or before the first sample. */
  usage?: Usage;
  eta: Seconds | undefined;
  mode: KeyMode;
  /** Whether keys can be read (stdin is a terminal): then the key line is shown. */
  keys: boolean;
}

/** The text of a line without its styles. */
export const lineText = (line: Line): string => line.map((s) => s.text).join('');

/** `line` cut to `width` columns, its last kept segment ending in `ellipsis` if anything was cut. */
export function fitLine(line: Line, width: number, ellipsis: string): Line {
  if (textWidth(lineText(line)) <= width) return line;
  const out: Line = [];
  let used = 0;
  for (const seg of line) {
    const w = textWidth(seg.text);
    if (used + w <= width - textWidth(ellipsis)) {
      out.push(seg);
      used += w;
      continue;
    }
    out.push({ ...seg, text: truncate(seg.text, width - used, ellipsis) });
    break;
  }
  return out;
}

/** Usable width: one column is kept free so no terminal wraps a full line. */
const usable = (columns: number) => Math.max(1, columns - 1);

/** `512 MB`, `1.5 GB`. */
export function formatBytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return mb < 1024 ? `${Math.round(mb)} MB` : `${(mb / 1024).toFixed(1)} GB`;
}

/** A progress bar `width` cells wide, `fraction` of it full. */
export function progressBar(fraction: number, width: number, glyphs: Glyphs): Segment[] {
  const full = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return [
    { text: glyphs.barFull.repeat(full), style: 'ok' },
    { text: glyphs.barEmpty.repeat(width - full), style: 'dim' },
  ];
}

/**
 * The first line: run id, state flags, progress bar, done/total, failures, queue, elapsed time
 * and the ETA (`eta ~?` when unknown; none once the run is over). The bar shrinks, down to
 * nothing, to leave room for the figures.
 */
export function headerLine(f: Pick<FrameInput, 'state' | 'now' | 'columns' | 'glyphs' | 'eta'>): Line {
  const { state: s, glyphs: g } = f;
  const sep = ` ${g.sep} `;
  const done = doneCount(s);
  const failed = s.counts.failed + s.counts['timed-out'];
  const head: Line = [{ text: `guild ${s.runId}`, style: 'title' }];
  if (s.endedAt !== undefined) {
    if (s.outcome === 'aborted') head.push({ text: ' ABORTED', style: 'fail' });
  } else {
    if (s.aborting) head.push({ text: ' ABORTING', style: 'fail' });
    else if (s.paused) head.push({ text: ' PAUSED', style: 'warn' });
    if (s.serialized) head.push({ text: ' SERIALIZED', style: 'warn' });
  }
  const pct = s.total === 0 ? 100 : Math.floor((done / s.total) * 100);
  const figures: Line = [{ text: ` ${pct}%  ${done}/${s.total} done`, style: 'bold' }];
  if (failed) figures.push({ text: `${sep}${failed} failed`, style: 'fail' });
  if (s.counts.cancelled) figures.push({ text: `${sep}${s.counts.cancelled} cancelled`, style: 'warn' });
  if (s.counts.skipped) figures.push({ text: `${sep}${s.counts.skipped} skipped`, style: 'dim' });
  if (s.counts.ready && s.endedAt === undefined) figures.push({ text: `${sep}${s.counts.ready} queued` });
  if (s.startedAt !== undefined) {
    figures.push({ text: `${sep}elapsed ${formatElapsed(((s.endedAt ?? f.now) - s.startedAt) / 1000)}` });
  }
  if (s.endedAt === undefined && done < s.total) {
    figures.push({ text: `${sep}eta ~${f.eta === undefined ? '?' : formatElapsed(f.eta)}` });
  }
  const rest = textWidth(lineText(head)) + 2 + textWidth(lineText(figures));
  const barWidth = Math.min(24, usable(f.columns) - rest);
  const bar: Line = barWidth >= 6 ? [{ text: '  ' }, ...progressBar(s.total ? done / s.total : 1, barWidth, g)] : [];
  return fitLine([...head, ...bar, ...figures], usable(f.columns), g.ellipsis);
}

function slotCell(s: MonitorState, slot: number, g: Glyphs): Segment {
  const cell = (mark: string, style: Style): Segment => ({ text: `[${slot}:${mark}]`, style });
  if (s.slotTask[slot] !== undefined) return cell(g.running, 'run');
  if (s.paused && s.endedAt === undefined) return cell(g.waiting, 'warn');
  switch (s.slotLast[slot]) {
    case 'succeeded':
      return cell(g.succeeded, 'ok');
    case 'failed':
    case 'timed-out':
      return cell(g.failed, 'fail');
    case 'cancelled':
      return cell(g.failed, 'warn');
    default:
      return cell(g.idle, 'dim');
  }
}

/**
 * The second line: each slot's state (`[1:▶]` running, `[2:✓]` free after a success, `[3:·]`
 * never used, `⏸` while paused), then the tasks' memory and CPU. Slots above the concurrency
 * (for priority-0 tasks only) appear while busy, else as `+N for priority 0`. Too many slots for
 * the width become `slots 5/8 busy`.
 */
export function slotLine(f: Pick<FrameInput, 'state' | 'columns' | 'glyphs' | 'usage'>): Line {
  const { state: s, glyphs: g } = f;
  const width = usable(f.columns);
  const usage: Line = [];
  if (f.usage) {
    const cpu = f.usage.cpu === undefined ? '' : ` ${g.sep} cpu ${Math.round(f.usage.cpu)}%`;
    usage.push({ text: `   mem ${formatBytes(f.usage.rss)}${cpu}`, style: 'dim' });
  }
  const cells: Line = [{ text: 'slots' }];
  let extra = 0;
  for (let slot = 1; slot <= s.boost; slot++) {
    if (slot <= s.slots || s.slotTask[slot] !== undefined) cells.push({ text: ' ' }, slotCell(s, slot, g));
    else extra++;
  }
  if (extra > 0) cells.push({ text: ` +${extra} for priority 0`, style: 'dim' });
  let line = [...cells, ...usage];
  if (textWidth(lineText(line)) > width) {
    const busy = s.slotTask.filter((id) => id !== undefined).length;
    line = [{ text: `slots ${busy}/${s.slots} busy` }, ...usage];
  }
  return fitLine(line, width, g.ellipsis);
}

/** How a row looks and where it goes, by its task's state (rows exist for these four only). */
const ROW_LOOK = {
  running: { rank: 0, mark: 'running', style: 'run' },
  starting: { rank: 1, mark: 'starting', style: 'dim' },
  retrying: { rank: 2, mark: 'retrying', style: 'retry' },
  waiting: { rank: 3, mark: 'waiting', style: 'warn' },
} as const satisfies Record<string, { rank: number; mark: keyof Glyphs; style: Style }>;

const rowLook = (t: TaskView) => ROW_LOOK[t.state as keyof typeof ROW_LOOK] ?? ROW_LOOK.waiting;

/** Rows in the order shown: running by slot, then starting, retrying, and waiting (longest first). */
function orderedRows(s: MonitorState): TaskView[] {
  return [...s.active]
    .map((id) => s.tasks.get(id)!)
    .sort(
      (a, b) =>
        rowLook(a).rank - rowLook(b).rank ||
        (a.slot ?? 0) - (b.slot ?? 0) ||
        (a.since ?? 0) - (b.since ?? 0) ||
        (a.id < b.id ? -1 : 1),
    );
}

function rowDetail(t: TaskView, f: FrameInput): Segment {
  const tail = f.tails.get(t.id);
  switch (t.state) {
    case 'waiting':
      return { text: (t.blockers ?? []).map(describeBlocker).join('; ') || 'waiting', style: 'dim' };
    case 'retrying':
      return {
        text: `attempt ${t.attempt} in ${formatElapsed(Math.ceil(Math.max(0, (t.retryAt ?? f.now) - f.now) / 1000))}`,
        style: 'retry',
      };
    case 'starting':
      return { text: 'starting', style: 'dim' };
    default: {
      const p = t.progress;
      const fraction = p?.fraction !== undefined ? `${Math.round(p.fraction * 100)}% ` : '';
      const latest = p?.message !== undefined && (!tail || p.at >= tail.at) ? p.message : tail?.line;
      return { text: `${fraction}${latest ?? ''}` };
    }
  }
}

function rowTime(t: TaskView, now: number): string {
  if (t.state === 'waiting') return 'wait';
  if (t.state === 'retrying') return 'retry';
  return formatElapsed((now - (t.since ?? now)) / 1000);
}

/**
 * One line per task in `views`: `[1] ▶ api-login  claude-code  1m12s  last output line`. Ids
 * and runner names share column widths (capped); narrow terminals drop the runner column.
 */
export function taskRows(views: readonly TaskView[], f: FrameInput): Line[] {
  const width = usable(f.columns);
  const tagWidth = `[${f.state.boost}]`.length;
  const idWidth = Math.min(24, Math.max(0, ...views.map((t) => textWidth(t.id))));
  const runnerWidth = width >= 60 ? Math.min(14, Math.max(0, ...views.map((t) => textWidth(t.runner)))) : 0;
  return views.map((t) => {
    const tag = t.state === 'running' && t.slot !== undefined ? `[${t.slot}]` : '';
    const look = rowLook(t);
    const line: Line = [
      { text: `${pad(tag, tagWidth)} `, style: 'dim' },
      { text: f.glyphs[look.mark], style: look.style },
      { text: ` ${pad(truncate(t.id, idWidth, f.glyphs.ellipsis), idWidth)}`, style: 'bold' },
    ];
    if (runnerWidth > 0) line.push({ text: `  ${pad(truncate(t.runner, runnerWidth, f.glyphs.ellipsis), runnerWidth)}`, style: 'dim' });
    line.push({ text: `  ${pad(rowTime(t, f.now), 6, 'right')}  ` }, rowDetail(t, f));
    return fitLine(line, width, f.glyphs.ellipsis);
  });
}

const HELP: ReadonlyArray<readonly [string, string]> = [
  ['p', 'pause: start nothing new; running tasks go on'],
  ['r', 'resume'],
  ['s', 'serialize: one task at a time from now on'],
  ['a', 'abort: stop the running tasks, skip the rest (asks first)'],
  ['?', 'close this help'],
  ['Ctrl-C', "stop the run as guild's Ctrl-C does (twice: kill tasks at once)"],
];

function keyLine(f: FrameInput): Line {
  const sep = ` ${f.glyphs.sep} `;
  if (f.mode === 'confirm-abort') {
    const question = f.state.aborting
      ? 'kill the running tasks now (SIGKILL)? y/n'
      : 'abort the run? running tasks are stopped, the rest skipped. y/n';
    return [{ text: question, style: 'warn' }];
  }
  return [{ text: ['keys: p pause', 'r resume', 's serialize', 'a abort', '? help'].join(sep), style: 'dim' }];
}

/**
 * The live area: header, slot line, a row per running or waiting task (or the help), and the
 * key line, in at most `rows - 1` lines of at most `columns - 1` columns. Rows that do not fit
 * become `+N more`.
 */
export function layoutFrame(f: FrameInput): Line[] {
  const width = usable(f.columns);
  const budget = Math.max(1, f.rows - 1);
  const lines: Line[] = [headerLine(f)];
  if (budget >= 2) lines.push(slotLine(f));
  const footer = f.keys && (budget >= 5 || f.mode === 'confirm-abort') && budget >= 3 ? [fitLine(keyLine(f), width, f.glyphs.ellipsis)] : [];
  const room = budget - lines.length - footer.length;
  if (f.mode === 'help') {
    const help = HELP.map(([key, what]): Line => [{ text: `  ${pad(key, 6)}  `, style: 'bold' }, { text: what }]);
    lines.push(...help.slice(0, room).map((l) => fitLine(l, width, f.glyphs.ellipsis)));
  } else if (room > 0) {
    const views = orderedRows(f.state);
    if (views.length <= room) {
      lines.push(...taskRows(views, f));
    } else {
      const shown = views.slice(0, room - 1);
      const hidden = views.slice(room - 1);
      const running = hidden.filter((t) => t.state === 'running' || t.state === 'starting').length;
      const more = `+${hidden.length} more (${running} running, ${hidden.length - running} waiting)`;
      lines.push(...taskRows(shown, f), fitLine([{ text: `  ${more}`, style: 'dim' }], width, f.glyphs.ellipsis));
    }
  }
  lines.push(...footer);
  return lines;
}

