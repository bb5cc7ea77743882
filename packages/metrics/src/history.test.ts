import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPlan, tryLock } from '@guild/core';
import { removeTestdirs, testdir } from '@guild/test-utils';
import { DurationHistory, commandHash, historyFile } from './history';

afterAll(removeTestdirs);

const build = { id: 'build', run: 'make build' };
const test = { id: 'test', run: 'make test' };

describe('DurationHistory', () => {
  it('keeps the last durations per task across instances and estimates their median', async () => {
    const file = historyFile(await testdir());
    const first = new DurationHistory({ file, depth: 3 });
    expect(first.estimate(build)).toBeUndefined();
    for (const seconds of [100, 4, 6, 5]) first.record([{ spec: build, seconds }]);
    // depth 3: 100 was dropped; the median of 4, 6, 5 is 5.
    expect(first.estimate(build)).toBe(5);
    const again = new DurationHistory({ file, depth: 3 });
    expect(again.estimate(build)).toBe(5);
    again.record([{ spec: build, seconds: 8 }, { spec: test, seconds: 2.0004 }]);
    // 6, 5, 8: median 6; an even count takes the mean of the middle two.
    expect(new DurationHistory({ file }).estimate(build)).toBe(6);
    expect(new DurationHistory({ file }).estimate(test)).toBe(2);
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    expect(stored.version).toBe(1);
    expect(stored.tasks.build).toEqual({ hash: commandHash(build), durations: [6, 5, 8], at: expect.any(Number) });
    expect(readdirSync(path.dirname(file))).toEqual(['history.json']);
  });

  it('forgets durations when the command or prompt changes', async () => {
    const file = historyFile(await testdir());
    const history = new DurationHistory({ file });
    history.record([{ spec: build, seconds: 3 }]);
    expect(history.estimate({ id: 'build', run: 'make build -j8' })).toBeUndefined();
    expect(commandHash({ prompt: 'a' })).not.toBe(commandHash({ run: 'a' }));
    history.record([{ spec: { id: 'build', run: 'make build -j8' }, seconds: 1 }]);
    expect(history.estimate({ id: 'build', run: 'make build -j8' })).toBe(1);
    expect(history.estimate(build)).toBeUndefined();
  });

  it('keeps only the most recently run tasks', async () => {
    const file = historyFile(await testdir());
    const history = new DurationHistory({ file, limit: 2 });
    history.record([{ spec: build, seconds: 1 }], 1000);
    history.record([{ spec: test, seconds: 2 }], 2000);
    history.record([{ spec: { id: 'lint', run: 'lint' }, seconds: 3 }], 3000);
    history.record([{ spec: test, seconds: 4 }], 4000);
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')).tasks)).toEqual(['lint', 'test']);
    expect(history.estimate(build)).toBeUndefined();
    expect(history.estimate(test)).toBe(3);
  });

  it('starts over, with one warning, when the file is unreadable', async () => {
    const file = historyFile(await testdir({ '.guild/history.json': '{"version":1,"tasks":{"build":{"hash":1}}}' }));
    const warnings: string[] = [];
    const history = new DurationHistory({ file, warn: (m) => warnings.push(m) });
    expect(history.estimate(build)).toBeUndefined();
    history.record([{ spec: build, seconds: 2 }]);
    expect(warnings).toEqual([
      `${file} is unreadable (the entry for task "build" is not { hash, durations, at }); starting a new duration history`,
    ]);
    expect(new DurationHistory({ file }).estimate(build)).toBe(2);

    writeFileSync(file, '{"version":1,"tasks":');
    const other: string[] = [];
    expect(new DurationHistory({ file, warn: (m) => other.push(m) }).estimate(build)).toBeUndefined();
    expect(other).toHaveLength(1);
    expect(other[0]).toMatch(/history\.json is unreadable \(.*JSON.*\); starting a new duration history$/);
  });

  it('gives createPlan its estimates, so the plan counts them as from history', async () => {
    const file = historyFile(await testdir());
    const history = new DurationHistory({ file });
    history.record([{ spec: build, seconds: 42 }]);
    const plan = createPlan([build, test, { id: 'docs', run: 'make docs', estimate: 5 }], {
      root: path.dirname(file),
      history: (spec) => history.estimate(spec),
    });
    expect(plan.tasks.get('build')).toMatchObject({ estimate: 42, estimateFrom: 'history' });
    expect(plan.tasks.get('test')).toMatchObject({ estimate: 60, estimateFrom: 'default' });
    expect(plan.tasks.get('docs')).toMatchObject({ estimate: 5, estimateFrom: 'plan' });
    expect(existsSync(file)).toBe(true);
  });

  it('a record waits for the lock another run holds, then re-reads the file: both runs keep their updates', async () => {
    const file = historyFile(await testdir());
    mkdirSync(path.dirname(file), { recursive: true });
    // This test is the other run: it holds the lock while it writes its own update.
    const held = tryLock(`${file}.lock`);
    if (!('release' in held)) throw new Error('could not take the lock');
    const child = spawn(process.execPath, ['--input-type=module', '-e', recordIn(file, 'b', 2)], { stdio: 'inherit' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await new Promise((r) => setTimeout(r, 500));
    expect(child.exitCode, 'the record did not wait for the lock').toBeNull();
    writeFileSync(file, JSON.stringify({ version: 1, tasks: { a: { hash: commandHash({ run: 'a' }), durations: [1], at: 1 } } }));
    held.release();
    expect(await exited).toBe(0);
    const history = new DurationHistory({ file });
    expect(history.estimate({ id: 'a', run: 'a' })).toBe(1);
    expect(history.estimate({ id: 'b', run: 'b' })).toBe(2);
    expect(readdirSync(path.dirname(file))).toEqual(['history.json']);
  });

  it('takes over a lock left by a process that is gone', async () => {
    const file = historyFile(await testdir());
    mkdirSync(path.dirname(file), { recursive: true });
    const gone = spawnSync('true').pid!;
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: gone, startTime: 1, since: 1 }));
    const warnings: string[] = [];
    new DurationHistory({ file, warn: (m) => warnings.push(m) }).record([{ spec: build, seconds: 3 }]);
    expect(new DurationHistory({ file }).estimate(build)).toBe(3);
    expect(warnings).toEqual([]);
    expect(readdirSync(path.dirname(file))).toEqual(['history.json']);
  });
});

/** A module that records `seconds` for task `id` (command `id`) in `file`, with the built package. */
function recordIn(file: string, id: string, seconds: number): string {
  const dist = new URL('../dist/index.js', import.meta.url).href;
  return `import { DurationHistory } from ${JSON.stringify(dist)};
new DurationHistory({ file: ${JSON.stringify(file)} }).record([{ spec: { id: ${JSON.stringify(id)}, run: ${JSON.stringify(id)} }, seconds: ${seconds} }]);`;
}
