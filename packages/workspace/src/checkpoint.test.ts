import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, gitRepo, isolateGit, readTree, removeTestdirs } from '@guild/test-utils';
import { checkpointRef, listCheckpoints, readCheckpoint, takeCheckpoint } from './checkpoint';
import { probeRepo, type Repo } from './repo';
import { rollback } from './rollback';
import { runThrough, workspaceHost } from './test-support';

beforeAll(isolateGit);
afterAll(removeTestdirs);

async function repoAt(dir: string): Promise<Repo> {
  const probe = await probeRepo(dir);
  if (probe.kind !== 'repo') throw new Error(`${dir}: ${probe.reason}`);
  return probe.repo;
}

/**
 * A repository whose tree is dirty in every way: a modified tracked file, a staged change, a
 * tracked file deleted, an untracked file in a new folder, an executable, a symlink, an
 * ignored file, and guild's run store.
 */
async function dirtyRepo(): Promise<string> {
  const dir = await gitRepo({
    '.gitignore': 'build/\n',
    'keep.txt': 'keep\n',
    'edit.txt': 'before\n',
    'staged.txt': 'old\n',
    'gone.txt': 'gone\n',
    'run.sh': '#!/bin/sh\necho hi\n',
  });
  writeFileSync(path.join(dir, 'edit.txt'), 'edited, not committed\n');
  writeFileSync(path.join(dir, 'staged.txt'), 'staged\n');
  git(dir, 'add', 'staged.txt');
  unlinkSync(path.join(dir, 'gone.txt'));
  mkdirSync(path.join(dir, 'notes'));
  writeFileSync(path.join(dir, 'notes', 'todo.md'), '- untracked\n');
  chmodSync(path.join(dir, 'run.sh'), 0o755);
  symlinkSync('keep.txt', path.join(dir, 'link'));
  mkdirSync(path.join(dir, 'build'));
  writeFileSync(path.join(dir, 'build', 'out.bin'), Buffer.from([0, 1, 2, 255]));
  mkdirSync(path.join(dir, '.guild', 'runs'), { recursive: true });
  writeFileSync(path.join(dir, '.guild', 'runs', 'x.json'), '{}\n');
  return dir;
}

describe('checkpoints', () => {
  it('record the dirty tree without touching the index, the working tree or the stash', async () => {
    const dir = await dirtyRepo();
    const repo = await repoAt(dir);
    const index = readFileSync(path.join(dir, '.git', 'index'));
    const tree = readTree(dir);
    const status = git(dir, 'status', '--porcelain');
    const cp = await takeCheckpoint(repo, 'RUN1', ['.guild']);
    expect(readFileSync(path.join(dir, '.git', 'index'))).toEqual(index);
    expect(readTree(dir)).toEqual(tree);
    expect(git(dir, 'status', '--porcelain')).toBe(status);
    expect(git(dir, 'stash', 'list')).toBe('');
    expect(cp).toMatchObject({ clean: false, head: git(dir, 'rev-parse', 'HEAD').trim(), ref: checkpointRef('RUN1') });
    expect(git(dir, 'rev-parse', checkpointRef('RUN1')).trim()).toBe(cp.commit);
    const files = git(dir, 'ls-tree', '-r', '--name-only', cp.commit).split('\n').filter(Boolean).sort();
    expect(files).toEqual(['.gitignore', 'edit.txt', 'keep.txt', 'link', 'notes/todo.md', 'run.sh', 'staged.txt']);
    expect(git(dir, 'show', `${cp.commit}:edit.txt`)).toBe('edited, not committed\n');
    expect(git(dir, 'ls-tree', cp.commit, 'run.sh')).toMatch(/^100755 /);
    // The staged state is recorded apart, so rollback can restore the index as well.
    expect(cp.index).toBeDefined();
    expect(git(dir, 'show', `${cp.index}:staged.txt`)).toBe('staged\n');
    expect(git(dir, 'show', `${cp.index}:edit.txt`)).toBe('before\n');
    expect(await readCheckpoint(repo, 'RUN1')).toEqual(cp);
  });

  it('are HEAD itself for a clean tree (the run store aside, ignored or not), and are kept when taken again (a resumed run)', async () => {
    const dir = await gitRepo({ 'a.txt': 'a\n', '.gitignore': '.guild/\n' });
    mkdirSync(path.join(dir, '.guild'));
    writeFileSync(path.join(dir, '.guild', 'state.json'), '{}');
    const repo = await repoAt(dir);
    const cp = await takeCheckpoint(repo, 'RUN2', ['.guild']);
    expect(cp).toMatchObject({ clean: true, commit: git(dir, 'rev-parse', 'HEAD').trim(), index: undefined });
    writeFileSync(path.join(dir, 'a.txt'), 'changed\n');
    expect(await takeCheckpoint(repo, 'RUN2', ['.guild'])).toEqual(cp);
    expect(await readCheckpoint(repo, 'RUN2')).toEqual(cp);
    expect(await listCheckpoints(repo)).toEqual(['RUN2']);
  });

  it('work on a branch without commits', async () => {
    const dir = await gitRepo();
    writeFileSync(path.join(dir, 'first.txt'), 'first\n');
    const repo = await repoAt(dir);
    const cp = await takeCheckpoint(repo, 'RUN3', []);
    expect(cp).toMatchObject({ clean: false, head: undefined });
    expect(git(dir, 'show', `${cp.commit}:first.txt`)).toBe('first\n');
    unlinkSync(path.join(dir, 'first.txt'));
    expect((await rollback(repo, 'RUN3', [])).added).toEqual(['first.txt']);
    expect(readFileSync(path.join(dir, 'first.txt'), 'utf8')).toBe('first\n');
  });
});

