import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from '@guild/core';
import { fakeIssue, removeTestdirs, testdir } from '@guild/test-utils';
import { BdClient, BdError, describeCommand } from './bd-client';
import { bdIssueSchema } from './bd-schema';
import { withFakeBd } from './test-support';

const issues = z.array(bdIssueSchema);

async function failure(p: Promise<unknown>): Promise<BdError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(BdError);
    return e as BdError;
  }
  throw new Error('expected a BdError');
}

describe('BdClient', () => {
  afterAll(removeTestdirs);

  it('runs bd with --json before any "--" and parses what it prints', async () => {
    const { fake, client } = await withFakeBd({ issues: [fakeIssue('bd-1', { title: '--not a flag; $(rm -rf x)' })] });
    const [shown] = await client.json(['show', '--', 'bd-1'], issues);
    expect(shown).toMatchObject({ id: 'bd-1', title: '--not a flag; $(rm -rf x)', status: 'open' });
    expect((await fake.calls())[0]!.argv).toEqual(['show', '--json', '--', 'bd-1']);
  });

  it('unwraps the BD_JSON_ENVELOPE envelope', async () => {
    const { client } = await withFakeBd({ issues: [fakeIssue('bd-1')] }, { env: { BD_JSON_ENVELOPE: '1' } });
    expect((await client.json(['ready', '--limit=0'], issues)).map((i) => i.id)).toEqual(['bd-1']);
  });

  it('tries again with back-off while the database is locked', async () => {
    const { fake, client } = await withFakeBd({ issues: [fakeIssue('bd-1')], faults: [{ command: 'ready', kind: 'locked', times: 2 }] });
    expect(await client.json(['ready', '--limit=0'], issues)).toHaveLength(1);
    expect(await fake.calls('ready')).toHaveLength(3);
  });

  it('gives up after lockRetries and says the database stayed locked', async () => {
    const { fake, client } = await withFakeBd({ issues: [], faults: [{ command: 'ready', kind: 'locked', times: 10 }] }, { lockRetries: 2 });
    const e = await failure(client.json(['ready', '--limit=0'], issues));
    expect(e.message).toBe(
      'bd ready --limit=0 --json failed with exit code 1: Error: failed to open database: database is locked (another bd process kept the database locked through every retry)',
    );
    expect(e.code).toBe('PLUGIN_FAILED');
    expect(await fake.calls('ready')).toHaveLength(3);
  });

  it('does not retry other failures, and shows bd\'s own message (JSON error or stderr)', async () => {
    const { fake, client } = await withFakeBd({ issues: [] });
    const notFound = await failure(client.json(['show', '--', 'bd-9'], issues));
    expect(notFound.message).toBe('bd show --json -- bd-9 failed with exit code 1: no issue found matching "bd-9"');
    expect(notFound.exitCode).toBe(1);
    const removed = await failure(client.json(['ready', '--no-daemon'], issues));
    expect(removed.detail).toBe('Error: unknown flag: --no-daemon');
    // One call each (the flag error comes before bd opens its database, so only show is logged).
    expect((await fake.calls()).map((c) => c.argv[0])).toEqual(['show']);
  });

  it('turns output that is not JSON, or JSON of the wrong shape, into a clear error with a snippet', async () => {
    const { client } = await withFakeBd({
      issues: [],
      faults: [
        { command: 'ready', kind: 'not-json' },
        { command: 'ready', kind: 'wrong-shape' },
        { command: 'list', kind: 'crash' },
      ],
    });
    const notJson = await failure(client.json(['ready', '--limit=0'], issues));
    expect(notJson.message).toBe(
      'bd ready --limit=0 --json printed something that is not JSON: "Dolt server is starting, please wait... {"id":"; is bd 1.0 or later installed?',
    );
    const shape = await failure(client.json(['ready', '--limit=0'], issues));
    expect(shape.message).toMatch(/^bd ready --limit=0 --json printed JSON guild does not understand \(.*expected array.*\): \{"issues":"none","schema_version":1\}; is bd 1.0 or later installed\?$/);
    const crash = await failure(client.json(['list'], issues));
    expect(crash.message).toMatch(/^bd list --json failed with exit code 2: panic: runtime error/);
  });

  it('names an issue field bd printed wrongly', async () => {
    const { fake, client } = await withFakeBd({ issues: [fakeIssue('bd-1')] });
    const state = await fake.read();
    (state.issues[0] as { priority: unknown }).priority = 'high';
    await fake.write(state);
    const e = await failure(client.json(['ready', '--limit=0'], issues));
    expect(e.message).toMatch(/printed JSON guild does not understand \(.* at 0\.priority\)/);
  });

  it('runs one bd at a time', async () => {
    const dir = await testdir();
    const trace = path.join(dir, 'trace');
    const { client } = await withFakeBd({ issues: [fakeIssue('bd-1')] }, { env: { FAKE_BD_TRACE: trace, FAKE_BD_DELAY_MS: '40' } });
    await Promise.all([1, 2, 3, 4].map(() => client.json(['ready', '--limit=0'], issues)));
    const spans = new Map<string, { start: number; end: number }>();
    for (const line of (await readFile(trace, 'utf8')).trim().split('\n')) {
      const [pid, edge, ms] = line.split(' ') as [string, 'start' | 'end', string];
      spans.set(pid, { ...spans.get(pid)!, [edge]: Number(ms) });
    }
    const sorted = [...spans.values()].sort((a, b) => a.start - b.start);
    expect(sorted).toHaveLength(4);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]!.start).toBeGreaterThanOrEqual(sorted[i - 1]!.end);
  });

  it('says so when bd cannot be run', async () => {
    const client = new BdClient({ bin: '/nonexistent/bd', cwd: '/' });
    const e = await failure(client.json(['ready'], issues));
    expect(e.message).toMatch(/^bd ready --json could not be run \(ENOENT\); check the "bd" option or that bd is installed$/);
  });

  it('quotes arguments that need it when it names a command', () => {
    expect(describeCommand(['close', '--reason=done in 4s', '--', 'bd-1'])).toBe('bd close "--reason=done in 4s" -- bd-1');
  });
});
