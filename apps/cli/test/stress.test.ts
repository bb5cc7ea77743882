/**
 * Stress, end to end: 1,000 real shell tasks in a random DAG at -j 8, about 10% of them failing
 * their first attempt(s) and passing on a retry, a few failing for good; the driver is killed
 * with SIGKILL in the middle and the run resumed. Afterwards every task is accounted for, no
 * task ran again after its success was recorded, and the state guild keeps (state.json, status,
 * summary.json) equals a replay of the event log.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  applyEvent,
  initialRunState,
  readEventLog,
  readStoredPlan,
  replayRun,
  runPaths,
  runStateJson,
  seededRandom,
  type RunSummary,
  type TaskState,
} from '@guild/core';
import { removeTestdirs, shellQuote, testdir, waitFor, writeFiles } from '@guild/test-utils';
import { at, guild, killTagged, linesOf, runIdFrom, show, startTagged, statusJson } from './durable-support.js';

afterAll(async () => {
  killTagged();
  await removeTestdirs();
});

const N = 1000;

interface Generated {
  tasks: Array<{ id: string; run: string; dependsOn: string[]; retries: number }>;
  /** Tasks that fail their first `k` attempts. */
  flaky: Map<string, number>;
  /** Tasks that never pass. */
  doomed: Set<string>;
}

/** A random DAG of quick tasks; each appends "<id> <attempt>" to `done` when it succeeds. */
function generate(seed: number, done: string): Generated {
  const rnd = seededRandom(seed);
  const ids = Array.from({ length: N }, (_, i) => `t${String(i).padStart(4, '0')}`);
  const flaky = new Map<string, number>();
  const doomed = new Set<string>();
  while (doomed.size < 5) doomed.add(ids[50 + Math.floor(rnd() * (N - 100))]!);
  const tasks = ids.map((id, i) => {
    const deps = new Set<string>();
    if (i > 0 && rnd() < 0.6) {
      const k = 1 + Math.floor(rnd() * 2);
      for (let j = 0; j < k; j++) deps.add(ids[Math.max(0, i - 1 - Math.floor(rnd() * 40))]!);
    }
    let run = '';
    if (doomed.has(id)) run = 'exit 3';
    else {
      if (rnd() < 0.1) {
        const k = rnd() < 0.7 ? 1 : 2;
        flaky.set(id, k);
        run += `[ "$GUILD_ATTEMPT" -gt ${k} ] || exit 1; `;
      }
      // A few slower tasks, so there is more than one running when the driver dies.
      if (rnd() < 0.05) run += 'sleep 0.2; ';
      run += `echo "$GUILD_TASK_ID $GUILD_ATTEMPT" >> ${shellQuote(done)}`;
    }
    return { id, run, dependsOn: [...deps], retries: 2 };
  });
  return { tasks, flaky, doomed };
}

/** Every task downstream of `roots`. */
function downstream(tasks: Generated['tasks'], roots: Iterable<string>): Set<string> {
  const next = new Map<string, string[]>();
  for (const t of tasks) for (const d of t.dependsOn) next.set(d, [...(next.get(d) ?? []), t.id]);
  const out = new Set<string>();
  const stack = [...roots];
  while (stack.length > 0) {
    for (const n of next.get(stack.pop()!) ?? []) {
      if (!out.has(n)) {
        out.add(n);
        stack.push(n);
      }
    }
  }
  return out;
}

