/**
 * `guild runs --prune` end to end, in a real git repository: ended runs older than the newest
 * --keep go (folder, checkpoint, merged branch); a running run, a crashed one (unless
 * --crashed) and one with worktrees kept for inspection stay, each with the reason.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processesWithEnv, runPaths } from '@guild/core';
import { GIT_TEST_ENV, git, gitRepo, removeTestdirs, runGuild, startGuild, waitFor, type GuildResult } from '@guild/test-utils';
import { TEST_TAG, holdCmd, killTagged, planText, runIdFrom, show } from './durable-support.js';
import { expectBadInput } from './support.js';

afterAll(async () => {
  killTagged();
  await removeTestdirs();
});

const env = { ...GIT_TEST_ENV, GUILD_TEST_TAG: TEST_TAG };
const guild = (args: string[], cwd: string): Promise<GuildResult> => runGuild(args, { cwd, env, timeoutMs: 60_000 });
const refs = (repo: string, prefix: string): string[] =>
  git(repo, 'for-each-ref', '--format=%(refname)', prefix).split('\n').filter(Boolean);

describe('guild runs --prune', { timeout: 120_000 }, () => {
  it('removes ended runs beyond --keep, and leaves running and crashed ones, saying why', async () => {
    const repo = await gitRepo({ '.gitignore': '.guild/\n' });
    const release = path.join(repo, 'release');
    const rec = path.join(repo, 'rec', 'hold.rec');
    await writeFile(path.join(repo, 'ok.yaml'), planText([{ id: 'ok', run: 'true' }]));
    await writeFile(path.join(repo, 'bad.yaml'), planText([{ id: 'bad', run: 'exit 3' }]));
    await writeFile(path.join(repo, 'hold.yaml'), planText([{ id: 'hold', run: holdCmd('hold', path.join(repo, 'rec'), release) }]));

    const ok = runIdFrom((await guild(['run', 'ok.yaml'], repo)).stdout);
    const bad = runIdFrom((await guild(['run', 'bad.yaml'], repo)).stdout);
    // A driver killed mid-run: its run has crashed and can be resumed.
    const crashing = startGuild(['run', 'hold.yaml'], { cwd: repo, env, timeoutMs: 60_000 });
    const crashed = runIdFrom(await crashing.waitForLine(/^guild run \S+: /));
    // (The task's process starts once the run's checkpoint is taken.)
    await waitFor('the crashing run\'s task to start', () => existsSync(rec));
    crashing.child.kill('SIGKILL');
    await crashing.result;
    const live = startGuild(['run', 'hold.yaml'], { cwd: repo, env, timeoutMs: 60_000 });
    const running = runIdFrom(await live.waitForLine(/^guild run \S+: /));
    await waitFor('the live run\'s task to start', () => readFileSync(rec, 'utf8').split('\n').length > 2);
    const all = [ok, bad, crashed, running];
    expect(refs(repo, 'refs/guild/checkpoints')).toEqual(all.map((id) => `refs/guild/checkpoints/${id}`));

    const dry = await guild(['runs', '--prune', '--keep', '0', '--dry-run'], repo);
    expect(dry.code, show(dry)).toBe(0);
    expect(dry.stdout).toContain(`would remove ${ok} (succeeded, `);
    expect(dry.stdout).toContain(`would remove ${bad} (failed, `);
    expect(dry.stdout).toMatch(/would remove 2 runs \(.*\); 2 left/);
    for (const id of all) expect(existsSync(runPaths(repo, id).dir)).toBe(true);

    const pruned = await guild(['runs', '--prune', '--keep', '0'], repo);
    expect(pruned.code, show(pruned)).toBe(0);
    expect(pruned.stdout).toContain(`removed ${ok} (succeeded, `);
    expect(pruned.stdout).toContain(`removed ${bad} (failed, `);
    expect(pruned.stdout).toContain(`left ${crashed}: it crashed; "guild run --resume ${crashed}" continues it (--crashed removes it)`);
    expect(pruned.stdout).toMatch(new RegExp(`left ${running}: it is running \\(process \\d+\\)`));
    expect(existsSync(runPaths(repo, ok).dir)).toBe(false);
    expect(existsSync(runPaths(repo, bad).dir)).toBe(false);
    expect(refs(repo, 'refs/guild/checkpoints')).toEqual([crashed, running].map((id) => `refs/guild/checkpoints/${id}`));
    const listed = await guild(['runs'], repo);
    expect(listed.stdout).not.toContain(ok);
    expect(listed.stdout).toContain(crashed);

    // --keep counts from the newest: the live run and the crashed one before it stay.
    const kept = await guild(['runs', '--prune', '--keep', '2', '--crashed'], repo);
    expect(kept.stdout).toMatch(/removed 0 runs \(0 B\); 2 left/);
    // Its task still runs (its driver died, not the task): --crashed stops it first.
    expect(processesWithEnv('GUILD_RUN_ID', crashed).length).toBeGreaterThan(0);
    const forced = await guild(['runs', '--prune', '--keep', '0', '--crashed'], repo);
    expect(forced.stdout, show(forced)).toMatch(new RegExp(`stopped \\d+ process(es)? run ${crashed} had left running\n`));
    expect(forced.stdout).toContain(`removed ${crashed} (crashed, `);
    expect(processesWithEnv('GUILD_RUN_ID', crashed)).toEqual([]);
    expect(existsSync(runPaths(repo, crashed).dir)).toBe(false);
    expect(existsSync(runPaths(repo, running).dir)).toBe(true);

    await writeFile(release, '');
    expect((await live.result).code).toBe(0);
    const last = await guild(['runs', '--prune', '--keep', '0'], repo);
    expect(last.stdout).toContain(`removed ${running} (succeeded, `);
    expect(refs(repo, 'refs/guild')).toEqual([]);
  });

  it('takes a merged integration branch along, and leaves runs with kept worktrees and unmerged branches alone', async () => {
    const repo = await gitRepo({ '.gitignore': '.guild/\n', 'a.txt': 'a\n' });
    await writeFile(path.join(repo, 'good.yaml'), planText([{ id: 'w', run: 'echo more >> a.txt', writes: ['a.txt'] }]));
    await writeFile(path.join(repo, 'fail.yaml'), planText([{ id: 'f', run: 'echo x > b.txt; exit 1', writes: ['b.txt'] }]));
    const wt = ['--isolation', 'worktree'];
    const landed = runIdFrom((await guild(['run', 'good.yaml', ...wt], repo)).stdout);
    const failed = runIdFrom((await guild(['run', 'fail.yaml', ...wt], repo)).stdout);
    const unmerged = runIdFrom((await guild(['run', 'good.yaml', ...wt], repo)).stdout);
    // main goes back: the last run's work is only on its branch now.
    git(repo, 'reset', '-q', '--hard', `guild/${landed}`);

    // Every run's integration branch outlives the run; the prune is what takes the merged one.
    expect(refs(repo, 'refs/heads')).toEqual(expect.arrayContaining([landed, unmerged].map((id) => `refs/heads/guild/${id}`)));
    const r = await guild(['runs', '--prune', '--keep', '0'], repo);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain(`removed ${landed} (succeeded, `);
    expect(r.stdout).toContain(`left ${failed}: plugin guild:workspace (onRunRemoved): it has 1 worktree kept for inspection (f); "guild worktrees ${failed}" lists them`);
    expect(r.stdout).toContain(`removed ${unmerged} (succeeded, `);
    expect(r.stderr).toContain(`[guild:workspace] left branch guild/${unmerged} of run ${unmerged}: `);
    expect(refs(repo, 'refs/heads')).toEqual(expect.arrayContaining([`refs/heads/guild/${unmerged}`, `refs/heads/guild/${failed}-f`]));
    expect(refs(repo, 'refs/heads')).not.toContain(`refs/heads/guild/${landed}`);
    expect(refs(repo, 'refs/guild/checkpoints')).toEqual([`refs/guild/checkpoints/${failed}`]);

    expect((await guild(['worktrees', failed, '--remove'], repo)).code).toBe(0);
    const again = await guild(['runs', '--prune', '--keep', '0'], repo);
    expect(again.stdout, show(again)).toContain(`removed ${failed} (failed, `);
    expect(refs(repo, 'refs/guild')).toEqual([]);
  });

  it('refuses its flags without --prune, and a --keep that is not a whole number', async () => {
    const repo = await gitRepo({});
    expect(expectBadInput(await guild(['runs', '--keep', '3'], repo))).toBe('guild: --keep only goes with --prune');
    expect(expectBadInput(await guild(['runs', '--dry-run'], repo))).toBe('guild: --dry-run only goes with --prune');
    expect(expectBadInput(await guild(['runs', '--prune', '--keep', 'many'], repo))).toContain('--keep takes a whole number (0 or more), got "many"');
  });
});
