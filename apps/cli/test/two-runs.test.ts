/**
 * Two `guild run`s in one project: declared writes of the two never overlap in time (checked
 * from the tasks' own records), the second says what it waits for, and `--no-wait` refuses.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { overlaps, readRecords, recordCmd, removeTestdirs, runGuild, startGuild, testdir, waitFor, writeFiles } from '@guild/test-utils';
import { holdCmd } from './durable-support.js';
import { planYaml } from './support.js';

afterAll(removeTestdirs);

describe('two runs in one project', () => {
  it('never hold overlapping writes at the same time, and the second says what it waits for', async () => {
    const dir = await testdir({ '.git/HEAD': 'ref: refs/heads/main\n' });
    const rec = path.join(dir, 'records');
    const release = path.join(dir, 'release');
    await writeFiles(dir, {
      // The first run's tasks hold on until the second run has said what it waits for.
      'first.yaml': planYaml([
        { id: 'gen-api', run: holdCmd('gen-api', rec, release), writes: ['src/api'] },
        { id: 'gen-db', run: holdCmd('gen-db', rec, release), resources: ['db'] },
      ]),
      'second.yaml': planYaml([
        { id: 'fmt-login', run: recordCmd('fmt-login', 0.3, rec), writes: ['src/api/login.ts'] },
        { id: 'migrate', run: recordCmd('migrate', 0.3, rec), resources: ['db'] },
        { id: 'docs', run: recordCmd('docs', 0.3, rec), writes: ['docs'] },
      ]),
    });
    const first = startGuild(['run', 'first.yaml'], { cwd: dir });
    await first.waitForLine(/gen-api started/);
    await first.waitForLine(/gen-db started/);
    const secondRun = startGuild(['run', 'second.yaml'], { cwd: dir });
    await secondRun.waitForLine(/fmt-login waiting/);
    await secondRun.waitForLine(/migrate waiting/);
    // The unrelated task of the second run starts while the first run still holds: its shell
    // records its start a moment after guild reports it, so wait for the record, not the line.
    await waitFor('docs to record its start', async () => (await readRecords(rec)).has('docs'));
    await writeFiles(dir, { release: '' });
    const second = await secondRun.result;
    const firstResult = await first.result;
    expect(firstResult.code).toBe(0);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toMatch(/fmt-login waiting: src\/api held by task gen-api of run \S+ \(another guild run here\)/);
    expect(second.stdout).toMatch(/migrate waiting: resource:db held by task gen-db of run \S+/);

    const records = await readRecords(rec);
    const one = (id: string) => {
      const list = records.get(id);
      expect(list, id).toHaveLength(1);
      return list![0]!;
    };
    expect(overlaps(one('gen-api'), one('fmt-login'))).toBe(false);
    expect(overlaps(one('gen-db'), one('migrate'))).toBe(false);
    // the unrelated task of the second run did not wait
    expect(overlaps(one('gen-api'), one('docs'))).toBe(true);
  });

  it('--no-wait refuses to start when another run holds what a task needs', async () => {
    const dir = await testdir({ '.git/HEAD': 'ref: refs/heads/main\n' });
    await writeFiles(dir, {
      'first.yaml': planYaml([{ id: 'hold', run: 'sleep 1.5', writes: ['out'] }]),
      'second.yaml': planYaml([{ id: 'clash', run: 'touch clash-ran', writes: ['out/file'] }]),
    });
    const first = startGuild(['run', 'first.yaml'], { cwd: dir });
    await first.waitForLine(/hold started/);
    const second = await runGuild(['run', 'second.yaml', '--no-wait'], { cwd: dir });
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/^guild: task clash needs out, which task hold of run \S+ holds right now; not starting \(--no-wait\)/);
    expect((await first.result).code).toBe(0);
  });
});
