import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { realClock, shellRunner, type RunContext, type Task } from '@guild/core';
import { fakeIssue, removeTestdirs, shellQuote, type FakeBdIssue } from '@guild/test-utils';
import { claimingRunner } from './claiming-runner';
import { issueToSpec } from './mapping';
import { bdIssue, memoryLogger, tasksOf, withFakeBd } from './test-support';
import { BeadsTracker } from './tracker';

async function setUp(issues: FakeBdIssue[], retries = 0) {
  const { dir, fake, client } = await withFakeBd({ issues });
  const tracker = new BeadsTracker({ actor: 'guild', projectRoot: dir, logger: memoryLogger(), bd: async () => client });
  const specs = issues.map((i) => ({ ...issueToSpec(bdIssue(i), [], { allowRun: true, claim: true }), retries }));
  const tasks = tasksOf(specs, dir);
  const runner = claimingRunner(shellRunner, tracker);
  const start = (id: string, attempt = 1) => runner.start(tasks.get(id)!, context(tasks.get(id)!, dir, attempt)).done;
  return { dir, fake, start };
}

function context(task: Task, dir: string, attempt: number): RunContext {
  return {
    runId: 'RUN',
    attempt,
    workdir: dir,
    env: { PATH: process.env.PATH ?? '' },
    logFile: path.join(dir, `${task.id}.log`),
    log: () => {},
    progress: () => {},
    clock: realClock,
    signal: new AbortController().signal,
  };
}

const touching = (file: string, exit = 0) => `echo working; touch ${shellQuote(file)}; exit ${exit}`;

describe('claimingRunner', () => {
  afterAll(removeTestdirs);

  it('claims the issue, runs the task, and closes the issue before the task counts as done', async () => {
    const { dir, fake, start } = await setUp([fakeIssue('bd-1', { metadata: { run: touching('ran-1') } })]);
    expect(await start('bd-1')).toEqual({ outcome: 'succeeded', exitCode: 0 });
    expect(existsSync(path.join(dir, 'ran-1'))).toBe(true);
    expect(await fake.issue('bd-1')).toMatchObject({ status: 'closed', close_reason: expect.stringMatching(/^guild run RUN: done in /) });
    expect((await fake.calls()).map((c) => `${c.argv[0]} ${c.actor}`)).toEqual(['update guild/RUN', 'close guild/RUN']);
  });

  it('never starts a task whose issue someone else holds, and says why in the result and the log', async () => {
    const { dir, fake, start } = await setUp([fakeIssue('bd-1', { status: 'in_progress', assignee: 'guild/OTHER', metadata: { run: touching('ran-1') } })]);
    expect(await start('bd-1')).toEqual({ outcome: 'dropped', error: 'not run: bd-1 is claimed by guild/OTHER' });
    expect(existsSync(path.join(dir, 'ran-1'))).toBe(false);
    expect(await readFile(path.join(dir, 'bd-1.log'), 'utf8')).toBe('--- guild: not run: bd-1 is claimed by guild/OTHER\n');
    expect(await fake.issue('bd-1')).toMatchObject({ status: 'in_progress', assignee: 'guild/OTHER' });
  });

  it('does not run a closed issue either', async () => {
    const { dir, start } = await setUp([fakeIssue('bd-1', { status: 'closed', metadata: { run: touching('ran-1') } })]);
    expect(await start('bd-1')).toEqual({ outcome: 'dropped', error: 'not run: bd-1 is not open (its status is closed)' });
    expect(existsSync(path.join(dir, 'ran-1'))).toBe(false);
  });

  it('keeps the claim through a failed attempt with retries left, and reopens with a note after the last', async () => {
    const { fake, start } = await setUp([fakeIssue('bd-1', { metadata: { run: touching('ran', 3) } })], 1);
    expect(await start('bd-1', 1)).toMatchObject({ outcome: 'failed', exitCode: 3 });
    expect(await fake.issue('bd-1')).toMatchObject({ status: 'in_progress', assignee: 'guild/RUN' });
    expect(await start('bd-1', 2)).toMatchObject({ outcome: 'failed', exitCode: 3 });
    const issue = await fake.issue('bd-1');
    expect(issue.status).toBe('open');
    expect(issue.assignee).toBeUndefined();
    expect(issue.comments![0]!.text).toMatch(/^guild run RUN: the task failed with exit code 3 after .*\nLast lines of its log \(guild logs RUN bd-1\):\n(.|\n)*working$/);
    // One claim for both attempts.
    expect((await fake.calls('update')).filter((c) => c.argv.includes('--claim'))).toHaveLength(1);
  });

  it('fails the task without running it when the claim itself fails', async () => {
    const { dir, fake, start } = await setUp([fakeIssue('bd-1', { metadata: { run: touching('ran-1') } })]);
    await fake.write({ ...(await fake.read()), faults: [{ command: 'update', kind: 'not-json' }] });
    expect(await start('bd-1')).toMatchObject({ outcome: 'failed', error: expect.stringMatching(/^could not claim bd-1: bd update --claim .* printed something that is not JSON/) });
    expect(existsSync(path.join(dir, 'ran-1'))).toBe(false);
  });

  it('passes tasks of other sources straight to the inner runner', async () => {
    const { dir, fake, client } = await withFakeBd({ issues: [] });
    const tracker = new BeadsTracker({ actor: 'guild', projectRoot: dir, logger: memoryLogger(), bd: async () => client });
    const task = tasksOf([{ id: 'plain', run: touching('plain-ran') }], dir).get('plain')!;
    const result = await claimingRunner(shellRunner, tracker).start(task, context(task, dir, 1)).done;
    expect(result).toEqual({ outcome: 'succeeded', exitCode: 0 });
    expect(existsSync(path.join(dir, 'plain-ran'))).toBe(true);
    expect(await fake.calls()).toEqual([]);
  });
});
