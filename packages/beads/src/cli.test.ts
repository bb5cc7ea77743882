import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fakeDep,
  fakeIssue,
  installFakeBd,
  readRecords,
  recordCmd,
  removeTestdirs,
  runGuild,
  startGuild,
  testdir,
  type FakeBd,
  type FakeBdIssue,
} from '@guild/test-utils';

/*
 * End to end through the real `guild` binary and the built plugin, with the fake bd first on
 * PATH: the tasks are issues whose metadata.run records when it really ran.
 */

const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const TIMEOUT = 60_000;

async function project(issues: FakeBdIssue[], options: Record<string, unknown> = { allowRun: true }) {
  const dir = await testdir({
    'guild.config.json': JSON.stringify({ plugins: [[DIST, options]] }),
    '.git/HEAD': 'ref: refs/heads/main\n',
  });
  const fake = await installFakeBd(dir, { issues });
  return { dir, fake, env: fake.env };
}

const closedBy = async (fake: FakeBd) => (await fake.read()).issues.map((i) => [i.id, i.status, i.close_reason?.match(/^guild run (\S+):/)?.[1]]);

describe('guild with the beads plugin (CLI)', () => {
  beforeAll(() => {
    if (!existsSync(DIST)) throw new Error(`${DIST} is missing: build the plugin first (pnpm --filter @guild/beads build)`);
  });
  afterAll(removeTestdirs);

  it('plans and runs the ready issues: closes what succeeded, reopens what failed with a note', async () => {
    const { dir, fake, env } = await project([
      fakeIssue('bd-1', { title: 'Build', priority: 1, metadata: { run: 'echo built > built.txt' } }),
      fakeIssue('bd-2', { title: 'Lint', metadata: { run: 'echo lint says no; exit 4' } }),
      fakeIssue('bd-3', { title: 'After build', dependencies: [fakeDep('bd-3', 'bd-1')], metadata: { run: 'true' } }),
    ]);
    const plan = await runGuild(['plan', 'beads'], { cwd: dir, env, timeoutMs: TIMEOUT });
    expect(plan.stderr).toBe('');
    expect(plan.stdout).toMatch(/^plan beads: 2 tasks in 1 stage\n/);
    expect(plan.stdout).toMatch(/ 1 {2}bd-1 bd-2\n/);
    // Planning reads; it claims nothing.
    expect((await fake.calls()).map((c) => c.argv[0])).toEqual(['ready']);

    const run = await runGuild(['run', 'beads'], { cwd: dir, env, timeoutMs: TIMEOUT });
    expect(run.code).toBe(1);
    const runId = /guild run (\S+):/.exec(run.stdout)![1]!;
    expect(await readFile(path.join(dir, 'built.txt'), 'utf8')).toBe('built\n');
    expect(await fake.issue('bd-1')).toMatchObject({ status: 'closed', assignee: `guild/${runId}`, close_reason: expect.stringMatching(new RegExp(`^guild run ${runId}: done in `)) });
    const failed = await fake.issue('bd-2');
    expect(failed).toMatchObject({ status: 'open' });
    expect(failed.assignee).toBeUndefined();
    expect(failed.comments![0]!.text).toMatch(new RegExp(`^guild run ${runId}: the task failed with exit code 4 after .*\\nLast lines of its log \\(guild logs ${runId} bd-2\\):\\n(.|\\n)*lint says no$`));
    // bd-3 was not ready when the run loaded its plan: it is the next run's.
    expect((await fake.issue('bd-3')).status).toBe('open');
  });

  it('two runs over one tracker at the same time never work the same issue', async () => {
    const ids = Array.from({ length: 8 }, (_, i) => `bd-${i + 1}`);
    const recordDir = path.join(await testdir(), 'records');
    const { dir, fake, env } = await project(ids.map((id) => fakeIssue(id, { metadata: { run: recordCmd(id, 0.3, recordDir) } })));
    const runs = [1, 2].map(() => startGuild(['run', 'beads', '-j', '4'], { cwd: dir, env, timeoutMs: 120_000 }));
    const results = await Promise.all(runs.map((r) => r.result));

    const records = await readRecords(recordDir);
    for (const id of ids) expect(records.get(id), `${id} ran once`).toHaveLength(1);
    expect([...records.keys()].sort()).toEqual([...ids].sort());

    const runIds = results.map((r) => /guild run (\S+):/.exec(r.stdout)![1]!);
    const states = await closedBy(fake);
    for (const [id, status, by] of states) {
      expect(status, id).toBe('closed');
      expect(runIds, id).toContain(by);
    }
    // What a run did not do, it left alone: its task was dropped ("not run") and the other run closed it.
    for (const [i, r] of results.entries()) {
      const summary = JSON.parse(await readFile(path.join(dir, '.guild/runs', runIds[i]!, 'summary.json'), 'utf8')) as {
        tasks: Array<{ id: string; state: string; because?: string; dropped?: boolean }>;
      };
      for (const t of summary.tasks) {
        const closedHere = states.find(([id]) => id === t.id)![2] === runIds[i];
        if (closedHere) expect(t.state, t.id).toBe('succeeded');
        else expect(t, t.id).toMatchObject({ state: 'skipped', dropped: true, because: expect.stringMatching(/^not run: bd-\d+ is (claimed by guild\/|not open \(its status is (in_progress|closed)\))/) });
      }
      // Dropped tasks are not failures: both runs succeed.
      expect(r.code, r.stderr).toBe(0);
    }
  }, 180_000);

  it('without bd on PATH it plans and runs from .beads/issues.jsonl and changes nothing', async () => {
    const line = (issue: FakeBdIssue) => JSON.stringify({ _type: 'issue', ...issue });
    const jsonl = [
      line(fakeIssue('bd-1', { metadata: { run: 'touch one' } })),
      line(fakeIssue('bd-2', { metadata: { run: 'touch two' }, dependencies: [fakeDep('bd-2', 'bd-1')] })),
    ].join('\n');
    const dir = await testdir({
      'guild.config.json': JSON.stringify({ plugins: [[DIST, { allowRun: true }]] }),
      '.git/HEAD': 'ref: refs/heads/main\n',
      '.beads/issues.jsonl': `${jsonl}\n`,
    });
    const env = { PATH: [path.dirname(process.execPath), '/usr/bin', '/bin'].join(path.delimiter) };
    const plan = await runGuild(['plan', 'beads'], { cwd: dir, env, timeoutMs: TIMEOUT });
    expect(plan.code).toBe(0);
    expect(plan.stderr).toBe('warning: [guild:beads] bd is not on PATH: reading .beads/issues.jsonl read-only (issues are not claimed, closed or reopened)\n');
    expect(plan.stdout).toMatch(/^plan beads: 1 task in 1 stage\n/);
    const run = await runGuild(['run', 'beads:all-open'], { cwd: dir, env, timeoutMs: TIMEOUT });
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(path.join(dir, 'one')) && existsSync(path.join(dir, 'two'))).toBe(true);
    expect(await readFile(path.join(dir, '.beads/issues.jsonl'), 'utf8')).toBe(`${jsonl}\n`);
  });

  it('guild beads file files new work linked to the issue that found it', async () => {
    const { dir, fake, env } = await project([fakeIssue('bd-1')]);
    const filed = await runGuild(['beads', 'file', 'Flaky login test', '-d', 'fails one run in ten', '-p', '1'], {
      cwd: dir,
      env: { ...env, GUILD_TASK_ID: 'bd-1', GUILD_RUN_ID: 'R9' },
      timeoutMs: TIMEOUT,
    });
    expect(filed.code, filed.stderr).toBe(0);
    const id = filed.stdout.trim();
    expect(await fake.issue(id)).toMatchObject({
      title: 'Flaky login test',
      description: 'fails one run in ten',
      priority: 1,
      created_by: 'guild/R9',
      dependencies: [expect.objectContaining({ depends_on_id: 'bd-1', type: 'discovered-from' })],
    });
    const usage = await runGuild(['beads', 'file', 'No origin'], { cwd: dir, env: { ...env, GUILD_TASK_ID: '' }, timeoutMs: TIMEOUT });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--discovered-from <id>/);
  });

  it('bad plugin options or metadata are bad input (exit 2), with one clear message', async () => {
    const { dir, env } = await project([fakeIssue('bd-1', { metadata: { run: 'true' } })], {});
    const noRun = await runGuild(['plan', 'beads'], { cwd: dir, env, timeoutMs: TIMEOUT });
    expect(noRun.code).toBe(2);
    expect(noRun.stderr).toMatch(/^guild: issue bd-1: metadata.run is a shell command, and guild runs commands taken from a tracker only when/);
    await writeFile(path.join(dir, 'guild.config.json'), JSON.stringify({ plugins: [[DIST, { actors: 'x' }]] }));
    const bad = await runGuild(['plan', 'beads'], { cwd: dir, env, timeoutMs: TIMEOUT });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/guild:beads: unknown option "actors"; accepted options: bd, actor, /);
  });
});
