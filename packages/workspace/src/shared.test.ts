import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitRepo, isolateGit, removeTestdirs, shellQuote, testdir } from '@guild/test-utils';
import { finishedError, runThrough, taskLog, waitForFile, workspaceHost } from './test-support';

beforeAll(isolateGit);
afterAll(removeTestdirs);


describe('declared and actual writes in the project', () => {
  it('without checkWrites, shared tasks just run: nothing is compared', async () => {
    const repo = await gitRepo({ 'src/a.ts': 'a\n' });
    const { host } = await workspaceHost(repo, 'shared');
    const run = await runThrough(host, repo, [{ id: 'tidy', run: 'echo x > stray.txt', writes: ['src/**'] }]);
    expect(run.summary.outcome).toBe('succeeded');
    expect(run.record.tasks.tidy).toMatchObject({ where: 'project', attribution: 'unchecked', changed: [], undeclared: [] });
    expect(taskLog(run.runDir, 'tidy')).not.toContain('outside its declared writes');
  });

  it('reports files a task changed outside its declared writes, in its log and in workspace.json', async () => {
    const repo = await gitRepo({ 'src/a.ts': 'a\n', 'docs/readme.md': 'docs\n' });
    const { host, logs } = await workspaceHost(repo, 'shared', { checkWrites: true });
    const run = await runThrough(host, repo, [
      { id: 'tidy', run: 'echo b >> src/a.ts; echo x > src/new.ts; echo y >> docs/readme.md; echo z > .hidden', writes: ['src/**'] },
      { id: 'quiet', dependsOn: ['tidy'], run: 'true', writes: ['docs'] },
    ]);
    // Reported, not failed: strict is off.
    expect(run.summary.outcome).toBe('succeeded');
    expect(run.record.tasks.tidy).toMatchObject({
      where: 'project',
      attribution: 'exact',
      changed: ['.hidden', 'docs/readme.md', 'src/a.ts', 'src/new.ts'],
      undeclared: ['.hidden', 'docs/readme.md'],
    });
    expect(run.record.tasks.quiet).toMatchObject({ changed: [], undeclared: [] });
    expect(run.record).toMatchObject({ undeclaredWrites: 2, tasksWithUndeclaredWrites: 1, isolation: 'shared' });
    expect(taskLog(run.runDir, 'tidy')).toContain('--- guild:workspace: changed files outside its declared writes: .hidden, docs/readme.md');
    expect(run.events).toContainEqual(expect.objectContaining({ type: 'task.progress', id: 'tidy', message: expect.stringContaining('outside its declared writes') }));
    expect(logs.some((l) => l.startsWith('1 task changed files outside their declared writes: tidy (.hidden, docs/readme.md)'))).toBe(true);
  });

  it('fails such a task in strict mode', async () => {
    const repo = await gitRepo({ 'a.txt': 'a\n' });
    const { host } = await workspaceHost(repo, 'shared', { strict: true });
    const run = await runThrough(host, repo, [
      { id: 'ok', run: 'echo b >> a.txt', writes: ['a.txt'] },
      { id: 'sneaky', dependsOn: ['ok'], run: 'echo c > b.txt', writes: ['a.txt'] },
    ]);
    expect(run.summary.tasks.find((t) => t.id === 'ok')?.state).toBe('succeeded');
    expect(run.summary.tasks.find((t) => t.id === 'sneaky')?.state).toBe('failed');
    expect(finishedError(run.events, 'sneaky')).toBe('changed files outside its declared writes: b.txt (strict mode)');
    expect(run.record.tasks.sneaky).toMatchObject({ attribution: 'exact', undeclared: ['b.txt'] });
  });

  it('does not hold files declared by tasks running at the same time against a task', async () => {
    const repo = await gitRepo({ 'a.txt': 'a\n', 'b.txt': 'b\n' });
    const { host } = await workspaceHost(repo, 'shared', { strict: true });
    const sync = await testdir();
    const at = (name: string) => shellQuote(path.join(sync, name));
    // Each writes its own declared file while the other runs; "left" also writes one it did not declare.
    const run = await runThrough(host, repo, [
      { id: 'left', run: `touch ${at('left')}; ${waitForFile(path.join(sync, 'right'))}; echo l >> a.txt; echo x > stray.txt; touch ${at('left-done')}`, writes: ['a.txt'] },
      { id: 'right', run: `touch ${at('right')}; echo r >> b.txt; ${waitForFile(path.join(sync, 'left-done'))}`, writes: ['b.txt'] },
    ]);
    expect(run.record.tasks.left).toMatchObject({ attribution: 'approximate', alongside: ['right'], undeclared: ['stray.txt'] });
    expect(run.record.tasks.left!.changed).toEqual(expect.arrayContaining(['a.txt', 'b.txt', 'stray.txt']));
    // "right" saw the stray file appear too: both are named, the message says why.
    expect(run.record.tasks.right).toMatchObject({ attribution: 'approximate', undeclared: ['stray.txt'] });
    expect(finishedError(run.events, 'left')).toBe('changed files outside its declared writes (or by right, which ran at the same time): stray.txt (strict mode)');
  });
});

describe('ports', () => {
  /** Tasks that each ask for `n` ports and wait until all have started, then write down their ports. */
  const portTasks = (sync: string, ids: string[], n: number) =>
    ids.map((id) => ({
      id,
      ports: n,
      writes: [`${id}.txt`],
      run: [
        `touch ${shellQuote(path.join(sync, `${id}.started`))}`,
        ...ids.map((other) => waitForFile(path.join(sync, `${other}.started`))),
        `env | grep '^GUILD_PORT' | sort > ${shellQuote(path.join(sync, `${id}.env`))}`,
        `echo done > ${id}.txt`,
      ].join('; '),
    }));

  const readPorts = (sync: string, id: string) =>
    Object.fromEntries(
      readFileSync(path.join(sync, `${id}.env`), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split('=') as [string, string]),
    );

  for (const isolation of ['shared', 'worktree'] as const) {
    it(`gives tasks running at the same time distinct free ports (${isolation})`, async () => {
      const repo = await gitRepo({ 'readme.md': 'r\n' });
      const { host } = await workspaceHost(repo, isolation);
      const sync = await testdir();
      const ids = ['web', 'api', 'db'];
      const run = await runThrough(host, repo, portTasks(sync, ids, 2), { concurrency: 3 });
      expect(run.summary.outcome).toBe('succeeded');
      const all: number[] = [];
      for (const id of ids) {
        const env = readPorts(sync, id);
        expect(Object.keys(env).sort()).toEqual(['GUILD_PORT', 'GUILD_PORT_1', 'GUILD_PORT_2']);
        expect(env.GUILD_PORT).toBe(env.GUILD_PORT_1);
        all.push(Number(env.GUILD_PORT_1), Number(env.GUILD_PORT_2));
        expect(run.record.tasks[id]!.ports).toEqual([Number(env.GUILD_PORT_1), Number(env.GUILD_PORT_2)]);
      }
      expect(new Set(all).size).toBe(6);
      // They were free: each can be bound now that the tasks are over.
      for (const port of all) {
        await new Promise<void>((resolve, reject) => {
          const server = net.createServer().once('error', reject);
          server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
        });
      }
    });
  }
});
