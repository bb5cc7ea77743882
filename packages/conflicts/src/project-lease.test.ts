import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Access } from '@guild/core';
import { ProjectLeases } from './project-lease';

const w = (p: string): Access => ({ kind: 'path', path: p, mode: 'write', glob: p.includes('*') });
const r = (p: string): Access => ({ kind: 'path', path: p, mode: 'read', glob: p.includes('*') });

describe('ProjectLeases', () => {
  it('keeps two runs of one project from holding conflicting accesses at once', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'guild-lease-'));
    const one = new ProjectLeases(root, 'RUN1');
    const two = new ProjectLeases(root, 'RUN2');
    expect(one.tryAcquire('build', [w('dist')])).toEqual([]);
    expect(two.tryAcquire('clean', [w('dist/app.js')])).toEqual([
      { kind: 'lock', key: 'dist', heldBy: 'build', run: 'RUN1' },
    ]);
    // read/read and unrelated paths pass
    expect(two.tryAcquire('lint', [r('src/**')])).toEqual([]);
    expect(one.tryAcquire('test', [r('src/a.ts')])).toEqual([]);
    expect(two.conflictingRuns([w('dist/x')])).toEqual([{ runId: 'RUN1', task: 'build', key: 'dist' }]);
    one.release('build');
    expect(two.tryAcquire('clean', [w('dist/app.js')])).toEqual([]);
    expect(one.tryAcquire('build', [w('dist')])).toEqual([{ kind: 'lock', key: 'dist/app.js', heldBy: 'clean', run: 'RUN2' }]);
    two.close();
    expect(existsSync(path.join(root, '.guild', 'leases', 'RUN2.json'))).toBe(false);
    expect(one.tryAcquire('build', [w('dist')])).toEqual([]);
  });

  it('ignores and removes the lease of a run whose driver is gone', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'guild-lease-'));
    const child = spawn('sleep', ['30']);
    const pid = child.pid!;
    const dir = path.join(root, '.guild', 'leases');
    new ProjectLeases(root, 'ME');
    await writeFile(
      path.join(dir, 'DEAD.json'),
      JSON.stringify({ runId: 'DEAD', pid, holds: [{ task: 'x', access: w('dist') }] }),
    );
    const me = new ProjectLeases(root, 'ME');
    expect(me.tryAcquire('t', [w('dist')])).toEqual([{ kind: 'lock', key: 'dist', heldBy: 'x', run: 'DEAD' }]);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(me.tryAcquire('t', [w('dist')])).toEqual([]);
    expect(existsSync(path.join(dir, 'DEAD.json'))).toBe(false);
  });
});
