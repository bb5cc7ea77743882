import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { overlaps, peakConcurrency, readRecords, recordCmd, removeTestdirs, shellQuote, testdir } from './index.js';

describe('testdir', () => {
  it('builds the tree and removeTestdirs deletes it', async () => {
    const dir = await testdir({ 'a.txt': 'A', 'deep/er/b.txt': 'B' });
    expect(await readFile(path.join(dir, 'deep/er/b.txt'), 'utf8')).toBe('B');
    await removeTestdirs();
    expect(existsSync(dir)).toBe(false);
  });
});

describe('recordCmd and readRecords', () => {
  afterAll(removeTestdirs);

  it('record a real interval per run, with awkward characters in the folder name', async () => {
    const dir = path.join(await testdir(), "it's $(x) here");
    const before = Date.now();
    execFileSync('/bin/sh', ['-c', recordCmd('t1', 0.1, dir)]);
    execFileSync('/bin/sh', ['-c', recordCmd('t1', 0, dir)]);
    const records = await readRecords(dir);
    const runs = records.get('t1')!;
    expect(runs).toHaveLength(2);
    expect(runs[0]!.start).toBeGreaterThanOrEqual(before - 5);
    expect(runs[0]!.end! - runs[0]!.start).toBeGreaterThanOrEqual(90);
    expect(runs[1]!.start).toBeGreaterThanOrEqual(runs[0]!.end!);
  });

  it('passes the exit code on after recording the end', async () => {
    const dir = await testdir();
    expect(() => execFileSync('/bin/sh', ['-c', recordCmd('bad', 0, dir, 3)])).toThrow(expect.objectContaining({ status: 3 }));
    expect((await readRecords(dir)).get('bad')).toEqual([{ start: expect.any(Number), end: expect.any(Number) }]);
  });

  it('rejects lines it does not understand', async () => {
    const dir = await testdir();
    await writeFile(path.join(dir, 'x.rec'), 'x start N\n');
    await expect(readRecords(dir)).rejects.toThrow(/cannot read record line/);
  });
});

describe('interval helpers', () => {
  it('overlaps: touching ends do not count', () => {
    expect(overlaps({ start: 0, end: 10 }, { start: 10, end: 20 })).toBe(false);
    expect(overlaps({ start: 0, end: 11 }, { start: 10, end: 20 })).toBe(true);
    expect(overlaps({ start: 0 }, { start: 100, end: 200 })).toBe(true);
  });

  it('peakConcurrency counts the most intervals at one moment', () => {
    expect(peakConcurrency([])).toBe(0);
    expect(peakConcurrency([{ start: 0, end: 10 }, { start: 10, end: 20 }])).toBe(1);
    expect(peakConcurrency([{ start: 0, end: 10 }, { start: 5, end: 20 }, { start: 6, end: 7 }, { start: 8, end: 9 }])).toBe(3);
  });

  it('shellQuote makes one literal word', () => {
    const text = `a'b $(touch x) "c"`;
    expect(execFileSync('/bin/sh', ['-c', `printf %s ${shellQuote(text)}`], { encoding: 'utf8' })).toBe(text);
  });
});
