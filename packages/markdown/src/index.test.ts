import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPlan, type Logger, type SetupApi, type Task, type TaskSource } from '@guild/core';
import { removeTestdirs, testdir } from '@guild/test-utils';
import markdown, { extractPaths, markdownSource, parseTaskList, tickTask, toTaskSpecs } from './index';
import { fixture, guildErrorOf, md } from './test-support';

afterAll(removeTestdirs);

/** A logger that keeps what it is told. */
function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
    debug: (m) => lines.push(`debug ${m}`),
  };
}

/** The part of SetupApi the plugin uses; anything else it touches fails loudly. */
function fakeApi(root: string): { api: SetupApi; sources: TaskSource[]; logger: ReturnType<typeof memoryLogger> } {
  const sources: TaskSource[] = [];
  const logger = memoryLogger();
  const used: Partial<SetupApi> = { addSource: (s) => sources.push(s), logger, root, projectRoot: path.join(root, 'project') };
  const api = new Proxy(used, {
    get(target, key) {
      if (key in target) return target[key as keyof SetupApi];
      throw new Error(`plugin used api.${String(key)}`);
    },
  }) as SetupApi;
  return { api, sources, logger };
}

/** Validated tasks for the specs a source loaded (shell tasks, so no agent is needed). */
async function loadTasks(source: TaskSource, ref: string, root: string): Promise<Task[]> {
  const { specs } = await source.load(ref, { root });
  return [...createPlan(specs, { root, file: ref }).tasks.values()];
}

describe('guild:markdown plugin', () => {
  it('registers the markdown source, which accepts .md and .markdown files', async () => {
    const plugin = markdown();
    expect(plugin).toMatchObject({ name: 'guild:markdown', apiVersion: 1 });
    const { api, sources } = fakeApi('/cfg');
    await plugin.setup?.(api);
    expect(sources).toHaveLength(1);
    const source = sources[0]!;
    expect(source.name).toBe('markdown');
    expect(['tasks.md', 'specs/001/TASKS.MD', 'todo.markdown'].map((r) => source.accepts?.(r))).toEqual([true, true, true]);
    expect(['plan.yaml', 'md', 'tasks.md.bak', 'beads'].map((r) => source.accepts?.(r))).toEqual([false, false, false, false]);
    expect(source.sink?.finished).toBeTypeOf('function');
  });

  it('runs tasks in the project root by default, or in "root" from the config folder', async () => {
    const dir = await testdir({ 'specs/tasks.md': md('- [ ] T001 One') });
    for (const [options, expected] of [
      [{}, path.join(dir, 'project')],
      [{ root: 'app' }, path.join(dir, 'app')],
    ] as const) {
      const { api, sources } = fakeApi(dir);
      await markdown(options).setup?.(api);
      const loaded = await sources[0]!.load('specs/tasks.md', { root: dir });
      expect(loaded.root).toBe(expected);
    }
  });

  it('rejects bad options, naming the option and what is accepted', () => {
    expect(() => markdown({ updateSourse: true } as never)).toThrow(
      'guild:markdown: unknown option "updateSourse"; accepted options: updateSource (boolean), run (shell command), agent (runner name), root (folder)',
    );
    expect(() => markdown({ updateSource: 'yes' } as never)).toThrow('guild:markdown: option "updateSource" must be true or false (got "yes")');
    expect(() => markdown({ run: '  ' })).toThrow('guild:markdown: option "run" must be a non-empty string (got "  ")');
    expect(() => markdown({ run: 'make', agent: 'claude-code' })).toThrow('guild:markdown: set "run" (shell tasks) or "agent", not both');
    expect(() => markdown('fast' as never)).toThrow(/options must be an object/);
    const e = guildErrorOf(() => markdown({ extra: 1 } as never));
    expect(e.code).toBe('CONFIG_INVALID');
  });

  it('exports the library API', () => {
    expect(extractPaths('see src/a.ts')).toEqual(['src/a.ts']);
    for (const fn of [parseTaskList, toTaskSpecs, tickTask, markdownSource]) expect(typeof fn).toBe('function');
  });
});

