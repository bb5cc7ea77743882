import { closeSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Tail } from './layout.js';
import { sanitizeLine } from './text.js';

/** How much of the end of a log is read to find its last line. */
export const TAIL_BYTES = 4096;

/**
 * The last line worth showing in `text`, the end of a log: sanitized (see `sanitizeLine`),
 * skipping blank lines, and never from before guild's `--- guild: attempt ...` header (that
 * is an earlier attempt's output, or the command line). With `partialStart`
 * (the text begins mid-file), a first line that has more lines after it is left out, as it is
 * probably cut. Returns `undefined` when there is none.
 */
export function lastLine(text: string, partialStart = false): string | undefined {
  const lines = text.split('\n');
  const first = partialStart && lines.length > 1 ? 1 : 0;
  for (let i = lines.length - 1; i >= first; i--) {
    const line = sanitizeLine(lines[i]!.replace(/^\uFFFD+/, ''));
    if (line.startsWith('--- guild: ')) return undefined;
    if (line !== '') return line;
  }
  return undefined;
}

/** Reads at most `maxBytes` from the end of `file`; `undefined` if it cannot be read. */
export function readEnd(file: string, size: number, maxBytes = TAIL_BYTES): { text: string; partialStart: boolean } | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    const read = readSync(fd, buffer, 0, length, size - length);
    return { text: buffer.toString('utf8', 0, read), partialStart: size > length };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Follows the last line of running tasks' logs (`<logDir>/<id>.log`). A poll costs a `stat` per
 * task; the file is read (its last few KB only) only when its size or mtime changed.
 */
export class LogTails {
  private readonly seen = new Map<string, { size: number; mtime: number }>();
  /** The last line of each followed task, and when it changed. */
  readonly tails = new Map<string, Tail>();

  constructor(private readonly logDir: string) {}

  /**
   * Looks at the logs of `ids` (and forgets every other task). Returns whether any shown line
   * changed.
   */
  poll(ids: Iterable<string>, now: number): boolean {
    let changed = false;
    const keep = new Set(ids);
    for (const id of this.tails.keys()) {
      if (!keep.has(id)) {
        this.tails.delete(id);
        this.seen.delete(id);
        changed = true;
      }
    }
    for (const id of keep) {
      const file = path.join(this.logDir, `${id}.log`);
      const st = statSync(file, { throwIfNoEntry: false });
      if (!st) continue;
      const before = this.seen.get(id);
      if (before && before.size === st.size && before.mtime === st.mtimeMs) continue;
      this.seen.set(id, { size: st.size, mtime: st.mtimeMs });
      const end = readEnd(file, st.size);
      const line = end ? lastLine(end.text, end.partialStart) : undefined;
      if (line === undefined || this.tails.get(id)?.line === line) continue;
      this.tails.set(id, { line, at: now });
      changed = true;
    }
    return changed;
  }
}
