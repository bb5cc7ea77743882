import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SourceContext, TaskSpec } from '@guild/core';
import { fakeDep, fakeIssue, installFakeBd, removeTestdirs, testdir, type FakeBdIssue } from '@guild/test-utils';
import beads, { type BeadsOptions } from './index';
import { setUpPlugin } from './test-support';

/** The plugin set up in a fresh folder with the fake bd holding `issues`. */
async function setUp(issues: FakeBdIssue[], options: BeadsOptions = {}, extra: { legacyOutput?: boolean } = {}) {
  const dir = await testdir();
  const fake = await installFakeBd(dir, { issues, ...extra });
  const reg = await setUpPlugin(beads({ bd: fake.bin, ...options }), dir);
  const load = async (ref = 'beads', ctx: Partial<SourceContext> = {}) => {
    const { specs, root } = await reg.sources[0]!.load(ref, { root: dir, ...ctx });
    return { specs, root, byId: new Map(specs.map((s) => [s.id, s])) };
  };
  return { dir, fake, reg, load };
}

const deps = (specs: Map<string, TaskSpec>) => Object.fromEntries([...specs].map(([id, s]) => [id, s.dependsOn ?? []]));

describe('beads source', () => {
  afterAll(removeTestdirs);

  it('plans what bd ready lists, in its order, rooted at the folder holding .beads', async () => {
    const { fake, load, dir } = await setUp(
      [
        fakeIssue('bd-1', { title: 'Low', priority: 3, metadata: { run: 'true' } }),
        fakeIssue('bd-2', { title: 'Urgent', priority: 0, estimated_minutes: 5, labels: ['api'] }),
        fakeIssue('bd-3', { title: 'Blocked', dependencies: [fakeDep('bd-3', 'bd-2')] }),
        fakeIssue('bd-4', { title: 'Done', status: 'closed' }),
        fakeIssue('bd-5', { title: 'Deferred', defer_until: '2999-01-01T00:00:00Z' }),
      ],
      { allowRun: true },
    );
    const { specs, root, byId } = await load('beads', { root: path.join(dir, 'bin') });
    expect(root).toBe(dir);
    expect(specs.map((s) => s.id)).toEqual(['bd-2', 'bd-1']);
    expect(byId.get('bd-2')).toMatchObject({ title: 'Urgent', prompt: 'Urgent', priority: 0, estimate: 300, meta: { beads: { claim: true, labels: ['api'] } } });
    expect(byId.get('bd-1')).toMatchObject({ run: 'true', priority: 3 });
    expect((await fake.calls('ready'))[0]!.argv).toEqual(['ready', '--limit=0', '--json']);
  });

  it('keeps only the dependency types that block, and what a child inherits from a blocked parent (all open)', async () => {
    const on = (id: string, type: string) => fakeIssue(id, { dependencies: [fakeDep(id, 'bd-a', type)] });
    const { load } = await setUp([
      fakeIssue('bd-a'),
      on('bd-blocks', 'blocks'),
      on('bd-cond', 'conditional-blocks'),
      on('bd-waits', 'waits-for'),
      on('bd-child', 'parent-child'),
      on('bd-related', 'related'),
      on('bd-found', 'discovered-from'),
      on('bd-dup', 'duplicates'),
      on('bd-super', 'supersedes'),
      fakeIssue('bd-p', { issue_type: 'epic', dependencies: [fakeDep('bd-p', 'bd-a')] }),
      fakeIssue('bd-p.1', { dependencies: [fakeDep('bd-p.1', 'bd-p', 'parent-child')] }),
    ]);
    const { byId } = await load('beads:all-open');
    expect(deps(byId)).toEqual({
      'bd-a': [],
      'bd-blocks': ['bd-a'],
      'bd-cond': ['bd-a'],
      'bd-waits': ['bd-a'],
      'bd-child': [],
      'bd-related': [],
      'bd-found': [],
      'bd-dup': [],
      'bd-super': [],
      'bd-p': ['bd-a'],
      // An open parent does not block its child; a blocked one does, with its blockers.
      'bd-p.1': ['bd-a'],
    });
  });

  it('all open: drops closed blockers, and leaves out what waits for open work outside the plan', async () => {
    const { load, reg, fake } = await setUp(
      [
        fakeIssue('bd-done', { status: 'closed', labels: ['backend'] }),
        fakeIssue('bd-1', { labels: ['backend'], dependencies: [fakeDep('bd-1', 'bd-done')] }),
        fakeIssue('bd-bob', { status: 'in_progress', assignee: 'bob', labels: ['backend'] }),
        fakeIssue('bd-2', { labels: ['backend'], dependencies: [fakeDep('bd-2', 'bd-bob')] }),
        fakeIssue('bd-3', { labels: ['backend'], dependencies: [fakeDep('bd-3', 'bd-2')] }),
        fakeIssue('bd-ui', { labels: ['ui'] }),
        fakeIssue('bd-4', { labels: ['backend'], dependencies: [fakeDep('bd-4', 'bd-ui', 'waits-for')] }),
        fakeIssue('bd-5', { labels: ['backend'], dependencies: [fakeDep('bd-5', 'bd-1')] }),
      ],
      { labels: ['backend'] },
    );
    const { byId } = await load('beads', { allOpen: true });
    expect(deps(byId)).toEqual({ 'bd-1': [], 'bd-5': ['bd-1'] });
    expect(reg.logger.lines).toEqual([
      'warn: bd-2 is left out: it waits for bd-bob (in_progress, assigned to bob), which is not in this plan',
      'warn: bd-3 is left out: it waits for bd-2, which is left out',
      'warn: bd-4 is left out: it waits for bd-ui (open), which is not in this plan',
    ]);
    expect((await fake.calls('list'))[0]!.argv).toEqual(['list', '--status=open', '--limit=0', '--label=backend', '--json']);
    // Only what lay outside the selection was looked up.
    expect((await fake.calls('show')).map((c) => c.argv.at(-1)).sort()).toEqual(['bd-bob', 'bd-done', 'bd-ui']);
  });

  it('asks bd show for the dependencies when bd prints only their count', async () => {
    const { load, fake } = await setUp(
      [fakeIssue('bd-1'), fakeIssue('bd-2', { dependencies: [fakeDep('bd-2', 'bd-1')] }), fakeIssue('bd-3')],
      {},
      { legacyOutput: true },
    );
    const { byId } = await load('beads:all-open');
    expect(deps(byId)).toEqual({ 'bd-1': [], 'bd-2': ['bd-1'], 'bd-3': [] });
    expect((await fake.calls('show')).map((c) => c.argv.at(-1))).toEqual(['bd-2']);
  });

  it('leaves out issues assigned to someone when it claims (and what waits for them), keeps them when it only reads', async () => {
    const issues = [fakeIssue('bd-1', { assignee: 'alice' }), fakeIssue('bd-2'), fakeIssue('bd-3', { dependencies: [fakeDep('bd-3', 'bd-1')] })];
    const claiming = await setUp(issues);
    expect([...(await claiming.load('beads:all-open')).byId.keys()]).toEqual(['bd-2']);
    expect(claiming.reg.logger.lines).toEqual([
      'info: left out 1 issue assigned to someone, which a claim would not get: bd-1 (alice)',
      'warn: bd-3 is left out: it waits for bd-1 (open, assigned to alice), which is not in this plan',
    ]);
    const reading = await setUp(issues, { writeBack: 'never' });
    const { byId } = await reading.load('beads:all-open');
    expect(deps(byId)).toEqual({ 'bd-1': [], 'bd-2': [], 'bd-3': ['bd-1'] });
    expect(byId.get('bd-1')!.meta).toEqual({ beads: { id: 'bd-1', claim: false, status: 'open', type: 'task', assignee: 'alice' } });
  });

  it('claims only with --update-source when writeBack is "with-flag"', async () => {
    const { load } = await setUp([fakeIssue('bd-1')], { writeBack: 'with-flag' });
    expect((await load()).specs[0]!.meta).toMatchObject({ beads: { claim: false } });
    expect((await load('beads', { updateSource: true })).specs[0]!.meta).toMatchObject({ beads: { claim: true } });
  });

  it('says clearly when there is nothing to do, or the reference or metadata is wrong', async () => {
    const { load, reg } = await setUp([fakeIssue('bd-1', { labels: ['x'] }), fakeIssue('bd-2', { labels: ['y'], metadata: { writes: 3 } })], {
      labels: ['z'],
      types: ['bug'],
    });
    await expect(load()).rejects.toMatchObject({ code: 'PLAN_EMPTY', message: 'beads: no issues ready to work on with labels z, type bug; nothing to run' });
    await expect(load('beads:everything')).rejects.toMatchObject({ code: 'USAGE', message: 'unknown beads source "beads:everything"; use "beads" or "beads:all-open"' });
    expect(reg.sources[0]!.accepts!('beads')).toBe(true);
    expect(reg.sources[0]!.accepts!('plan.yaml')).toBe(false);
    const other = await setUp([fakeIssue('bd-2', { metadata: { writes: 3 } })]);
    await expect(other.load()).rejects.toThrow('issue bd-2: metadata.writes must be a list of paths (got 3)');
  });

  it('reports bd failures as errors naming the command', async () => {
    const { load, fake } = await setUp([]);
    await fake.write({ issues: [], faults: [{ command: 'ready', kind: 'wrong-shape' }] });
    await expect(load()).rejects.toThrow(/^bd ready --limit=0 --json printed JSON guild does not understand/);
  });
});

