import { describe, expect, test } from 'vitest';
import { accessFor } from './access.js';
import { VirtualClock } from './clock.js';
import { EventBus } from './events.js';
import { applyEvent, countStates, initialRunState, runStateJson, type RunState } from './run-state.js';
import { Scheduler } from './scheduler.js';
import { simulatedRunner } from './sim-runner.js';
import { seededRandom, simulate } from './simulate.js';
import { planOf, randomPlan } from './test-plans.js';
import type { Plan, RunEvent, RunResult, Task, TaskState } from './types.js';

const replay = (ids: string[], events: readonly RunEvent[], runId = 'r1'): RunState => {
  const state = initialRunState(runId, ids);
  for (const e of events) applyEvent(state, e);
  return state;
};

describe('applyEvent', () => {
  test('a fresh state has every task pending, in plan order, and the run running', () => {
    const s = initialRunState('r1', ['b', 'a', 'c']);
    expect(runStateJson(s)).toEqual({
      runId: 'r1',
      state: 'running',
      sessions: 0,
      paused: false,
      serialized: false,
      tasks: [
        { id: 'b', state: 'pending', attempts: 0 },
        { id: 'a', state: 'pending', attempts: 0 },
        { id: 'c', state: 'pending', attempts: 0 },
      ],
    });
  });

  test('a task through a failed attempt, a retry and a success: each start clears the last end', () => {
    const s = initialRunState('r1', ['t']);
    const t = () => s.tasks.get('t')!;
    applyEvent(s, { type: 'run.started', runId: 'r1', at: 100, tasks: 1, slots: 2, boost: 2 });
    expect(s).toMatchObject({ state: 'running', sessions: 1, startedAt: 100 });
    applyEvent(s, { type: 'task.ready', id: 't', at: 101 });
    expect(t().state).toBe('ready');
    applyEvent(s, { type: 'task.started', id: 't', at: 102, attempt: 1, slot: 2, pid: 4242, procStart: 99 });
    expect(t()).toMatchObject({ state: 'running', attempts: 1, slot: 2, startedAt: 102, pid: 4242, procStart: 99 });
    applyEvent(s, { type: 'task.finished', id: 't', at: 110, attempt: 1, outcome: 'failed', exitCode: 3, error: 'boom' });
    expect(t()).toMatchObject({ state: 'failed', endedAt: 110, exitCode: 3, error: 'boom', pid: undefined, procStart: undefined });
    applyEvent(s, { type: 'task.retrying', id: 't', at: 110, attempt: 2, delay: 0.5 });
    expect(t()).toMatchObject({ state: 'retrying', attempts: 1 });
    applyEvent(s, { type: 'task.started', id: 't', at: 700, attempt: 2, slot: 1, pid: 4343 });
    expect(t()).toMatchObject({ state: 'running', attempts: 2, startedAt: 700, endedAt: undefined, exitCode: undefined, error: undefined });
    expect(t().procStart).toBeUndefined();
    applyEvent(s, { type: 'task.finished', id: 't', at: 750, attempt: 2, outcome: 'succeeded', exitCode: 0 });
    expect(t()).toMatchObject({ state: 'succeeded', attempts: 2, exitCode: 0, endedAt: 750, pid: undefined });
    applyEvent(s, { type: 'run.finished', at: 751, outcome: 'succeeded' });
    expect(s).toMatchObject({ state: 'succeeded', endedAt: 751 });
  });

  test('a resumed run: run.started again counts a session, keeps the first start, reopens the run and unpauses it', () => {
    const s = initialRunState('r1', ['t']);
    applyEvent(s, { type: 'run.started', runId: 'r1', at: 100, tasks: 1, slots: 1, boost: 1 });
    applyEvent(s, { type: 'run.control', at: 150, action: 'pause' });
    expect(s.paused).toBe(true);
    applyEvent(s, { type: 'run.control', at: 160, action: 'abort' });
    applyEvent(s, { type: 'run.finished', at: 200, outcome: 'aborted' });
    expect(s).toMatchObject({ state: 'aborted', endedAt: 200 });
    applyEvent(s, { type: 'run.started', runId: 'r1', at: 900, tasks: 1, slots: 1, boost: 1 });
    expect(s).toMatchObject({ state: 'running', sessions: 2, startedAt: 100, endedAt: undefined, paused: false });
  });

  test('control actions: pause and resume toggle, serialize sticks', () => {
    const s = initialRunState('r1', ['t']);
    applyEvent(s, { type: 'run.control', at: 1, action: 'serialize' });
    applyEvent(s, { type: 'run.control', at: 2, action: 'pause' });
    expect(s).toMatchObject({ paused: true, serialized: true });
    applyEvent(s, { type: 'run.control', at: 3, action: 'resume' });
    expect(s).toMatchObject({ paused: false, serialized: true });
  });

  test('waiting, skipped (with the reason) and progress; events about unknown tasks change nothing', () => {
    const s = initialRunState('r1', ['a', 'b']);
    applyEvent(s, { type: 'task.waiting', id: 'a', at: 1, on: [{ kind: 'slot' }] });
    applyEvent(s, { type: 'task.skipped', id: 'b', at: 2, because: 'dependency x failed' });
    applyEvent(s, { type: 'task.progress', id: 'a', at: 3, message: 'half', fraction: 0.5 });
    expect(s.tasks.get('a')!.state).toBe('waiting');
    expect(s.tasks.get('b')).toMatchObject({ state: 'skipped', because: 'dependency x failed' });
    const before = JSON.stringify(runStateJson(s));
    for (const e of [
      { type: 'task.ready', id: 'ghost', at: 4 },
      { type: 'task.started', id: 'ghost', at: 4, attempt: 1, slot: 1 },
      { type: 'task.finished', id: 'ghost', at: 5, attempt: 1, outcome: 'failed' },
      { type: 'task.retrying', id: 'ghost', at: 5, attempt: 2, delay: 1 },
      { type: 'task.skipped', id: 'ghost', at: 6, because: 'x' },
    ] satisfies RunEvent[]) {
      applyEvent(s, e);
    }
    expect(JSON.stringify(runStateJson(s))).toBe(before);
    expect(s.tasks.has('ghost')).toBe(false);
  });

  test('countStates counts every state, zeros included', () => {
    const s = initialRunState('r1', ['a', 'b', 'c', 'd']);
    applyEvent(s, { type: 'task.started', id: 'a', at: 1, attempt: 1, slot: 1 });
    applyEvent(s, { type: 'task.finished', id: 'b', at: 1, attempt: 1, outcome: 'timed-out' });
    applyEvent(s, { type: 'task.skipped', id: 'c', at: 1, because: 'x' });
    expect(countStates(s)).toEqual({
      pending: 1,
      ready: 0,
      waiting: 0,
      running: 1,
      retrying: 0,
      succeeded: 0,
      failed: 0,
      'timed-out': 1,
      cancelled: 0,
      skipped: 1,
    });
  });
});

