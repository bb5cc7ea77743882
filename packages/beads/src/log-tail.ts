import { open } from 'node:fs/promises';

/**
 * The last `lines` lines of a log file, at most `maxChars` characters (reading only its end),
 * or `undefined` when the file does not exist or is empty.
 */
export async function logTail(file: string, lines = 20, maxChars = 1500): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, maxChars * 4);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const text = buffer.toString('utf8').replace(/\r/g, '').replace(/\n+$/, '');
    const tail = text.split('\n').slice(-lines).join('\n');
    const cut = tail.length > maxChars ? `...${tail.slice(-maxChars)}` : tail;
    return cut.trim() === '' ? undefined : cut;
  } finally {
    await handle.close();
  }
}