describe('stress', () => {
  it(`${N} tasks at -j 8 with retries, a driver crash and a resume: every task accounted for, the state equals a replay of the log`, { timeout: 90_000 }, async () => {
    const dir = await testdir();
    const done = at(dir, 'done.txt');
    const plan = generate(20261124, done);
    await writeFiles(dir, { 'plan.json': JSON.stringify({ version: 1, tasks: plan.tasks }) });

    const driver = startTagged(['run', 'plan.json', '-j', '8'], dir, 60_000);
    const runId = runIdFrom(await driver.waitForLine(/^guild run /));
    await waitFor('about 40% of the tasks to succeed', () => linesOf(done).length >= 0.4 * N, { timeoutMs: 40_000, intervalMs: 50 });
    driver.child.kill('SIGKILL');
    expect((await driver.result).signal).toBe('SIGKILL');
    const linesAtCrash = linesOf(done).length;
    expect(linesAtCrash).toBeLessThan(N - 100);

    const paths = runPaths(dir, runId);
    const stored = readStoredPlan(paths);
    // What the log said when the driver died.
    const atCrash = replayRun(paths, stored);
    const runningAtCrash = new Set([...atCrash.tasks.values()].filter((t) => t.state === 'running').map((t) => t.id));
    const succeededAtCrash = new Set([...atCrash.tasks.values()].filter((t) => t.state === 'succeeded').map((t) => t.id));
    expect(runningAtCrash.size, 'some tasks should have been running when the driver died').toBeGreaterThan(0);
    expect((await statusJson(dir, runId)).state).toBe('crashed');

    const resumed = await guild(['run', '--resume', runId, '-j', '8'], dir, 60_000);
    expect(resumed.code, show(resumed).slice(-3000)).toBe(1);

    // Every task is accounted for, with the end its plan gave it.
    const skipped = downstream(plan.tasks, plan.doomed);
    const view = await statusJson(dir, runId);
    expect(view).toMatchObject({ state: 'failed', sessions: 2, tornLog: false });
    expect(view.tasks).toHaveLength(N);
    const expected = (id: string): TaskState => (plan.doomed.has(id) ? 'failed' : skipped.has(id) ? 'skipped' : 'succeeded');
    const wrong = view.tasks.filter((t) => t.state !== expected(t.id)).map((t) => `${t.id}: ${t.state}, expected ${expected(t.id)}`);
    expect(wrong).toEqual([]);
    for (const t of view.tasks) {
      if (plan.doomed.has(t.id)) expect(t, t.id).toMatchObject({ attempts: 3, exitCode: 3 });
      if (t.state === 'skipped') expect(t.because, t.id).toMatch(/^dependency /);
      const k = plan.flaky.get(t.id);
      if (k !== undefined && t.state === 'succeeded') expect(t.attempts, t.id).toBeGreaterThan(k);
    }

    // From the tasks' side: each succeeded task appended itself once, except one interrupted
    // by the crash after appending (it ran again, as a later attempt); a success the log had
    // recorded is never followed by another run.
    //
    // No task may run without the log knowing ("ghost"): task.starting is written before the
    // launch, so a SIGKILL landing inside it still leaves the task on record as running.
    const ghosts: string[] = [];
    const runs = new Map<string, number[]>();
    for (const line of linesOf(done)) {
      const [id, attempt] = line.split(' ');
      runs.set(id!, [...(runs.get(id!) ?? []), Number(attempt)]);
    }
    for (const t of view.tasks) {
      const mine = runs.get(t.id) ?? [];
      if (t.state !== 'succeeded') {
        expect(mine, `${t.id} is ${t.state} but appended a success`).toEqual([]);
        continue;
      }
      if (succeededAtCrash.has(t.id)) expect(mine, `${t.id} ran again after its success was logged`).toHaveLength(1);
      else if (!runningAtCrash.has(t.id)) {
        if (mine.length === 2) ghosts.push(`${t.id} (attempts ${mine.join(', ')})`);
        else expect(mine, `${t.id} ran ${mine.length}x`).toHaveLength(1);
      } else {
        expect(mine.length, t.id).toBeGreaterThanOrEqual(1);
        expect(mine.length, t.id).toBeLessThanOrEqual(2);
        if (mine.length === 2) expect(mine[1]!, t.id).toBeGreaterThan(mine[0]!);
      }
      expect(mine.at(-1), `${t.id}: the attempt that succeeded last is the one status shows`).toBe(t.attempts);
    }
    expect(ghosts, 'tasks that ran twice without the log knowing').toEqual([]);

    // state.json is the live state; it must equal a replay of the whole log.
    const { events, torn } = readEventLog(paths.events);
    expect(torn).toBe(false);
    const replayed = initialRunState(runId, stored.specs.map((s) => s.id));
    for (const e of events) applyEvent(replayed, e);
    const snapshot = JSON.parse(readFileSync(paths.state, 'utf8')) as unknown;
    expect(snapshot).toEqual(JSON.parse(JSON.stringify(runStateJson(replayed))));

    // Attempts are numbered 1, 2, 3 ... across both drivers; dependencies ran first.
    const attempts = new Map<string, number[]>();
    const started = new Map<string, number>();
    const succeededAt = new Map<string, number>();
    for (const e of events) {
      // Every launch is logged as task.starting first (task.started may be lost to the crash).
      if (e.type === 'task.starting') attempts.set(e.id, [...(attempts.get(e.id) ?? []), e.attempt]);
      if (e.type === 'task.started' && !started.has(e.id)) started.set(e.id, e.at);
      if (e.type === 'task.finished' && e.outcome === 'succeeded') succeededAt.set(e.id, e.at);
    }
    for (const [id, list] of attempts) expect(list, id).toEqual(list.map((_, i) => i + 1));
    for (const t of plan.tasks) {
      if (!started.has(t.id)) continue;
      for (const d of t.dependsOn) expect(started.get(t.id)!, `${t.id} started before ${d} succeeded`).toBeGreaterThanOrEqual(succeededAt.get(d)!);
    }

    const summary = JSON.parse(readFileSync(paths.summary, 'utf8')) as RunSummary;
    expect(summary.outcome).toBe('failed');
    expect(summary.counts).toEqual({ succeeded: N - 5 - skipped.size, failed: 5, 'timed-out': 0, cancelled: 0, skipped: skipped.size, dropped: 0 });
  });
});
