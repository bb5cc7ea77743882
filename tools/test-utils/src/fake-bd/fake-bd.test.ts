import { execFile } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTestdirs, testdir } from '../index.js';
import { fakeDep, fakeIssue, installFakeBd, type FakeBd } from './index.js';

/** Runs the installed fake as a process would, and returns its exit code and output. */
function bd(fake: FakeBd, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(fake.bin, args, { env: { ...process.env, ...fake.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

describe('fake bd', () => {
  afterAll(removeTestdirs);

  it('prints arrays pretty, in bd\'s field order, empty fields left out, with counts and parent', async () => {
    const fake = await installFakeBd(await testdir(), {
      issues: [fakeIssue('bd-p', { issue_type: 'epic' }), fakeIssue('bd-p.1', { description: '', labels: [], dependencies: [fakeDep('bd-p.1', 'bd-p', 'parent-child')] })],
    });
    const r = await bd(fake, ['ready', '--json', '--limit', '0']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(r.stdout).toBe(`${JSON.stringify(out, null, 2)}\n`);
    expect(Object.keys(out[1]!)).toEqual([
      'id', 'title', 'status', 'priority', 'issue_type', 'created_at', 'created_by', 'updated_at', 'dependencies',
      'dependency_count', 'dependent_count', 'comment_count', 'parent',
    ]);
    expect(out[1]).toMatchObject({ parent: 'bd-p', dependency_count: 0, comment_count: 0 });
  });

  it('adds schema_version to a single object and sorts its keys; wraps everything in the envelope on request', async () => {
    const fake = await installFakeBd(await testdir(), { issues: [fakeIssue('bd-1')] });
    const comment = await bd(fake, ['comments', 'add', 'bd-1', 'hello', '--json', '--actor', 'ann']);
    const parsed = JSON.parse(comment.stdout) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['author', 'created_at', 'id', 'issue_id', 'schema_version', 'text']);
    expect(parsed).toMatchObject({ author: 'ann', schema_version: 1, text: 'hello' });
    const wrapped = await bd(fake, ['show', 'bd-1', '--json'], { BD_JSON_ENVELOPE: '1' });
    expect(JSON.parse(wrapped.stdout)).toMatchObject({ schema_version: 1, data: [{ id: 'bd-1' }] });
  });

  it('cuts ready at 100 without --limit 0 and says so on stderr', async () => {
    const fake = await installFakeBd(await testdir(), { issues: Array.from({ length: 102 }, (_, i) => fakeIssue(`bd-${i}`)) });
    const r = await bd(fake, ['ready', '--json']);
    expect(JSON.parse(r.stdout)).toHaveLength(100);
    expect(r.stderr).toBe('Showing 100 of 102 ready issues. Use --limit 0 for all, or --limit N to raise the cap.\n');
  });

  it('claims as a compare-and-swap and fails a lost claim as bd does', async () => {
    const fake = await installFakeBd(await testdir(), { issues: [fakeIssue('bd-1')] });
    expect((await bd(fake, ['update', 'bd-1', '--claim', '--json', '--actor', 'w1'])).code).toBe(0);
    const lost = await bd(fake, ['update', 'bd-1', '--claim', '--json', '--actor', 'w2']);
    expect(lost).toEqual({ code: 1, stdout: '', stderr: 'Error claiming bd-1: issue already claimed by w1\n' });
    expect(await fake.issue('bd-1')).toMatchObject({ status: 'in_progress', assignee: 'w1' });
  });

  it('fails removed flags, unknown issues and queued faults the way bd does', async () => {
    const fake = await installFakeBd(await testdir(), { issues: [], faults: [{ command: 'list', kind: 'locked' }] });
    expect(await bd(fake, ['ready', '--no-db', '--json'])).toMatchObject({ code: 1, stderr: 'Error: unknown flag: --no-db\n' });
    const missing = await bd(fake, ['show', 'bd-9', '--json']);
    expect(missing).toMatchObject({ code: 1, stdout: '{\n  "error": "no issue found matching \\"bd-9\\"",\n  "schema_version": 1\n}\n' });
    expect(await bd(fake, ['list', '--json'])).toMatchObject({ code: 1, stderr: 'Error: failed to open database: database is locked\n' });
    expect((await bd(fake, ['list', '--json'])).code).toBe(0);
  });
});
