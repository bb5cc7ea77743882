import { chmodSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlan, runPlan, type RunEvent } from '@guild/core';
import { git, gitRepo, isolateGit, removeTestdirs, shellQuote, testdir, writeFiles } from '@guild/test-utils';
import { recordFile } from './index';
import { probeRepo, requireMergeTree, type Repo } from './repo';
import { workspaceHost } from './test-support';

beforeAll(isolateGit);
afterAll(removeTestdirs);

/** Runs `fn` with PATH pointing at an empty folder, so no `git` can be found. */
async function withoutGitOnPath<T>(fn: () => Promise<T>): Promise<T> {
  const saved = process.env.PATH;
  process.env.PATH = await testdir();
  try {
    return await fn();
  } finally {
    process.env.PATH = saved;
  }
}

describe('without git', () => {
  it('refuses worktree isolation outside a repository, saying why and what to do', async () => {
    const dir = await testdir({ 'a.txt': 'a\n' });
    await expect(workspaceHost(dir, 'worktree')).rejects.toMatchObject({
      name: 'GuildError',
      code: 'CONFIG_INVALID',
      message: `plugin guild:workspace (setup): isolation "worktree" needs a git repository, but ${dir} is not inside a git working tree; run "git init" there (and commit), or use --isolation shared`,
    });
  });

  it('refuses worktree isolation when git is not installed', async () => {
    const dir = await testdir();
    await withoutGitOnPath(async () => {
      await expect(workspaceHost(dir, 'worktree')).rejects.toThrow(
        'isolation "worktree" needs a git repository, but git was not found on PATH; install git, or use --isolation shared',
      );
    });
  });

  it('finds no repository without running git when no folder up the tree has a .git', async () => {
    const dir = await testdir();
    // A git that leaves a mark when it runs, first on PATH.
    const bin = await testdir();
    const mark = path.join(bin, 'ran');
    await writeFiles(bin, { git: `#!/bin/sh\necho "$@" >> ${shellQuote(mark)}\nexit 1\n` });
    chmodSync(path.join(bin, 'git'), 0o755);
    const saved = process.env.PATH;
    process.env.PATH = `${bin}${path.delimiter}${saved}`;
    try {
      expect(await probeRepo(path.join(dir))).toEqual({ kind: 'not-a-repo', reason: `${dir} is not inside a git working tree` });
    } finally {
      process.env.PATH = saved;
    }
    expect(existsSync(mark), 'git was run').toBe(false);
  });

  it('finds the repository from a folder inside it, and from a linked worktree (.git is a file there)', async () => {
    const repo = await gitRepo({ 'sub/a.txt': 'a\n' });
    const inner = await probeRepo(path.join(repo, 'sub'));
    expect(inner).toMatchObject({ kind: 'repo', repo: { top: repo, commonDir: path.join(repo, '.git'), indexFile: path.join(repo, '.git', 'index') } });
    const linked = `${repo}-linked`;
    git(repo, 'worktree', 'add', '--quiet', '--detach', linked);
    const other = await probeRepo(linked);
    expect(other).toMatchObject({ kind: 'repo', repo: { top: linked, commonDir: path.join(repo, '.git') } });
    expect(other.kind === 'repo' && other.repo.indexFile).toMatch(new RegExp(`^${path.join(repo, '.git', 'worktrees')}/`));
    git(repo, 'worktree', 'remove', '--force', linked);
  });

  it('says a bare repository is no working tree', async () => {
    const dir = await testdir();
    git(dir, 'init', '--quiet', '--bare', 'bare.git');
    expect(await probeRepo(path.join(dir, 'bare.git'))).toMatchObject({ kind: 'not-a-repo' });
  });

  it('refuses worktree isolation with a git older than 2.38', () => {
    const old: Repo = { top: '/r', commonDir: '/r/.git', indexFile: '/r/.git/index', version: [2, 30] };
    expect(() => requireMergeTree(old)).toThrow('isolation "worktree" needs git 2.38 or later (for "git merge-tree --write-tree"); this is git 2.30');
    expect(() => requireMergeTree({ ...old, version: [3, 0] })).not.toThrow();
  });

  it('refuses rollback with a clear message', async () => {
    const dir = await testdir();
    const { host } = await workspaceHost(dir, 'shared');
    const rollback = host.commands.find((c) => c.name === 'rollback [run-id]')!;
    await expect(Promise.resolve().then(() => rollback.action([], {}))).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: `guild rollback needs a git repository, but ${dir} is not inside a git working tree; run "git init" there (and commit)`,
    });
  });

  it('still runs tasks in shared mode, with ports, and leaves other tasks to their runner untouched', async () => {
    const dir = await testdir();
    await withoutGitOnPath(async () => {
      const { host } = await workspaceHost(dir, 'shared');
      const out = path.join(dir, 'port.txt');
      const plan = createPlan(
        [
          { id: 'server', run: `echo "$GUILD_PORT" > ${shellQuote(out)}`, ports: 1 },
          { id: 'plain', run: 'echo plain > plain.txt' },
        ],
        { root: dir },
      );
      const events: RunEvent[] = [];
      const { summary, runDir } = await runPlan(plan, { concurrency: 2, runners: host.runners, projectRoot: dir, listeners: [(e) => events.push(e), ...host.listeners] });
      expect(summary.outcome).toBe('succeeded');
      expect(Number(readFileSync(out, 'utf8'))).toBeGreaterThan(0);
      expect(readFileSync(path.join(dir, 'plain.txt'), 'utf8')).toBe('plain\n');
      // Without git and ports there is nothing to prepare: the task starts at once, with its pid.
      expect(events.find((e) => e.type === 'task.started' && e.id === 'plain')).toHaveProperty('pid');
      expect(existsSync(recordFile(runDir))).toBe(false);
    });
  });
});
