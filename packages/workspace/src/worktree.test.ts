import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, gitRepo, isolateGit, removeTestdirs, shellQuote, testdir, waitFor } from '@guild/test-utils';
import type { Scheduler } from '@guild/core';
import { finishedError, runThrough, taskLog, waitForFile, workspaceHost } from './test-support';

beforeAll(isolateGit);
afterAll(removeTestdirs);

const LINES = 'one\ntwo\nthree\nfour\nfive\n';

/** A shell command that replaces line `n` of `file` with `text`. */
const setLine = (file: string, n: number, text: string) => `sed -i ${shellQuote(`${n}s/.*/${text}/`)} ${file}`;

describe('worktree isolation', () => {
  it('runs two writers in parallel worktrees and lands both on the integration branch', async () => {
    const repo = await gitRepo({ 'a.txt': 'a\n', 'b.txt': 'b\n' });
    const { host, logs } = await workspaceHost(repo, 'worktree');
    const sync = await testdir();
    // Each task waits until the other has started: they really run at the same time, in two worktrees.
    const both = (me: string, other: string, file: string) =>
      `touch ${shellQuote(path.join(sync, me))}; ${waitForFile(path.join(sync, other))}; echo "$GUILD_WORKDIR" > ${shellQuote(path.join(sync, `${me}.dir`))}; printf '${me} was here\\n' >> ${file}`;
    const run = await runThrough(host, repo, [
      { id: 'edit-a', run: both('edit-a', 'edit-b', 'a.txt'), writes: ['a.txt'] },
      { id: 'edit-b', run: both('edit-b', 'edit-a', 'b.txt'), writes: ['b.txt'] },
    ]);
    expect(run.summary.outcome).toBe('succeeded');
    const branch = `guild/${run.runId}`;
    expect(git(repo, 'log', '--format=%s', branch).split('\n')).toEqual(
      expect.arrayContaining([`guild: edit-a (run ${run.runId})`, `guild: edit-b (run ${run.runId})`, 'initial']),
    );
    expect(git(repo, 'show', `${branch}:a.txt`)).toBe('a\nedit-a was here\n');
    expect(git(repo, 'show', `${branch}:b.txt`)).toBe('b\nedit-b was here\n');
    // Each ran in its own worktree, not in the project.
    const dirA = readFileSync(path.join(sync, 'edit-a.dir'), 'utf8').trim();
    const dirB = readFileSync(path.join(sync, 'edit-b.dir'), 'utf8').trim();
    expect(dirA).not.toBe(dirB);
    expect(dirA.startsWith(path.join(repo, '.git', 'guild', 'worktrees', run.runId))).toBe(true);
    // Landed worktrees and task branches are gone.
    expect(existsSync(dirA)).toBe(false);
    expect(git(repo, 'branch', '--list', `guild/${run.runId}-*`)).toBe('');
    expect(run.record.tasks['edit-a']).toMatchObject({ where: 'worktree', landed: true, changed: ['a.txt'], undeclared: [] });
    // The tree was clean and everything landed: the user's branch was fast-forwarded, tree and all.
    expect(logs).toContain(`2 tasks landed on branch ${branch}`);
    expect(logs).toContain(`fast-forwarded main to ${branch}`);
    expect(git(repo, 'rev-parse', 'main')).toBe(git(repo, 'rev-parse', branch));
    expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('a\nedit-a was here\n');
    expect(git(repo, 'status', '--porcelain', '--untracked-files=no')).toBe('');
    expect(run.record.fastForward).toEqual({ ref: 'refs/heads/main', from: expect.any(String), to: git(repo, 'rev-parse', branch).trim() });
  });

  it('re-runs a conflicting task on the new base, where it lands', async () => {
    const repo = await gitRepo({ 'f.txt': LINES });
    const { host } = await workspaceHost(repo, 'worktree');
    const sync = await testdir();
    const count = path.join(sync, 'second.count');
    const run = await runThrough(
      host,
      repo,
      [
        { id: 'first', run: setLine('f.txt', 1, 'one-first'), writes: ['f.txt'] },
        {
          // Waits until "first" has landed, so its own first try conflicts.
          id: 'second',
          run: `echo x >> ${shellQuote(count)}; ${waitForFile(path.join(sync, 'first-landed'))}; ${setLine('f.txt', 1, 'one-second')}`,
          writes: ['f.txt'],
        },
      ],
      { listener: (e) => e.type === 'task.finished' && e.id === 'first' && writeFileSync(path.join(sync, 'first-landed'), '') },
    );
    expect(run.summary.outcome).toBe('succeeded');
    expect(readFileSync(count, 'utf8')).toBe('x\nx\n'); // it ran twice
    expect(run.record.tasks.second).toMatchObject({ landed: true, reran: true });
    // The second try started from "first"'s result, so it knowingly replaced that line.
    expect(git(repo, 'show', `guild/${run.runId}:f.txt`)).toBe(LINES.replace('one', 'one-second'));
    expect(git(repo, 'log', '--format=%s', `guild/${run.runId}`)).toContain(`guild: first (run ${run.runId})`);
    expect(taskLog(run.runDir, 'second')).toMatch(/merge conflict with guild\/\S+ in f\.txt; running it again on the new base/);
  });

  it('fails a task that still conflicts after its re-run, naming the file, and loses nothing', async () => {
    const repo = await gitRepo({ 'f.txt': LINES });
    const { host } = await workspaceHost(repo, 'worktree', { fastForward: false });
    const sync = await testdir();
    const count = path.join(sync, 'loser.count');
    const touch = (name: string) => writeFileSync(path.join(sync, name), '');
    // "first" lands; "loser" then conflicts and runs again on first's result; while that second
    // try waits, "third" (which needs first) changes the same line and lands; the second try
    // then conflicts again.
    const loser = [
      `echo x >> ${shellQuote(count)}`,
      `if [ "$(wc -l < ${shellQuote(count)})" -eq 1 ]; then ${waitForFile(path.join(sync, 'first-done'))}; else touch ${shellQuote(path.join(sync, 'rerun-started'))}; ${waitForFile(path.join(sync, 'third-done'))}; fi`,
      setLine('f.txt', 1, 'one-loser'),
    ].join('; ');
    const run = await runThrough(
      host,
      repo,
      [
        { id: 'first', run: `${setLine('f.txt', 1, 'one-first')}; printf 'first\\n' > first.txt`, writes: ['f.txt', 'first.txt'] },
        { id: 'loser', run: loser, writes: ['f.txt'] },
        {
          id: 'third',
          dependsOn: ['first'],
          run: `${waitForFile(path.join(sync, 'rerun-started'))}; ${setLine('f.txt', 1, 'one-first-third')}`,
          writes: ['f.txt'],
        },
      ],
      {
        listener: (e) => {
          if (e.type === 'task.finished' && e.id === 'first') touch('first-done');
          if (e.type === 'task.finished' && e.id === 'third') touch('third-done');
        },
      },
    );
    expect(run.summary.tasks.find((t) => t.id === 'loser')?.state).toBe('failed');
    expect(run.summary.tasks.find((t) => t.id === 'first')?.state).toBe('succeeded');
    expect(run.summary.tasks.find((t) => t.id === 'third')?.state).toBe('succeeded');
    const error = finishedError(run.events, 'loser') ?? '';
    expect(error).toMatch(/^merge conflict with guild\/\S+ in f\.txt, also after running again on the new base; its work is kept on branch guild\/\S+-loser-\d/);
    expect(readFileSync(count, 'utf8')).toBe('x\nx\n');
    // Nothing of the landed tasks is lost, byte for byte.
    const branch = `guild/${run.runId}`;
    expect(git(repo, 'show', `${branch}:f.txt`)).toBe(LINES.replace('one', 'one-first-third'));
    expect(git(repo, 'show', `${branch}:first.txt`)).toBe('first\n');
    // The loser's work is kept: its branch holds it, its worktree is still there.
    const kept = run.record.kept.find((k) => k.task === 'loser' && k.reason.startsWith('merge conflict'))!;
    expect(git(repo, 'show', `${kept.branch}:f.txt`)).toBe(LINES.replace('one', 'one-loser'));
    expect(readFileSync(path.join(kept.worktree, 'f.txt'), 'utf8')).toBe(LINES.replace('one', 'one-loser'));
    // So is its first try's, on its own branch.
    const firstTry = run.record.kept.find((k) => k.task === 'loser' && k.reason.startsWith('its first try conflicted in f.txt'))!;
    expect(firstTry.branch).toBe(`guild/${run.runId}-loser`);
    expect(git(repo, 'show', `${firstTry.branch}:f.txt`)).toBe(LINES.replace('one', 'one-loser'));
    expect(git(repo, 'rev-parse', `${firstTry.branch}^`)).toBe(git(repo, 'rev-parse', 'main'));
    expect(run.record.tasks.loser).toMatchObject({ landed: false, reran: true, conflicts: ['f.txt'] });
  });

  it('keeps the branch and worktree of a failed task and leaves the integration branch alone', async () => {
    const repo = await gitRepo({ 'a.txt': 'a\n' });
    const { host, logs } = await workspaceHost(repo, 'worktree');
    const run = await runThrough(host, repo, [{ id: 'broken', run: 'printf "half\\n" > a.txt; exit 3', writes: ['a.txt'] }]);
    expect(run.summary.outcome).toBe('failed');
    const kept = run.record.kept[0]!;
    expect(kept).toMatchObject({ task: 'broken', branch: `guild/${run.runId}-broken` });
    expect(readFileSync(path.join(kept.worktree, 'a.txt'), 'utf8')).toBe('half\n');
    expect(git(repo, 'show', `${kept.branch}:a.txt`)).toBe('half\n');
    expect(git(repo, 'rev-parse', `guild/${run.runId}`)).toBe(git(repo, 'rev-parse', 'main'));
    expect(finishedError(run.events, 'broken')).toContain(`its work is kept on branch ${kept.branch}`);
    expect(logs).toContain(`nothing landed on guild/${run.runId}`);
    expect(logs.some((l) => l.startsWith(`kept for inspection: broken (attempt 1) on branch ${kept.branch}`))).toBe(true);
  });

  it('maps the cwd into the worktree, copies included files, runs the setup command, and runs read-only tasks in the project', async () => {
    const repo = await gitRepo({ '.gitignore': '.env\nsecrets/\n', 'app/main.txt': 'main\n' });
    writeFileSync(path.join(repo, '.env'), 'TOKEN=1\n');
    writeFileSync(path.join(repo, '.worktreeinclude'), '# copied into worktrees\nsecrets/\n');
    git(repo, 'add', '.worktreeinclude');
    git(repo, 'commit', '-qm', 'include');
    await import('node:fs/promises').then((fs) => fs.mkdir(path.join(repo, 'secrets')));
    writeFileSync(path.join(repo, 'secrets', 'key'), 'k\n');
    const { host } = await workspaceHost(repo, 'worktree', { include: ['.env'], setup: ['sh', '-c', 'echo set-up > .setup-ran'] });
    const out = await testdir();
    const run = await runThrough(host, repo, [
      {
        id: 'writer',
        cwd: 'app',
        run: `pwd > ${shellQuote(path.join(out, 'pwd'))}; cat ../.env ../secrets/key ../.setup-ran > ${shellQuote(path.join(out, 'seen'))}; echo more >> main.txt`,
        writes: ['app/**'],
      },
      { id: 'reader', run: `pwd > ${shellQuote(path.join(out, 'reader-pwd'))}` },
    ]);
    expect(run.summary.outcome).toBe('succeeded');
    const pwd = readFileSync(path.join(out, 'pwd'), 'utf8').trim();
    expect(path.basename(pwd)).toBe('app');
    expect(pwd).not.toBe(path.join(repo, 'app'));
    expect(readFileSync(path.join(out, 'seen'), 'utf8')).toBe('TOKEN=1\nk\nset-up\n');
    expect(readFileSync(path.join(out, 'reader-pwd'), 'utf8').trim()).toBe(repo);
    expect(run.record.tasks.reader).toMatchObject({ where: 'project' });
    // The setup command's output file is not ignored, so it is part of the task's commit:
    // it counts as an undeclared write, and the included (ignored) files are not committed.
    expect(run.record.tasks.writer).toMatchObject({ changed: ['.setup-ran', 'app/main.txt'], undeclared: ['.setup-ran'] });
    expect(git(repo, 'show', `guild/${run.runId}:app/main.txt`)).toBe('main\nmore\n');
  });

  it('never commits the run store, and runs from a dirty tree see its uncommitted and untracked files', async () => {
    const repo = await gitRepo({ 'a.txt': 'a\n' });
    writeFileSync(path.join(repo, 'a.txt'), 'a dirty\n');
    writeFileSync(path.join(repo, 'new.txt'), 'untracked\n');
    const { host, logs } = await workspaceHost(repo, 'worktree');
    const run = await runThrough(host, repo, [{ id: 'copy', run: 'cat a.txt new.txt > both.txt', writes: ['both.txt'] }]);
    const branch = `guild/${run.runId}`;
    expect(git(repo, 'show', `${branch}:both.txt`)).toBe('a dirty\nuntracked\n');
    expect(git(repo, 'ls-tree', '-r', '--name-only', branch).split('\n').filter(Boolean).sort()).toEqual(['a.txt', 'both.txt', 'new.txt']);
    // Not fast-forwarded: the branch would otherwise take in the user's uncommitted changes.
    expect(logs.some((l) => l.includes('the tree had uncommitted changes when the run started') && l.includes('| git apply'))).toBe(true);
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(git(repo, 'rev-parse', 'main'));
    expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('a dirty\n');
  });

  it('fails a task in strict mode that writes outside its declared writes, without landing it', async () => {
    const repo = await gitRepo({ 'a.txt': 'a\n' });
    const { host } = await workspaceHost(repo, 'worktree', { strict: true });
    const run = await runThrough(host, repo, [{ id: 'sneaky', run: 'echo x > a.txt; echo y > other.txt', writes: ['a.txt'] }]);
    expect(run.summary.outcome).toBe('failed');
    expect(finishedError(run.events, 'sneaky')).toMatch(/^changed files outside its declared writes: other\.txt \(strict mode\)/);
    expect(git(repo, 'rev-parse', `guild/${run.runId}`)).toBe(git(repo, 'rev-parse', 'main'));
    expect(run.record.tasks.sneaky).toMatchObject({ undeclared: ['other.txt'], attribution: 'exact', landed: false });
    expect(run.record.undeclaredWrites).toBe(1);
  });

  it('keeps the worktree of a task stopped by an abort, with its partial work', async () => {
    const repo = await gitRepo({ 'a.txt': 'a\n' });
    const { host } = await workspaceHost(repo, 'worktree');
    const sync = await testdir();
    let scheduler: Scheduler | undefined;
    const running = runThrough(host, repo, [{ id: 'slow', run: `echo partial > a.txt; touch ${shellQuote(path.join(sync, 'started'))}; sleep 60`, writes: ['a.txt'] }], {
      onStart: (s) => (scheduler = s),
    });
    await waitFor('the task to start', () => existsSync(path.join(sync, 'started')), { timeoutMs: 20_000 });
    scheduler!.abort('now');
    const run = await running;
    expect(run.summary.outcome).toBe('aborted');
    expect(run.summary.tasks[0]).toMatchObject({ id: 'slow', state: 'cancelled' });
    const kept = run.record.kept[0]!;
    expect(kept.reason).toBe('killed by SIGKILL');
    expect(readFileSync(path.join(kept.worktree, 'a.txt'), 'utf8')).toBe('partial\n');
    expect(git(repo, 'show', `${kept.branch}:a.txt`)).toBe('partial\n');
    expect(git(repo, 'rev-parse', `guild/${run.runId}`)).toBe(git(repo, 'rev-parse', 'main'));
  });
});
