import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPaths, type RunEndContext, type RunEvent, type StoredPlan } from '@guild/core';
import { removeTestdirs, testdir } from '@guild/test-utils';
import { metricsCommand, reportCommand } from './commands';
import { finishRun } from './run-end';
import { pickRun } from '@guild/core';
import { readRunMetrics } from './run-files';
import { metricsText } from './text';
import { realRun } from './test-support';
import type { RunMetrics } from './types';

afterAll(removeTestdirs);

/** Runs a command's action, collecting what it prints. */
async function call(command: CommandFactory, projectRoot: string, args: string[], options: Record<string, unknown> = {}, cwd = projectRoot) {
  let out = '';
  const code = await command(projectRoot, { stdout: (t) => (out += t), cwd }).action(args, options);
  return { code, out };
}
type CommandFactory = typeof metricsCommand;

/** Catches what `fn` throws. */
async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error('it did not throw');
}

describe('guild metrics and guild report', () => {
  let dir: string;
  let run: RunEndContext;
  let saved: RunMetrics;
  beforeAll(async () => {
    dir = await testdir();
    run = await realRun(dir);
    saved = finishRun(run, { report: false, warn: () => {} })!;
  });

  it('prints the newest run as text, JSON or Prometheus text', async () => {
    expect(await call(metricsCommand, dir, [])).toEqual({ code: 0, out: metricsText(saved) });
    const json = await call(metricsCommand, dir, [], { json: true });
    expect(JSON.parse(json.out)).toEqual(JSON.parse(JSON.stringify(saved)));
    expect((await call(metricsCommand, dir, [], { format: 'json' })).out).toBe(json.out);
    const prom = await call(metricsCommand, dir, [], { format: 'prometheus' });
    expect(prom.out).toContain(`guild_run_wall_seconds{run="${run.runId}"} ${saved.wall}\n`);
    expect(prom.out).toContain(`guild_task_exit_code{task="lint",run="${run.runId}"} 3\n`);
  });

  it('finds a run by a unique prefix of its id, in any case', async () => {
    const prefix = run.runId.slice(0, 12).toLowerCase();
    expect((await call(metricsCommand, dir, [prefix], { json: true })).out).toContain(`"runId": "${run.runId}"`);
    expect(pickRun(dir, run.runId)).toBe(run.runId);
  });

  it('refuses bad flags and unknown runs with a clear message', async () => {
    expect(await thrown(() => call(metricsCommand, dir, [], { json: true, format: 'prometheus' }))).toMatchObject({
      name: 'GuildError',
      code: 'USAGE',
      message: 'guild metrics takes --json or --format <format>, not both; --json is --format json',
    });
    expect(await thrown(() => call(metricsCommand, dir, [], { format: 'yaml' }))).toMatchObject({
      code: 'USAGE',
      message: '--format takes text, json, prometheus (got "yaml")',
    });
    expect(await thrown(() => call(metricsCommand, dir, ['ZZZ']))).toMatchObject({
      code: 'RUN_NOT_FOUND',
      message: `no run "ZZZ" in ${path.join(dir, '.guild', 'runs')}; "guild runs" lists them`,
    });
    expect(await thrown(() => call(reportCommand, dir, [], { out: '' }))).toMatchObject({ code: 'USAGE' });
    const empty = await testdir();
    expect(await thrown(() => call(reportCommand, empty, []))).toMatchObject({
      code: 'RUN_NOT_FOUND',
      message: `no runs in ${path.join(empty, '.guild', 'runs')}; start one with "guild run <plan>"`,
    });
  });

  it('says which runs an ambiguous prefix matches', async () => {
    const two = await testdir();
    for (const id of ['01AAAAAAAAAAAAAA', '01AAAAAAAAAAAAAB']) {
      mkdirSync(runPaths(two, id).dir, { recursive: true });
      writeFileSync(runPaths(two, id).plan, '{}');
    }
    expect(await thrown(() => pickRun(two, '01a'))).toMatchObject({
      code: 'RUN_NOT_FOUND',
      message: '"01a" matches 2 runs (01AAAAAAAAAAAAAA, 01AAAAAAAAAAAAAB, ...); give more of the id',
    });
  });

  it('writes the report into the run folder, or where --out says (relative to the current folder)', async () => {
    const inRun = await call(reportCommand, dir, [run.runId]);
    const file = path.join(run.runDir, 'report.html');
    expect(inRun).toEqual({ code: 0, out: `report: ${file}\n` });
    expect(readFileSync(file, 'utf8')).toContain(`<title>guild run ${run.runId}</title>`);
    const cwd = await testdir();
    const elsewhere = await call(reportCommand, dir, [], { out: 'reports/run.html' }, cwd);
    expect(elsewhere.out).toBe(`report: ${path.join(cwd, 'reports', 'run.html')}\n`);
    expect(existsSync(path.join(cwd, 'reports', 'run.html'))).toBe(true);
  });
});