describe('rollback', () => {
  it('restores a dirty tree exactly: every file byte for byte, new files removed, ignored files and the run store untouched', async () => {
    const dir = await dirtyRepo();
    const repo = await repoAt(dir);
    const before = readTree(dir, ['build', '.guild']);
    const stagedBefore = git(dir, 'diff', '--cached', '--name-status');
    await takeCheckpoint(repo, 'RUN4', ['.guild']);

    // What a run might do afterwards.
    writeFileSync(path.join(dir, 'edit.txt'), 'overwritten by a task\n');
    writeFileSync(path.join(dir, 'keep.txt'), 'changed too\n');
    rmSync(path.join(dir, 'notes'), { recursive: true });
    writeFileSync(path.join(dir, 'gone.txt'), 'came back\n');
    mkdirSync(path.join(dir, 'src', 'deep'), { recursive: true });
    writeFileSync(path.join(dir, 'src', 'deep', 'new.ts'), 'export {};\n');
    writeFileSync(path.join(dir, 'created.txt'), 'created after the checkpoint\n');
    chmodSync(path.join(dir, 'run.sh'), 0o644);
    unlinkSync(path.join(dir, 'link'));
    writeFileSync(path.join(dir, 'link'), 'a file now\n');
    writeFileSync(path.join(dir, 'build', 'out.bin'), 'rebuilt\n');
    writeFileSync(path.join(dir, '.guild', 'runs', 'x.json'), '{"later":true}\n');
    git(dir, 'add', '--all');

    const report = await rollback(repo, 'RUN4', ['.guild']);
    expect(readTree(dir, ['build', '.guild'])).toEqual(before);
    expect(statSync(path.join(dir, 'run.sh')).mode & 0o777).toBe(0o755);
    expect(report.changed.sort()).toEqual(['edit.txt', 'keep.txt', 'link', 'run.sh']);
    expect(report.added).toEqual(['notes/todo.md']);
    expect(report.removed.sort()).toEqual(['created.txt', 'gone.txt', 'src/deep/new.ts']);
    // Folders left empty by removed files are gone; ignored files and the run store are as they were.
    expect(() => statSync(path.join(dir, 'src'))).toThrow();
    expect(readFileSync(path.join(dir, 'build', 'out.bin'), 'utf8')).toBe('rebuilt\n');
    expect(readFileSync(path.join(dir, '.guild', 'runs', 'x.json'), 'utf8')).toBe('{"later":true}\n');
    // HEAD did not move, so the index is back as it was: staged.txt staged, the rest not.
    expect(report.index).toBe('restored');
    expect(git(dir, 'diff', '--cached', '--name-status')).toBe(stagedBefore);
    // Rolling back again finds nothing to do.
    const again = await rollback(repo, 'RUN4', ['.guild']);
    expect([...again.changed, ...again.added, ...again.removed]).toEqual([]);
  });

  it('refuses a run without a checkpoint', async () => {
    const repo = await repoAt(await gitRepo({ 'a.txt': 'a\n' }));
    await expect(rollback(repo, 'NOPE', [])).rejects.toMatchObject({ code: 'RUN_NOT_FOUND', message: expect.stringContaining('run NOPE has no checkpoint') });
  });

  it('undoes a worktree run whose result was fast-forwarded, moving the branch back', async () => {
    const dir = await gitRepo({ 'a.txt': 'a\n' });
    const { host } = await workspaceHost(dir, 'worktree');
    const head = git(dir, 'rev-parse', 'HEAD').trim();
    const run = await runThrough(host, dir, [{ id: 'edit', run: 'echo more >> a.txt; echo new > b.txt', writes: ['a.txt', 'b.txt'] }]);
    expect(git(dir, 'rev-parse', 'main').trim()).not.toBe(head);
    expect(readFileSync(path.join(dir, 'b.txt'), 'utf8')).toBe('new\n');
    const repo = await repoAt(dir);
    const report = await rollback(repo, run.runId, ['.guild'], run.record.fastForward);
    expect(report.branch).toEqual({ moved: true, ref: 'refs/heads/main', to: head });
    expect(git(dir, 'rev-parse', 'main').trim()).toBe(head);
    expect(readTree(dir, ['.guild'])).toEqual(new Map([['a.txt', Buffer.from('a\n')]]));
    expect(git(dir, 'status', '--porcelain', '--untracked-files=no')).toBe('');
    expect(report.removed).toEqual(['b.txt']);
  });
});
