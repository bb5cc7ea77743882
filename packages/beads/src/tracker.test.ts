import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPaths, type Task } from '@guild/core';
import { fakeIssue, removeTestdirs } from '@guild/test-utils';
import { issueToSpec } from './mapping';
import { bdIssue, memoryLogger, tasksOf, withFakeBd } from './test-support';
import { BeadsTracker } from './tracker';

/** Tasks for the issues, as the beads source makes them (claims on unless said). */
function beadsTasks(ids: string[], claim = true): Map<string, Task> {
  return tasksOf(ids.map((id) => issueToSpec(bdIssue(fakeIssue(id)), [], { allowRun: false, claim })));
}

async function setUp(ids: string[]) {
  const { dir, fake, client } = await withFakeBd({ issues: ids.map((id) => fakeIssue(id)) });
  const logger = memoryLogger();
  const tracker = new BeadsTracker({ actor: 'guild', projectRoot: dir, logger, bd: async () => client });
  return { dir, fake, tracker, logger, tasks: beadsTasks(ids) };
}

describe('BeadsTracker', () => {
  afterAll(removeTestdirs);

  it('claims as <actor>/<run>, and closes the issue with the run id and duration when the task succeeded', async () => {
    const { fake, tracker, tasks } = await setUp(['bd-1']);
    const task = tasks.get('bd-1')!;
    expect(await tracker.claim(task, 'RUN1')).toEqual({ claimed: true });
    expect(await fake.issue('bd-1')).toMatchObject({ status: 'in_progress', assignee: 'guild/RUN1' });
    // Claiming again (core's sink and the runner wrapper both in place) asks bd nothing.
    expect(await tracker.claim(task, 'RUN1')).toEqual({ claimed: true });
    expect(await fake.calls('update')).toHaveLength(1);
    await tracker.finish(task, 'succeeded');
    const closed = await fake.issue('bd-1');
    expect(closed).toMatchObject({ status: 'closed' });
    expect(closed.close_reason).toMatch(/^guild run RUN1: done in \d+(\.\d)?(ms|s)$/);
    expect((await fake.calls('close'))[0]!.actor).toBe('guild/RUN1');
    // Finished already: nothing more happens.
    await tracker.finish(task, 'failed');
    expect(await fake.calls('update')).toHaveLength(1);
  });

  it('reopens a failed issue, unassigned, with a comment holding the run id, how it ended and the end of its log', async () => {
    const { dir, fake, tracker, tasks } = await setUp(['bd-1']);
    const task = tasks.get('bd-1')!;
    const logs = runPaths(dir, 'RUN2').logs;
    await mkdir(logs, { recursive: true });
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
    await writeFile(path.join(logs, 'bd-1.log'), `${lines.join('\n')}\n`);
    tracker.onEvent({ type: 'run.started', runId: 'RUN2', at: 0, tasks: 1, slots: 1, boost: 1 });
    await tracker.claim(task);
    tracker.onEvent({ type: 'task.finished', id: 'bd-1', at: 1, attempt: 1, outcome: 'failed', exitCode: 3 });
    await tracker.finish(task, 'failed');
    const issue = await fake.issue('bd-1');
    expect(issue.status).toBe('open');
    expect(issue.assignee).toBeUndefined();
    const text = issue.comments![0]!.text;
    expect(text).toMatch(/^guild run RUN2: the task failed with exit code 3 after \S+; the issue is open again\.\nLast lines of its log \(guild logs RUN2 bd-1\):\nline 11\n/);
    expect(text.endsWith('line 30')).toBe(true);
    expect(issue.comments![0]!.author).toBe('guild/RUN2');
  });

  it('names a timeout, a cancellation or a signal, and says when the log is empty', async () => {
    const { fake, tracker, tasks } = await setUp(['bd-1', 'bd-2', 'bd-3']);
    for (const id of ['bd-1', 'bd-2', 'bd-3']) await tracker.claim(tasks.get(id)!, 'R');
    await tracker.finish(tasks.get('bd-1')!, 'timed-out');
    await tracker.finish(tasks.get('bd-2')!, 'cancelled');
    await tracker.finish(tasks.get('bd-3')!, 'failed', { signal: 'SIGKILL' });
    const first = async (id: string) => (await fake.issue(id)).comments![0]!.text;
    expect(await first('bd-1')).toMatch(/^guild run R: the task timed out after .*\nIts log is empty\.$/);
    expect(await first('bd-2')).toMatch(/^guild run R: the task was cancelled after /);
    expect(await first('bd-3')).toMatch(/^guild run R: the task failed \(killed by SIGKILL\) after /);
  });

  it('a lost claim is reported, leaves the issue alone, and finishing it does nothing', async () => {
    const { fake, tracker, tasks, logger } = await setUp(['bd-1']);
    await fake.write({ ...(await fake.read()), issues: [fakeIssue('bd-1', { status: 'in_progress', assignee: 'guild/OTHER' })] });
    const task = tasks.get('bd-1')!;
    expect(await tracker.claim(task, 'MINE')).toEqual({ claimed: false, reason: 'claimed by guild/OTHER' });
    expect(logger.lines).toEqual(['warn: bd-1 is not run here: it is claimed by guild/OTHER']);
    await tracker.finish(task, 'failed');
    expect(await fake.issue('bd-1')).toMatchObject({ status: 'in_progress', assignee: 'guild/OTHER' });
    expect((await fake.calls()).map((c) => c.argv[0])).toEqual(['update']);
  });

  it('is the source sink core calls: started -> ok | lost, finished -> close or reopen', async () => {
    const { fake, tracker, tasks } = await setUp(['bd-1', 'bd-2']);
    tracker.onEvent({ type: 'run.started', runId: 'R3', at: 0, tasks: 2, slots: 1, boost: 1 });
    expect(await tracker.sink.started!(tasks.get('bd-1')!)).toBe('ok');
    await tracker.sink.finished!(tasks.get('bd-1')!, 'succeeded');
    expect((await fake.issue('bd-1')).status).toBe('closed');
    await fake.write({ ...(await fake.read()), issues: [...(await fake.read()).issues.filter((i) => i.id !== 'bd-2'), fakeIssue('bd-2', { assignee: 'carol' })] });
    expect(await tracker.sink.started!(tasks.get('bd-2')!)).toBe('lost');
  });

  it('lets go of every issue it still holds when the run ends', async () => {
    const { fake, tracker, tasks } = await setUp(['bd-1', 'bd-2']);
    await tracker.claim(tasks.get('bd-1')!, 'R4');
    await tracker.claim(tasks.get('bd-2')!, 'R4');
    await tracker.finish(tasks.get('bd-2')!, 'succeeded');
    await tracker.releaseAll();
    expect(await fake.issue('bd-1')).toMatchObject({ status: 'open', comments: [{ text: expect.stringMatching(/was cancelled \(the run ended before the task did\)/) }] });
    expect((await fake.issue('bd-2')).status).toBe('closed');
  });

  it('leaves tasks alone that do not claim (other sources, read-only runs)', async () => {
    const { fake, tracker } = await setUp(['bd-1']);
    const readOnly = beadsTasks(['bd-1'], false).get('bd-1')!;
    const plain = tasksOf([{ id: 'bd-1', run: 'true' }]).get('bd-1')!;
    for (const task of [readOnly, plain]) {
      expect(await tracker.claim(task, 'R5')).toEqual({ claimed: true });
      await tracker.finish(task, 'succeeded');
    }
    expect(await fake.calls()).toEqual([]);
  });

  it('refuses to claim without a run, or without bd', async () => {
    const { tasks, dir } = await setUp(['bd-1']);
    const noBd = new BeadsTracker({ actor: 'guild', projectRoot: dir, logger: memoryLogger(), bd: async () => undefined });
    await expect(noBd.claim(tasks.get('bd-1')!)).rejects.toThrow('cannot claim bd-1: no run has started');
    await expect(noBd.claim(tasks.get('bd-1')!, 'R')).rejects.toThrow(/^cannot claim bd-1: bd is not installed/);
  });

  it('logs, and does not throw, when bd will not close the issue or take the note', async () => {
    const { fake, tracker, tasks, logger } = await setUp(['bd-1', 'bd-2']);
    await tracker.claim(tasks.get('bd-1')!, 'R6');
    await tracker.claim(tasks.get('bd-2')!, 'R6');
    await fake.write({ ...(await fake.read()), faults: [{ command: 'close', kind: 'crash' }, { command: 'comments', kind: 'crash' }] });
    await tracker.finish(tasks.get('bd-1')!, 'succeeded');
    expect(logger.lines.at(-1)).toMatch(/^warn: could not close bd-1 \(bd close .* failed with exit code 2: panic: .*\); it stays in_progress, assigned to guild\/R6$/);
    await tracker.finish(tasks.get('bd-2')!, 'failed');
    expect((await fake.issue('bd-2')).status).toBe('open');
    expect(logger.lines.at(-1)).toMatch(/^warn: could not add the note on bd-2 \(bd comments add .* failed with exit code 2: panic: /);
  });
});