/** Fails some tasks for good and some only on their first attempts, by id. */
function outcomesFor(seed: number): (task: Task, attempt: number) => RunResult {
  return (task, attempt) => {
    const n = Number(task.id.slice(1)) * 7 + seed;
    if (n % 11 === 0) return { outcome: 'failed', exitCode: 2 };
    if (n % 5 === 0 && attempt <= 1 + (n % 2)) return { outcome: 'failed', exitCode: 1 };
    return { outcome: 'succeeded', exitCode: 0 };
  };
}

/** A random plan whose tasks have retries. */
function retryingPlan(seed: number): Plan {
  const base = randomPlan(seed, { tasks: 40 });
  return planOf([...base.tasks.values()].map((t) => ({ ...t.spec, retries: 1 + (seed % 2) })));
}

describe('replaying a run\'s events', () => {
  test.each([1, 2, 3, 4, 5, 6])('gives the end state the scheduler reported (random plan, seed %i)', async (seed) => {
    const plan = retryingPlan(seed);
    const { summary, events } = await simulate(plan, { concurrency: 3, recordEvents: true, outcomes: outcomesFor(seed) });
    const state = replay([...plan.tasks.keys()], events, 'simulation');
    expect(state.state).toBe(summary.outcome);
    expect(state.sessions).toBe(1);
    for (const rec of summary.tasks) {
      const t = state.tasks.get(rec.id)!;
      expect({ id: t.id, state: t.state, attempts: t.attempts, exitCode: t.exitCode, because: t.because }).toEqual({
        id: rec.id,
        state: rec.state,
        attempts: rec.attempts,
        exitCode: rec.exitCode,
        because: rec.because,
      });
    }
    // The plan exercised what it should: failures, retries and skips.
    const counts = countStates(state);
    expect(counts.failed).toBeGreaterThan(0);
    expect(events.some((e) => e.type === 'task.retrying')).toBe(true);
  });
});

