import { chmod, lstat, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTestdirs, testdir } from '@guild/test-utils';
import { tickTask } from './tick';

afterAll(removeTestdirs);

/** `bytes` with the box of the line holding `marker` ticked: the only change allowed. */
function ticked(bytes: Buffer, marker: string): Buffer {
  const at = bytes.indexOf(`[ ] ${marker}`);
  expect(at).toBeGreaterThan(0);
  const out = Buffer.from(bytes);
  out[at + 1] = 0x78;
  return out;
}

const CRLF_LIST = Buffer.concat([
  Buffer.from('\uFEFF# Tasks: Line endings  \r\n\r\n## Phase 1: Setup\r\n\r\n'),
  Buffer.from('- [ ] T001 First   \r\n'),
  Buffer.from('- [ ] T002 [P] Second in src/a.ts\t\r\n'),
  // Not UTF-8: must survive untouched.
  Buffer.from([0x20, 0x20, 0x2d, 0x20, 0xff, 0xfe, 0x0d, 0x0a]),
  Buffer.from('  - [ ] T003 Third, indented and last, no final newline'),
]);

describe('tickTask', () => {
  it('changes exactly one byte: CRLF, trailing blanks, a BOM, non-UTF-8 bytes and no final newline stay', async () => {
    const dir = await testdir();
    const file = path.join(dir, 'tasks.md');
    await writeFile(file, CRLF_LIST);
    expect(await tickTask(file, 'T002')).toBe('ticked');
    const once = ticked(CRLF_LIST, 'T002');
    expect(await readFile(file)).toEqual(once);
    expect(await tickTask(file, 'T003')).toBe('ticked');
    expect(await readFile(file)).toEqual(ticked(once, 'T003'));
    expect(await tickTask(file, 'T001')).toBe('ticked');
    expect((await readFile(file)).toString('latin1')).toContain('- [x] T001 First   \r\n- [x] T002');
  });

  it('ticks a box on the first line after a BOM', async () => {
    const dir = await testdir();
    const file = path.join(dir, 'tasks.md');
    const original = Buffer.from('\uFEFF- [ ] T001 Only task\n');
    await writeFile(file, original);
    expect(await tickTask(file, 'T001')).toBe('ticked');
    expect(await readFile(file)).toEqual(ticked(original, 'T001'));
  });

  it('reads the file again and finds the task by id after edits', async () => {
    const dir = await testdir({ 'tasks.md': '- [ ] T001 One\n- [ ] T002 Two\n' });
    const file = path.join(dir, 'tasks.md');
    const edited = '# Added later\n\n- [ ] T000 New first task\n- [ ] T002 Two, moved up and renamed\n- [ ] T001 One\n';
    await writeFile(file, edited);
    expect(await tickTask(file, 'T002')).toBe('ticked');
    expect(await readFile(file, 'utf8')).toBe(edited.replace('[ ] T002', '[x] T002'));
  });

  it('leaves the file alone when the task is gone or already done', async () => {
    const dir = await testdir({ 'tasks.md': '- [x] T001 Done\n- [ ] T002 Open\n' });
    const file = path.join(dir, 'tasks.md');
    const before = await stat(file);
    expect(await tickTask(file, 'T009')).toBe('not-found');
    expect(await tickTask(file, 'T001')).toBe('already-done');
    expect((await stat(file)).ino).toBe(before.ino);
    expect(await readFile(file, 'utf8')).toBe('- [x] T001 Done\n- [ ] T002 Open\n');
  });

  it('does not tick a look-alike in a code block', async () => {
    const text = '```\n- [ ] T001 Example\n```\n- [ ] T002 Real\n';
    const dir = await testdir({ 'tasks.md': text });
    expect(await tickTask(path.join(dir, 'tasks.md'), 'T001')).toBe('not-found');
  });

  it('finds checklist tasks by the ids made from their titles', async () => {
    const dir = await testdir({ 'todo.md': '- [ ] Deploy\n- [ ] Deploy\n' });
    const file = path.join(dir, 'todo.md');
    expect(await tickTask(file, 'deploy-2')).toBe('ticked');
    expect(await readFile(file, 'utf8')).toBe('- [ ] Deploy\n- [x] Deploy\n');
  });

  it('replaces the file atomically: a new inode, the same mode, no temporary file left', async () => {
    const dir = await testdir({ 'tasks.md': '- [ ] T001 One\n' });
    const file = path.join(dir, 'tasks.md');
    await chmod(file, 0o640);
    const before = await stat(file);
    expect(await tickTask(file, 'T001')).toBe('ticked');
    const after = await stat(file);
    expect(after.ino).not.toBe(before.ino);
    expect(after.mode & 0o777).toBe(0o640);
    expect(await readdir(dir)).toEqual(['tasks.md']);
  });

  it('follows a symlink and keeps it a symlink', async () => {
    const dir = await testdir({ 'specs/tasks.md': '- [ ] T001 One\n' });
    const link = path.join(dir, 'tasks.md');
    await symlink(path.join(dir, 'specs/tasks.md'), link);
    expect(await tickTask(link, 'T001')).toBe('ticked');
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readFile(path.join(dir, 'specs/tasks.md'), 'utf8')).toBe('- [x] T001 One\n');
  });
});