describe('markdown source', () => {
  it('loads a list relative to the given folder, returns its warnings, and mentions done tasks', async () => {
    const dir = await testdir({ 'specs/007/tasks.md': fixture('data-pipeline.tasks.md') });
    const logger = memoryLogger();
    const source = markdownSource({}, logger);
    const loaded = await source.load('specs/007/tasks.md', { root: dir });
    expect(loaded.root).toBe(dir);
    expect(loaded.specs).toHaveLength(33);
    expect(loaded.specs[0]!.meta).toMatchObject({ markdown: { path: path.join(dir, 'specs/007/tasks.md'), line: 9 } });
    const warning =
      'specs/007/tasks.md:36: T013 and T012 (line 35) are both [P] but both write pipeline/models/order.py; they will not run at the same time (the conflict checker holds one back)';
    expect(loaded.warnings).toEqual([warning]);
    expect(logger.lines).toEqual([]);

    const withDone = await testdir({ 'tasks.md': fixture('cli-tool.tasks.md') });
    const second = memoryLogger();
    await markdownSource({}, second).load('tasks.md', { root: withDone });
    expect(second.lines).toContain('info tasks.md: 3 tasks already checked off, not run: T001, T006, T011');
  });

  it('says when the file is missing, and when every task is done', async () => {
    const dir = await testdir({ 'done.md': md('- [x] T001 One', '- [X] T002 Two') });
    const source = markdownSource();
    await expect(source.load('nope.md', { root: dir })).rejects.toMatchObject({
      code: 'PLAN_NOT_FOUND',
      message: `task list not found: nope.md (looked for ${path.join(dir, 'nope.md')}); check the path`,
    });
    await expect(source.load('done.md', { root: dir })).rejects.toMatchObject({
      code: 'PLAN_EMPTY',
      message: 'done.md: every task is checked off (2 done), so there is nothing to run; untick a box to run its task again',
    });
  });
});

describe('--update-source (the sink)', () => {
  it('ticks the boxes of succeeded tasks only, one file update at a time', async () => {
    const lines = Array.from({ length: 12 }, (_, i) => `- [ ] T${String(i + 1).padStart(3, '0')} [P] Task ${i + 1}`);
    const original = `# Tasks: Many\r\n\r\n${lines.join('\r\n')}`;
    const dir = await testdir({ 'tasks.md': original });
    const source = markdownSource({ updateSource: true, run: 'true' }, memoryLogger());
    const tasks = await loadTasks(source, 'tasks.md', dir);
    const outcome = (t: Task) => (t.id === 'T005' ? 'failed' : t.id === 'T006' ? 'cancelled' : 'succeeded');
    // All at once, as tasks finishing together would; without serialising, updates get lost.
    await Promise.all(tasks.map((t) => source.sink!.finished!(t, outcome(t))));
    const expected = original.replace(/\[ \] (T\d+)/g, (m, id: string) => (id === 'T005' || id === 'T006' ? m : `[x] ${id}`));
    expect(await readFile(path.join(dir, 'tasks.md'), 'utf8')).toBe(expected);
  });

  it('ticks nothing without the option, unless the list was loaded with --update-source', async () => {
    for (const flag of [false, true]) {
      const dir = await testdir({ 'tasks.md': md('- [ ] T001 One') });
      const source = markdownSource({ run: 'true' }, memoryLogger());
      const { specs } = await source.load('tasks.md', { root: dir, updateSource: flag });
      const [task] = [...createPlan(specs, { root: dir, file: 'tasks.md' }).tasks.values()];
      await source.sink!.finished!(task!, 'succeeded');
      expect(await readFile(path.join(dir, 'tasks.md'), 'utf8')).toBe(md(`- [${flag ? 'x' : ' '}] T001 One`));
    }
  });

  it('warns rather than fails when the task is gone from the file', async () => {
    const dir = await testdir({ 'tasks.md': md('- [ ] T001 One', '- [ ] T002 Two') });
    const logger = memoryLogger();
    const source = markdownSource({ updateSource: true, run: 'true' }, logger);
    const [first] = await loadTasks(source, 'tasks.md', dir);
    await writeFile(path.join(dir, 'tasks.md'), md('- [ ] T002 Two'));
    await source.sink!.finished!(first!, 'succeeded');
    expect(logger.lines).toEqual(['warn tasks.md: T001 is no longer an open task in the file; no box ticked']);
    expect(await readFile(path.join(dir, 'tasks.md'), 'utf8')).toBe(md('- [ ] T002 Two'));
  });
});