/**
 * Runs the scheduler on a virtual clock; `initial` resumes from a replayed state. Returns the
 * events of this session.
 */
async function session(plan: Plan, outcomes: (task: Task, attempt: number) => RunResult, initial?: RunState) {
  const clock = new VirtualClock();
  const bus = new EventBus();
  const events: RunEvent[] = [];
  bus.on((e) => events.push(e));
  const scheduler = new Scheduler({
    plan,
    runId: 'r1',
    clock,
    bus,
    access: accessFor([]),
    runners: new Map([['shell', simulatedRunner('shell', outcomes)]]),
    concurrency: 3,
    boost: 3,
    logDir: '/dev/null',
    env: {},
    random: seededRandom(7),
    initial: initial
      ? new Map([...initial.tasks.values()].map((t) => [t.id, { state: t.state, attempts: t.attempts, because: t.because }]))
      : undefined,
  });
  const summary = await clock.runUntil(scheduler.run());
  return { summary, events };
}

describe('resuming from a replayed log cut at any point', () => {
  test.each([11, 12, 13])('ends like an uninterrupted run, and never starts a task the log says succeeded (seed %i)', async (seed) => {
    const plan = retryingPlan(seed);
    const ids = [...plan.tasks.keys()];
    // Outcomes depend on the task only (a task running at the cut starts a new attempt, whose
    // result must not depend on its number), so every task ends as in an uninterrupted run.
    const byAttempt = outcomesFor(seed);
    const outcomes = (task: Task) => byAttempt(task, 99);
    const whole = await session(plan, outcomes);
    const finalOf = new Map<string, TaskState>(whole.summary.tasks.map((t) => [t.id, t.state]));
    const rnd = seededRandom(seed);
    for (let i = 0; i < 12; i++) {
      const cut = 1 + Math.floor(rnd() * (whole.events.length - 2));
      const before = replay(ids, whole.events.slice(0, cut));
      const succeeded = new Set([...before.tasks.values()].filter((t) => t.state === 'succeeded').map((t) => t.id));
      const after = await session(plan, outcomes, before);
      const restarted = after.events.filter((e) => e.type === 'task.started' && succeeded.has(e.id));
      expect(restarted, `cut at event ${cut}`).toEqual([]);
      const state = replay(ids, [...whole.events.slice(0, cut), ...after.events]);
      expect(state.sessions).toBe(2);
      for (const id of ids) expect(state.tasks.get(id)!.state, `${id}, cut at event ${cut}`).toBe(finalOf.get(id));
      // Attempt numbers go on from where the log left off.
      for (const e of after.events) {
        if (e.type === 'task.started') expect(e.attempt, e.id).toBeGreaterThan(before.tasks.get(e.id)!.attempts);
      }
    }
  });
});