describe('readRunMetrics', () => {
  it('uses summary.json while it matches the log, and recomputes once the log has grown', async () => {
    const dir = await testdir();
    const run = await realRun(dir);
    const saved = finishRun(run, { report: false, warn: () => {} })!;
    expect(readRunMetrics(dir, run.runId).metrics).toEqual(JSON.parse(JSON.stringify(saved)));
    // A resumed session has begun: its run.started is in the log, not yet in summary.json.
    const next: RunEvent = { type: 'run.started', runId: run.runId, at: Date.now(), tasks: 4, slots: 2, boost: 2 };
    appendFileSync(path.join(run.runDir, 'events.jsonl'), `${JSON.stringify(next)}\n`);
    const fresh = readRunMetrics(dir, run.runId).metrics;
    expect(fresh.sessions).toBe(2);
    expect(fresh.events).toBe(saved.events + 1);
    expect(fresh.conflicts).toBeNull();
  });

  it('reads a crashed run that has no summary, even with a prompt-only task and a torn last line', async () => {
    const dir = await testdir();
    const id = '01CRASHCRASHCRAS';
    const paths = runPaths(dir, id);
    mkdirSync(paths.logs, { recursive: true });
    const stored: StoredPlan = {
      version: 1,
      runId: id,
      createdAt: 0,
      root: dir,
      source: 'tasks.md',
      specs: [
        { id: 'build', run: 'make' },
        { id: 'review', prompt: 'Review the change' },
      ],
      options: { concurrency: 2, boost: 2, failFast: false },
    };
    writeFileSync(paths.plan, JSON.stringify(stored));
    const T = 1_700_000_000_000;
    const events: RunEvent[] = [
      { type: 'run.started', runId: id, at: T, tasks: 2, slots: 2, boost: 2 },
      { type: 'task.ready', id: 'build', at: T },
      { type: 'task.ready', id: 'review', at: T },
      { type: 'task.starting', id: 'build', at: T, attempt: 1 },
      { type: 'task.started', id: 'build', at: T, attempt: 1, slot: 1 },
      { type: 'task.starting', id: 'review', at: T + 100, attempt: 1 },
      { type: 'task.started', id: 'review', at: T + 100, attempt: 1, slot: 2 },
      { type: 'task.finished', id: 'build', at: T + 1500, attempt: 1, outcome: 'succeeded', exitCode: 0 },
    ];
    writeFileSync(paths.events, `${events.map((e) => JSON.stringify(e)).join('\n')}\n{"type":"task.fin`);
    const { metrics, stored: read } = readRunMetrics(dir, pickRun(dir, '01crash'));
    expect(read.source).toBe('tasks.md');
    expect(metrics).toMatchObject({ runId: id, outcome: 'unfinished', wall: 1.5, work: 2.9, conflicts: null });
    expect(metrics.tasks.map((t) => [t.id, t.runner, t.state])).toEqual([
      ['build', 'shell', 'succeeded'],
      ['review', 'agent', 'running'],
    ]);
    expect(metrics.tasks[1]!.attempts).toEqual([{ attempt: 1, slot: 2, start: 0.1, end: 1.5, outcome: 'unfinished' }]);
    expect((await call(metricsCommand, dir, [])).out).toContain(`run ${id}: unfinished`);
  });
});
