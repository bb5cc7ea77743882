import { afterAll, describe, expect, it } from 'vitest';
import { fakeDep, fakeIssue, removeTestdirs } from '@guild/test-utils';
import { BdError } from './bd-client';
import { claimIssue, closeIssue, commentOn, createIssue, openIssues, readyIssues, reopenIssue, showIssue } from './bd-commands';
import { withFakeBd } from './test-support';

describe('bd commands', () => {
  afterAll(removeTestdirs);

  it('bd ready passes the filters through as bd takes them, once per type', async () => {
    const { fake, client } = await withFakeBd({
      issues: [
        fakeIssue('bd-1', { labels: ['backend', 'api'], issue_type: 'bug', priority: 2 }),
        fakeIssue('bd-2', { labels: ['backend', 'api'], issue_type: 'task', priority: 1 }),
        fakeIssue('bd-3', { labels: ['backend'], issue_type: 'task' }),
        fakeIssue('bd-4', { labels: ['backend', 'api'], issue_type: 'epic' }),
      ],
    });
    const found = await readyIssues(client, { labels: ['backend', 'api'], types: ['bug', 'task'] });
    expect(found.map((i) => i.id)).toEqual(['bd-2', 'bd-1']);
    expect((await fake.calls('ready')).map((c) => c.argv)).toEqual([
      ['ready', '--limit=0', '--label=backend', '--label=api', '--type=bug', '--json'],
      ['ready', '--limit=0', '--label=backend', '--label=api', '--type=task', '--json'],
    ]);
    await readyIssues(client, { labelsAny: ['api', 'ui'], assignee: 'alice' });
    expect((await fake.calls('ready')).at(-1)!.argv).toEqual(['ready', '--limit=0', '--label-any=api,ui', '--assignee=alice', '--json']);
  });

  it('bd list --status open gives every open issue, blocked ones too', async () => {
    const { client } = await withFakeBd({
      issues: [fakeIssue('bd-1'), fakeIssue('bd-2', { dependencies: [fakeDep('bd-2', 'bd-1')] }), fakeIssue('bd-3', { status: 'closed' })],
    });
    expect((await readyIssues(client, {})).map((i) => i.id)).toEqual(['bd-1']);
    expect((await openIssues(client, {})).map((i) => i.id)).toEqual(['bd-1', 'bd-2']);
  });

  it('bd show gives the dependencies as full issues with their type', async () => {
    const { client } = await withFakeBd({ issues: [fakeIssue('bd-1', { status: 'closed' }), fakeIssue('bd-2', { dependencies: [fakeDep('bd-2', 'bd-1', 'waits-for')] })] });
    const shown = await showIssue(client, 'bd-2');
    expect(shown.dependencies).toEqual([expect.objectContaining({ id: 'bd-1', status: 'closed', dependency_type: 'waits-for' })]);
  });

  it('a claim is a compare-and-swap: the first actor wins, the same actor may claim again, others lose', async () => {
    const { fake, client } = await withFakeBd({ issues: [fakeIssue('bd-1'), fakeIssue('bd-2', { status: 'closed' })] });
    expect(await claimIssue(client, 'bd-1', 'guild/run-a')).toEqual({ claimed: true });
    expect(await fake.issue('bd-1')).toMatchObject({ status: 'in_progress', assignee: 'guild/run-a' });
    expect(await claimIssue(client, 'bd-1', 'guild/run-a')).toEqual({ claimed: true });
    expect(await claimIssue(client, 'bd-1', 'guild/run-b')).toEqual({ claimed: false, reason: 'claimed by guild/run-a' });
    expect(await claimIssue(client, 'bd-2', 'guild/run-b')).toEqual({ claimed: false, reason: 'not open (its status is closed)' });
    expect(await fake.issue('bd-1')).toMatchObject({ assignee: 'guild/run-a' });
    expect((await fake.calls('update'))[0]!.argv).toEqual(['update', '--claim', '--actor=guild/run-a', '--json', '--', 'bd-1']);
  });

  it('a claim that fails for another reason is an error', async () => {
    const { client } = await withFakeBd({ issues: [], faults: [{ command: 'update', kind: 'crash' }] });
    await expect(claimIssue(client, 'bd-1', 'a')).rejects.toBeInstanceOf(BdError);
    await expect(claimIssue(client, 'bd-9', 'a')).rejects.toThrow(/no issue found matching "bd-9"/);
  });

  it('close, reopen and comment write what guild says, as the actor', async () => {
    const { fake, client } = await withFakeBd({ issues: [fakeIssue('bd-1'), fakeIssue('bd-2')] });
    await claimIssue(client, 'bd-1', 'guild/r1');
    await closeIssue(client, 'bd-1', 'guild run r1: done in 2.0s', 'guild/r1');
    expect(await fake.issue('bd-1')).toMatchObject({ status: 'closed', close_reason: 'guild run r1: done in 2.0s' });
    await claimIssue(client, 'bd-2', 'guild/r1');
    await reopenIssue(client, 'bd-2', 'guild/r1');
    await commentOn(client, 'bd-2', '-x looks like a flag but is text', 'guild/r1');
    const reopened = await fake.issue('bd-2');
    expect(reopened).toMatchObject({ status: 'open', comments: [{ author: 'guild/r1', text: '-x looks like a flag but is text' }] });
    expect(reopened.assignee).toBeUndefined();
  });

  it('closing a blocked issue fails with bd\'s message', async () => {
    const { client } = await withFakeBd({ issues: [fakeIssue('bd-1'), fakeIssue('bd-2', { dependencies: [fakeDep('bd-2', 'bd-1')] })] });
    await expect(closeIssue(client, 'bd-2', 'x', 'a')).rejects.toThrow('cannot close bd-2: blocked by open issues [bd-1]');
  });

  it('files new work linked with discovered-from, whatever its title holds', async () => {
    const { fake, client } = await withFakeBd({ issues: [fakeIssue('bd-1')] });
    const created = await createIssue(client, { title: '--flaky test; `rm -rf /`', description: 'seen in CI', priority: 1, labels: ['tests'], discoveredFrom: 'bd-1' }, 'guild');
    const stored = await fake.issue(created.id);
    expect(stored).toMatchObject({
      title: '--flaky test; `rm -rf /`',
      description: 'seen in CI',
      priority: 1,
      labels: ['tests'],
      dependencies: [expect.objectContaining({ issue_id: created.id, depends_on_id: 'bd-1', type: 'discovered-from' })],
    });
    // discovered-from never blocks: the new issue is ready at once.
    expect((await readyIssues(client, {})).map((i) => i.id)).toContain(created.id);
  });
});