describe('beads source without bd (JSONL)', () => {
  let savedPath: string | undefined;
  beforeEach(() => {
    savedPath = process.env.PATH;
    // No bd anywhere: only the folder of node itself.
    process.env.PATH = path.dirname(process.execPath);
  });
  afterEach(() => {
    process.env.PATH = savedPath;
  });
  afterAll(removeTestdirs);

  const line = (issue: Record<string, unknown>) => JSON.stringify({ _type: 'issue', ...issue });

  async function withJsonl(lines: string[], options: BeadsOptions = {}) {
    const dir = await testdir({ '.beads/issues.jsonl': `${lines.join('\n')}\n`, '.git/HEAD': 'ref: refs/heads/main\n' });
    const reg = await setUpPlugin(beads(options), dir);
    return { dir, reg, load: (ref = 'beads') => reg.sources[0]!.load(ref, { root: path.join(dir) }) };
  }

  it('reads .beads/issues.jsonl read-only and works out what is ready as bd does', async () => {
    const { dir, reg, load } = await withJsonl([
      line({ ...fakeIssue('bd-1', { priority: 2 }) }),
      line({ ...fakeIssue('bd-2', { priority: 1, labels: ['api'] }) }),
      line({ ...fakeIssue('bd-3', { dependencies: [fakeDep('bd-3', 'bd-1')] }) }),
      line({ ...fakeIssue('bd-4', { dependencies: [fakeDep('bd-4', 'bd-9', 'blocks')] }) }),
      line({ ...fakeIssue('bd-9', { status: 'closed' }) }),
      line({ ...fakeIssue('bd-5', { status: 'in_progress', assignee: 'bob' }) }),
      line({ ...fakeIssue('bd-6', { defer_until: '2999-01-01T00:00:00Z' }) }),
      line({ ...fakeIssue('bd-7', { dependencies: [fakeDep('bd-7', 'bd-3', 'parent-child')] }) }),
      line({ ...fakeIssue('bd-8', { issue_type: 'gate' }) }),
      JSON.stringify({ _type: 'memory', key: 'not an issue' }),
      '',
      line({ ...fakeIssue('bd-10', { ephemeral: true }) }),
    ]);
    const { specs, root } = await load();
    expect(root).toBe(dir);
    // bd-3 waits for bd-1; bd-7's parent bd-3 is blocked, so bd-7 is too.
    expect(specs.map((s) => s.id)).toEqual(['bd-2', 'bd-1', 'bd-4']);
    expect(specs[0]).toMatchObject({ meta: { beads: { claim: false } }, origin: { source: 'beads', file: path.join(dir, '.beads/issues.jsonl'), line: 2 } });
    expect(reg.logger.lines).toEqual(['warn: bd is not on PATH: reading .beads/issues.jsonl read-only (issues are not claimed, closed or reopened)']);
  });

  it('plans the whole open graph from JSONL too', async () => {
    const { load } = await withJsonl([
      line({ ...fakeIssue('bd-1') }),
      line({ ...fakeIssue('bd-2', { dependencies: [fakeDep('bd-2', 'bd-1')] }) }),
      line({ ...fakeIssue('bd-3', { dependencies: [fakeDep('bd-3', 'bd-5')] }) }),
      line({ ...fakeIssue('bd-5', { status: 'blocked' }) }),
    ]);
    const { specs } = await load('beads:all-open');
    expect(specs.map((s) => [s.id, s.dependsOn ?? []])).toEqual([
      ['bd-1', []],
      ['bd-2', ['bd-1']],
    ]);
  });

  it('points at the file and line of a broken JSONL line', async () => {
    const { dir, load } = await withJsonl([line({ ...fakeIssue('bd-1') }), '{"_type":"issue","id":"bd-2",']);
    await expect(load()).rejects.toMatchObject({ code: 'PLAN_SYNTAX', message: expect.stringMatching(new RegExp(`^${path.join(dir, '.beads/issues.jsonl')}:2: not a JSON line`)) });
    await writeFile(path.join(dir, '.beads/issues.jsonl'), `${line({ id: 'bd-1', title: 'x', status: 'open' })}\n`);
    await expect(load()).rejects.toMatchObject({ code: 'PLAN_INVALID', message: expect.stringMatching(/issues\.jsonl:1: not a beads issue: .*\(priority\)$/) });
  });

  it('says what to do when there is neither bd nor a JSONL export', async () => {
    const dir = await testdir({ '.git/HEAD': 'x' });
    const reg = await setUpPlugin(beads(), dir);
    await expect(reg.sources[0]!.load('beads', { root: dir })).rejects.toMatchObject({
      code: 'PLAN_NOT_FOUND',
      message: 'beads: bd is not on PATH and there is no .beads/issues.jsonl to read; install beads (bd), or export the issues with bd export -o .beads/issues.jsonl',
    });
  });

  it('rejects a bd option naming a command that is not there', async () => {
    const dir = await testdir();
    const reg = await setUpPlugin(beads({ bd: 'bd-nightly' }), dir);
    await expect(reg.sources[0]!.load('beads', { root: dir })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('option "bd" is "bd-nightly", which is not a command on PATH') });
  });
});

