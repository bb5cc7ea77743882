import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { createPlan } from './plan.js';
import { isAlive } from './proc.js';
import { runPlan } from './run.js';
import type { RunEvent, TaskSpec } from './types.js';

async function tmp(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'guild-run-'));
}

/** Gone: no process, or a zombie nobody reaped (pid 1 here may never reap orphans). */
const gone = (pid: number): boolean => !isAlive(pid);

async function waitFor(check: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

async function run(dir: string, specs: TaskSpec[], extra: Parameters<typeof runPlan>[1] = { concurrency: 4 }) {
  const events: RunEvent[] = [];
  const plan = createPlan(specs, { root: dir });
  const outcome = await runPlan(plan, { ...extra, listeners: [(e) => events.push(e)] });
  return { ...outcome, events };
}

describe('the shell runner, for real', () => {
  test('exit codes, output in the log file, env and working directory', async () => {
    const dir = await tmp();
    await writeFile(path.join(dir, 'marker'), '');
    const { summary, runDir } = await run(dir, [
      { id: 'ok', run: 'echo "hello from $GUILD_TASK_ID in $(pwd)"; echo oops >&2' },
      { id: 'bad', run: 'exit 7' },
      { id: 'env', run: 'test "$GREETING" = hi && test "$GUILD_RUN_ID" != ""', env: { GREETING: 'hi' } },
    ]);
    const byId = new Map(summary.tasks.map((t) => [t.id, t]));
    expect(byId.get('ok')).toMatchObject({ state: 'succeeded', exitCode: 0 });
    expect(byId.get('bad')).toMatchObject({ state: 'failed', exitCode: 7 });
    expect(byId.get('env')).toMatchObject({ state: 'succeeded' });
    const log = await readFile(path.join(runDir, 'logs', 'ok.log'), 'utf8');
    expect(log).toMatch(/^--- guild: attempt 1 at .*: echo/);
    expect(log).toContain(`hello from ok in ${dir}`);
    expect(log).toContain('oops');
    expect(runDir.startsWith(path.join(dir, '.guild', 'runs'))).toBe(true);
  });

  test('a missing working directory fails the task with a clear reason', async () => {
    const dir = await tmp();
    const { summary, events } = await run(dir, [{ id: 'x', run: 'true', cwd: 'nope' }]);
    expect(summary.tasks[0]!.state).toBe('failed');
    const finished = events.find((e) => e.type === 'task.finished');
    expect(finished).toMatchObject({ error: `could not start: its working directory ${path.join(dir, 'nope')} does not exist` });
  });

  test('a timeout kills the task and the grandchild it left in the background', async () => {
    const dir = await tmp();
    const { summary, events } = await run(
      dir,
      [{ id: 'hang', run: 'sleep 30 & echo $! > bg.pid; echo $$ > sh.pid; sleep 30', timeout: 0.5 }],
      { concurrency: 1, killGrace: 0.5 },
    );
    expect(summary.tasks[0]).toMatchObject({ state: 'timed-out' });
    const bg = Number(await readFile(path.join(dir, 'bg.pid'), 'utf8'));
    const sh = Number(await readFile(path.join(dir, 'sh.pid'), 'utf8'));
    expect(await waitFor(() => gone(bg) && gone(sh))).toBe(true);
    const started = events.find((e) => e.type === 'task.started');
    expect(started).toMatchObject({ pid: sh });
  });

  test('a task that ignores SIGTERM is killed after the grace period', async () => {
    const dir = await tmp();
    const t0 = Date.now();
    const { summary } = await run(dir, [{ id: 'stubborn', run: "trap '' TERM; echo $$ > sh.pid; sleep 30", timeout: 0.3 }], {
      concurrency: 1,
      killGrace: 0.4,
    });
    expect(summary.tasks[0]!.state).toBe('timed-out');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(650);
    const sh = Number(await readFile(path.join(dir, 'sh.pid'), 'utf8'));
    expect(await waitFor(() => gone(sh))).toBe(true);
  });

  test('abort stops running tasks (cancelled) and skips the rest', async () => {
    const dir = await tmp();
    const plan = createPlan(
      [
        { id: 'long', run: 'echo $$ > long.pid; sleep 30' },
        { id: 'next', run: 'touch next-ran', dependsOn: ['long'] },
      ],
      { root: dir },
    );
    const outcome = await runPlan(plan, {
      concurrency: 2,
      killGrace: 1,
      onStart: ({ scheduler }) => {
        setTimeout(() => scheduler.abort('graceful'), 300);
      },
    });
    expect(outcome.summary.outcome).toBe('aborted');
    const byId = new Map(outcome.summary.tasks.map((t) => [t.id, t]));
    expect(byId.get('long')!.state).toBe('cancelled');
    expect(byId.get('next')).toMatchObject({ state: 'skipped', because: 'the run was aborted' });
    expect(existsSync(path.join(dir, 'next-ran'))).toBe(false);
    const pid = Number(await readFile(path.join(dir, 'long.pid'), 'utf8'));
    expect(await waitFor(() => gone(pid))).toBe(true);
  });

  test('retries run the command again and each attempt has its own log section', async () => {
    const dir = await tmp();
    const { summary, runDir } = await run(
      dir,
      [{ id: 'flaky', run: 'n=$(cat n 2>/dev/null || echo 0); echo $((n+1)) > n; echo try $((n+1)); test $n -ge 2', retries: 3 }],
      { concurrency: 1, retry: { base: 0.05 } },
    );
    expect(summary.tasks[0]).toMatchObject({ state: 'succeeded', attempts: 3 });
    const log = await readFile(path.join(runDir, 'logs', 'flaky.log'), 'utf8');
    expect(log.match(/^--- guild: attempt \d/gm)).toEqual(['--- guild: attempt 1', '--- guild: attempt 2', '--- guild: attempt 3']);
    expect(log).toContain('try 3');
  });
});
