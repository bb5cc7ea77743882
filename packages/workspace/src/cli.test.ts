import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GIT_TEST_ENV, git, gitRepo, isolateGit, removeTestdirs, runGuild, shellQuote, startGuild, testdir, waitFor, writeFiles } from '@guild/test-utils';

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

/** Whether `pid` is a live process (a zombie nobody reaps counts as gone). */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

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

  it('resumes a run in worktrees whose driver was killed: what landed stays, the killed task runs again and lands, its first worktree is kept until removed', async () => {
    const outside = await testdir();
    const release = path.join(outside, 'release');
    const starts = path.join(outside, 'starts');
    const repo = await gitRepo({
      'a.txt': 'a\n',
      'b.txt': 'b\n',
      '.gitignore': '.guild/\n',
      'guild.config.json': JSON.stringify({ plugins: [PLUGIN] }),
      'plan.yaml': `version: 1
tasks:
  - id: first
    run: echo first >> a.txt
    writes: [a.txt]
  - id: slow
    run: echo "$$ $GUILD_ATTEMPT $GUILD_WORKDIR" >> ${shellQuote(starts)}; while [ ! -e ${shellQuote(release)} ]; do sleep 0.05; done; echo "slow $GUILD_ATTEMPT" >> b.txt
    writes: [b.txt]
  - id: after
    dependsOn: [first, slow]
    run: cat a.txt b.txt > both.txt
    writes: [both.txt]
`,
    });
    const head = git(repo, 'rev-parse', 'HEAD').trim();
    const env = { ...GIT_TEST_ENV };
    const driver = startGuild(['run', 'plan.yaml', '--isolation', 'worktree', '--reporter', 'plain'], { cwd: repo, env, timeoutMs: 60_000 });
    const runId = /guild run (\S+):/.exec(await driver.waitForLine(/^guild run /))![1]!;
    const branch = `guild/${runId}`;
    await driver.waitForLine(/\] first succeeded /);
    await waitFor('first to land', () => git(repo, 'log', '--format=%s', branch).includes(`guild: first (run ${runId})`));
    await waitFor('slow to start', () => existsSync(starts));
    const [leftover] = readFileSync(starts, 'utf8').trim().split(' ').map(Number);
    driver.child.kill('SIGKILL');
    await driver.result;
    // The killed driver's task goes on in its worktree until the resume stops it.
    expect(isRunning(leftover!)).toBe(true);
    await writeFiles(outside, { release: '' });

    // The resumed run keeps the run's isolation, whatever the config or flags say now.
    const other = await guild(['run', '--resume', runId, '--isolation', 'shared'], repo);
    expect(other.code).toBe(2);
    expect(other.stderr).toBe(`guild: run ${runId} was started with --isolation worktree, and a resumed run keeps it; drop --isolation shared\n`);
    const resumed = await guild(['run', '--resume', runId, '--reporter', 'plain'], repo);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(isRunning(leftover!)).toBe(false);
    const runs = readFileSync(starts, 'utf8').trim().split('\n');
    expect(runs.map((l) => l.split(' ')[1])).toEqual(['1', '2']);
    // The first attempt was stopped before it wrote; the second landed once, with the first task's change kept.
    const subjects = git(repo, 'log', '--format=%s', branch).split('\n').filter(Boolean);
    expect(subjects.filter((x) => x === `guild: first (run ${runId})`)).toHaveLength(1);
    expect(subjects.filter((x) => x === `guild: slow (run ${runId})`)).toHaveLength(1);
    expect(subjects).toContain(`guild: after (run ${runId})`);
    expect(git(repo, 'show', `${branch}:both.txt`)).toBe('a\nfirst\nb\nslow 2\n');
    expect(git(repo, 'rev-parse', 'main').trim()).toBe(git(repo, 'rev-parse', branch).trim());
    expect(git(repo, 'rev-parse', `${branch}~3`).trim()).toBe(head);
    expect(readFileSync(path.join(repo, 'both.txt'), 'utf8')).toBe('a\nfirst\nb\nslow 2\n');
    // The killed attempt's worktree is kept and listed, as a failed task's is; the second one's is gone.
    const worktrees = git(repo, 'worktree', 'list', '--porcelain').match(/^worktree .*$/gm)!;
    expect(worktrees).toHaveLength(2);
    expect(git(repo, 'branch', '--list', '--format=%(refname:short)', `guild/${runId}-*`).trim()).toBe(`guild/${runId}-slow`);
    const listed = await guild(['worktrees', runId], repo);
    expect(listed.stdout).toMatch(
      new RegExp(`^${runId} slow \\(attempt 1\\): branch guild/${runId}-slow, worktree \\S+/slow: its run's driver stopped while attempt 1 ran; the resumed run runs the task again$`, 'm'),
    );
    expect(listed.stdout.trim().split('\n')).toHaveLength(1);
    // Once looked at, it goes with --remove: folder, branch and all.
    const removed = await guild(['worktrees', runId, '--remove'], repo);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toMatch(new RegExp(`^removed ${runId} slow \\(attempt 1\\): branch guild/${runId}-slow, worktree \\S+/slow\n$`));
    expect(git(repo, 'worktree', 'list', '--porcelain').match(/^worktree .*$/gm)).toHaveLength(1);
    expect(git(repo, 'branch', '--list', `guild/${runId}-*`)).toBe('');
    expect((await guild(['worktrees'], repo)).stdout).toBe('no kept worktrees\n');
    expect(git(repo, 'rev-parse', 'main').trim()).toBe(git(repo, 'rev-parse', branch).trim());
  });

  it('worktrees --remove leaves a run that is still going alone', async () => {
    const outside = await testdir();
    const release = path.join(outside, 'release');
    const repo = await gitRepo({ 'guild.config.json': JSON.stringify({ plugins: [PLUGIN] }) });
    await writeFiles(repo, {
      'plan.yaml': `version: 1
tasks:
  - id: broken
    run: echo half > half.txt; exit 1
    writes: [half.txt]
  - id: hold
    run: while [ ! -e ${shellQuote(release)} ]; do sleep 0.05; done; echo done > hold.txt
    writes: [hold.txt]
`,
    });
    const driver = startGuild(['run', 'plan.yaml', '--isolation', 'worktree', '--reporter', 'plain'], { cwd: repo, env: { ...GIT_TEST_ENV }, timeoutMs: 60_000 });
    const runId = /guild run (\S+):/.exec(await driver.waitForLine(/^guild run /))![1]!;
    await driver.waitForLine(/\] broken failed /);
    const named = await guild(['worktrees', runId, '--remove'], repo);
    expect(named.code).toBe(2);
    expect(named.stderr).toBe(`guild: run ${runId} is still running; remove its worktrees once it has ended\n`);
    const all = await guild(['worktrees', '--remove'], repo);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(new RegExp(`^run ${runId} is still running; its worktrees are left alone:\n${runId} broken \\(attempt 1\\): branch guild/${runId}-broken, `));
    expect(git(repo, 'branch', '--list', '--format=%(refname:short)', `guild/${runId}-broken`).trim()).toBe(`guild/${runId}-broken`);
    await writeFiles(outside, { release: '' });
    expect((await driver.result).code).toBe(1);
    // A kept worktree whose folder was deleted by hand goes too: git forgets it, the branch is deleted.
    const folder = /, worktree (\S+):/.exec(all.stdout)![1]!;
    rmSync(folder, { recursive: true, force: true });
    const removed = await guild(['worktrees', '--remove'], repo);
    expect(removed.stdout).toBe(`removed ${runId} broken (attempt 1): branch guild/${runId}-broken\n`);
    expect(git(repo, 'branch', '--list', `guild/${runId}-*`)).toBe('');
    expect(git(repo, 'worktree', 'list', '--porcelain').match(/^worktree .*$/gm)).toHaveLength(1);
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
