import { appendFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { removeTestdirs, testdir } from '@guild/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { LogTails, TAIL_BYTES, lastLine } from './log-tail';

afterAll(removeTestdirs);

describe('lastLine', () => {
  it('is the last non-blank line, sanitized', () => {
    expect(lastLine('one\ntwo\n\n   \n')).toBe('two');
    expect(lastLine('\x1b[32m✓ 112 passed\x1b[0m\n')).toBe('✓ 112 passed');
    expect(lastLine('progress 10%\rprogress 90%')).toBe('progress 90%');
    expect(lastLine('')).toBeUndefined();
  });

  it('never reaches back before guild\'s attempt header', () => {
    const log = '--- guild: attempt 1 at 2025-01-01T00:00:00Z: make\nold output\n--- guild: attempt 2 at 2025-01-01T00:01:00Z: make\n';
    expect(lastLine(log)).toBeUndefined();
    expect(lastLine(`${log}new output\n`)).toBe('new output');
  });

  it('leaves out a cut first line when the text starts mid-file', () => {
    expect(lastLine('cut line\n\n', true)).toBeUndefined();
    expect(lastLine('cut line\n\n', false)).toBe('cut line');
    expect(lastLine('\uFFFDonly one long line', true)).toBe('only one long line');
  });
});

describe('LogTails', () => {
  it('follows the last line of each running task, re-reading only changed files', async () => {
    const dir = await testdir({ 'a.log': '--- guild: attempt 1 at x: run\nstarting\n' });
    const tails = new LogTails(dir);
    expect(tails.poll(['a', 'missing'], 1)).toBe(true);
    expect(tails.tails.get('a')).toEqual({ line: 'starting', at: 1 });
    expect(tails.tails.has('missing')).toBe(false);

    expect(tails.poll(['a'], 2)).toBe(false);
    await appendFile(path.join(dir, 'a.log'), 'step 2 of 3\n');
    expect(tails.poll(['a'], 3)).toBe(true);
    expect(tails.tails.get('a')).toEqual({ line: 'step 2 of 3', at: 3 });

    // A task no longer running is forgotten.
    expect(tails.poll([], 4)).toBe(true);
    expect(tails.tails.size).toBe(0);
  });

  it('reads only the end of a big log', async () => {
    const dir = await testdir();
    const big = `${'x'.repeat(100)}\n`.repeat(20_000);
    await writeFile(path.join(dir, 'big.log'), `${big}the very end\n`);
    const tails = new LogTails(dir);
    tails.poll(['big'], 1);
    expect(tails.tails.get('big')!.line).toBe('the very end');
    // A last line longer than the window still shows (its end).
    await writeFile(path.join(dir, 'long.log'), `start ${'y'.repeat(TAIL_BYTES * 2)} tail-end`);
    tails.poll(['long'], 2);
    expect(tails.tails.get('long')!.line).toMatch(/y tail-end$/);
  });
});
