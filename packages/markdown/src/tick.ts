import { randomBytes } from 'node:crypto';
import { open, readFile, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { readList } from './read-list';

/** What {@link tickTask} did. */
export type TickResult = 'ticked' | 'already-done' | 'not-found';

const OPEN_BOX = Buffer.from('[ ]');

/**
 * Ticks the box of task `id` in the task list at `file` (`- [ ]` -> `- [x]`), changing that one
 * byte and nothing else: line endings, trailing spaces, a missing final newline and any bytes
 * that are not valid UTF-8 stay as they were. The file is read afresh (it may have been edited
 * since it was loaded) and the task is found by id, never by a remembered line number. The new
 * content replaces the file atomically (a temporary file beside it, then a rename), keeping its
 * mode; a symlink is followed and its target replaced.
 *
 * Calls must not overlap for one file; callers serialise them.
 *
 * @returns `not-found` when no task has that id any more, `already-done` when its box is ticked
 * @throws the file system's error when the file cannot be read or replaced
 */
export async function tickTask(file: string, id: string): Promise<TickResult> {
  const target = await realpath(file);
  const bytes = await readFile(target);
  const text = bytes.toString('utf8');
  const found = readList(text).items.find((i) => i.id === id);
  if (found === undefined) return 'not-found';
  const { line, box, checked } = found.item;
  if (checked) return 'already-done';
  // Lines are found in the bytes, so bytes that are not UTF-8 elsewhere cannot shift them.
  const before = text.replace(/^\uFEFF/, '').split('\n')[line - 1]!.slice(0, box);
  const at = lineStart(bytes, line) + (line === 1 && hasBom(bytes) ? 3 : 0) + Buffer.byteLength(before);
  if (!bytes.subarray(at, at + 3).equals(OPEN_BOX)) return 'not-found';
  const updated = Buffer.from(bytes);
  updated[at + 1] = 0x78;
  await replaceFile(target, updated);
  return 'ticked';
}

function lineStart(bytes: Buffer, line: number): number {
  let offset = 0;
  for (let n = 1; n < line; n++) offset = bytes.indexOf(0x0a, offset) + 1;
  return offset;
}

function hasBom(bytes: Buffer): boolean {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

/** Writes `data` to a temporary file beside `target` (same mode), flushes it, and renames it over `target`. */
async function replaceFile(target: string, data: Buffer): Promise<void> {
  const { mode } = await stat(target);
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(tmp, 'wx', mode & 0o7777);
    try {
      await handle.writeFile(data);
      await handle.chmod(mode & 0o7777);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
