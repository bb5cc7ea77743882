import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GIT_TEST_ENV, git, gitRepo, isolateGit, removeTestdirs, runGuild, testdir, writeFiles } from '@guild/test-utils';

/** The built plugin, as a user's config names it. */
const PLUGIN = fileURLToPath(new URL('../dist/index.js', import.meta.url));

beforeAll(() => {
  isolateGit();
  if (!existsSync(PLUGIN)) throw new Error(`${PLUGIN} does not exist; build it first (pnpm --filter @guild/workspace build)`);
});
afterAll(removeTestdirs);

const PLAN = `version: 1
tasks:
  - id: shout
    run: tr a-z A-Z < a.txt > a.tmp && mv a.tmp a.txt
    writes: [a.txt]
  - id: add-notes
    run: mkdir -p notes && echo "written in $GUILD_WORKDIR" > notes/today.md
    writes: [notes]
  - id: count
    dependsOn: [shout, add-notes]
    run: ls
`;

const guild = (args: string[], cwd: string) => runGuild(args, { cwd, env: { ...GIT_TEST_ENV }, timeoutMs: 60_000 });

// Several CLI processes per test, each starting node: generous on a busy machine.
describe('guild with the workspace plugin', { timeout: 120_000 }, () => {
  it('runs a plan in worktrees, lands it, fast-forwards, lists, and rolls back', async () => {
    const repo = await gitRepo({
      'a.txt': 'quiet\n',
      '.gitignore': '.guild/\n',
      'guild.config.json': JSON.stringify({ plugins: [PLUGIN] }),
      'plan.yaml': PLAN,
    });
    const head = git(repo, 'rev-parse', 'HEAD').trim();
    const run = await guild(['run', 'plan.yaml', '--isolation', 'worktree', '--reporter', 'plain'], repo);
    expect(run.stderr).toContain('[guild:workspace] 2 tasks landed on branch guild/');
    expect(run.code).toBe(0);
    const runId = /guild run (\S+):/.exec(run.stdout)![1]!;
    const branch = `guild/${runId}`;
    expect(run.stderr).toContain(`[guild:workspace] fast-forwarded main to ${branch}`);
    const subjects = git(repo, 'log', '--format=%s', branch).split('\n');
    expect(subjects).toEqual(expect.arrayContaining([`guild: shout (run ${runId})`, `guild: add-notes (run ${runId})`, 'initial']));
    expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('QUIET\n');
    expect(readFileSync(path.join(repo, 'notes', 'today.md'), 'utf8')).toMatch(/^written in .*\.git\/guild\/worktrees\//);
    // The run store is never committed.
    expect(git(repo, 'ls-tree', '-r', '--name-only', branch)).not.toContain('.guild');
    const record = JSON.parse(readFileSync(path.join(repo, '.guild', 'runs', runId, 'workspace.json'), 'utf8')) as { undeclaredWrites: number };
    expect(record.undeclaredWrites).toBe(0);

    const list = await guild(['rollback', '--list'], repo);
    expect(list.stdout).toMatch(new RegExp(`^${runId}  [0-9a-f]{12}  clean on ${head.slice(0, 12)}$`, 'm'));
    expect((await guild(['worktrees'], repo)).stdout).toBe('no kept worktrees\n');

    const back = await guild(['rollback', runId.slice(0, 12)], repo);
    expect(back.stderr).toBe('');
    expect(back.code).toBe(0);
    expect(back.stdout).toContain(`moved refs/heads/main back to ${head.slice(0, 12)} (guild had fast-forwarded it)`);
    expect(back.stdout).toContain(`restored the working tree to the checkpoint of run ${runId}: 1 changed, 0 added back, 1 removed`);
    expect(git(repo, 'rev-parse', 'main').trim()).toBe(head);
    expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('quiet\n');
    expect(existsSync(path.join(repo, 'notes'))).toBe(false);
  });

  it('lists the worktree of a failed task', async () => {
    const repo = await gitRepo({ 'guild.config.json': JSON.stringify({ plugins: [PLUGIN] }) });
    await writeFiles(repo, { 'plan.yaml': 'version: 1\ntasks:\n  - id: broken\n    run: echo half > half.txt; exit 1\n    writes: [half.txt]\n' });
    const run = await guild(['run', 'plan.yaml', '--isolation', 'worktree', '--reporter', 'plain'], repo);
    expect(run.code).toBe(1);
    const runId = /guild run (\S+):/.exec(run.stdout)![1]!;
    expect(run.stderr).toMatch(new RegExp(`kept for inspection: broken \\(attempt 1\\) on branch guild/${runId}-broken`));
    const listed = await guild(['worktrees', runId], repo);
    expect(listed.stdout).toMatch(new RegExp(`^${runId} broken \\(attempt 1\\): branch guild/${runId}-broken, worktree \\S+: exit code 1`, 'm'));
  });

  it('refuses --isolation worktree outside a git repository with one clear line and exit code 2', async () => {
    const dir = await testdir({ 'guild.config.json': JSON.stringify({ plugins: [PLUGIN] }), 'plan.yaml': PLAN });
    const run = await guild(['run', 'plan.yaml', '--isolation', 'worktree'], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `guild: plugin guild:workspace (setup): isolation "worktree" needs a git repository, but ${dir} is not inside a git working tree; run "git init" there (and commit), or use --isolation shared\n`,
    );
  });
});
