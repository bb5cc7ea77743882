import { describe, expect, it } from 'vitest';
import { createPlan, seededRandom, simulate, type RunEvent } from '@guild/core';
import { computeMetrics } from './compute';
import { handRun } from './test-support';

describe('computeMetrics on a run worked out by hand (see handRun)', async () => {
  const run = await handRun();
  const m = computeMetrics({ events: run.events, plan: run.plan, conflicts: run.conflicts });
  const task = (id: string) => m.tasks.find((t) => t.id === id)!;

  it('times every attempt, with its slot, outcome and exit code', () => {
    expect(task('a').attempts).toEqual([{ attempt: 1, slot: 1, start: 0, end: 4, outcome: 'succeeded', exitCode: 0 }]);
    expect(task('b').attempts).toEqual([{ attempt: 1, slot: 1, start: 4, end: 6, outcome: 'succeeded', exitCode: 0 }]);
    expect(task('c').attempts).toEqual([
      { attempt: 1, slot: 2, start: 0, end: 3, outcome: 'failed', exitCode: 1 },
      { attempt: 2, slot: 2, start: 3.5, end: 6.5, outcome: 'succeeded', exitCode: 0 },
    ]);
    expect(task('e').attempts).toEqual([{ attempt: 1, slot: 3, start: 0, end: 1, outcome: 'failed', exitCode: 3 }]);
    expect(task('f').attempts).toEqual([]);
  });

  it('gives each task its ready, start, end, busy time, state and exit', () => {
    expect(task('c')).toMatchObject({ ready: 0, start: 0, end: 6.5, busy: 6, state: 'succeeded', exitCode: 0, runner: 'shell' });
    expect(task('b')).toMatchObject({ ready: 0, start: 4, end: 6, busy: 2, state: 'succeeded' });
    expect(task('e')).toMatchObject({ state: 'failed', exitCode: 3, busy: 1 });
    expect(task('f')).toMatchObject({ state: 'skipped', because: 'dependency e failed', busy: 0 });
    expect(task('f').ready).toBeUndefined();
    expect(task('a').title).toBe('Migrate the database');
  });

  it('measures the lock wait and names what held the task back', () => {
    expect(task('b').wait).toEqual({ lock: 4, agent: 0, queue: 0 });
    expect(task('b').waits).toEqual([{ from: 0, to: 4, kind: 'lock', on: ['resource:db (held by a)'] }]);
    expect(m.waits).toEqual({ lock: 4, agent: 0, queue: 0 });
    expect(m.conflictsPrevented).toEqual({
      count: 1,
      tasks: 1,
      holds: [{ task: 'b', at: 0, wait: 4, on: [{ kind: 'lock', key: 'resource:db', by: 'a' }] }],
    });
  });

  it('computes wall, work, speedup, efficiency and utilization', () => {
    expect(m).toMatchObject({ runId: 'simulation', outcome: 'failed', sessions: 1, slots: 4, boost: 4, lanes: 4 });
    expect(m.wall).toBe(6.5);
    expect(m.work).toBe(13); // 4 + 2 + (3 + 3) + 1
    expect(m.speedup).toBe(2);
    expect(m.efficiency).toBe(0.5);
    expect(m.utilization.slots).toEqual([
      { slot: 1, busy: 6, attempts: 2, utilization: 6 / 6.5 },
      { slot: 2, busy: 6, attempts: 2, utilization: 6 / 6.5 },
      { slot: 3, busy: 1, attempts: 1, utilization: 1 / 6.5 },
      { slot: 4, busy: 0, attempts: 0, utilization: 0 },
    ]);
    expect(m.utilization.agents).toEqual([{ agent: 'shell', busy: 13, attempts: 5, tasks: 4, utilization: 13 / 26 }]);
    // Core's own summary agrees on a single-session run.
    expect(m.wall).toBe(run.summary.wall);
    expect(m.work).toBe(run.summary.work);
  });

  it('gives the bounds from estimates and from measured durations', () => {
    expect(m.bounds.estimated).toEqual({
      work: 11,
      criticalPath: { length: 4, ids: ['a'] },
      busiestResource: { name: 'db', work: 6 },
      lowerBound: 6,
    });
    // Measured: c ran 6 s over two attempts; db's users ran 4 + 2; 13 s of work on 4 slots.
    expect(m.bounds.measured).toEqual({
      work: 13,
      criticalPath: { length: 6, ids: ['c'] },
      busiestResource: { name: 'db', work: 6 },
      lowerBound: 6,
    });
    expect(m.makespanRatio).toBe(6.5 / 6);
  });

  it('counts outcomes, attempts, retries, success and conflicts', () => {
    expect(m.counts).toEqual({ succeeded: 3, failed: 1, 'timed-out': 0, cancelled: 0, skipped: 1, unfinished: 0 });
    expect(m.attempts).toBe(5);
    expect(m.retries).toBe(1);
    expect(m.successRate).toBe(0.6);
    expect(m.conflicts).toEqual({ pairs: 1, possible: 10, rate: 0.1 });
    expect(m.events).toBe(run.events.length);
  });

  it('has no scheduler overhead on the virtual clock, where every start is immediate', () => {
    expect(m.overhead).toEqual({ dispatch: 0, idle: 0, finish: 0, total: 0, share: 0 });
  });

  it('has none either when retries wait a random back-off, at epoch times', async () => {
    const plan = createPlan(
      [
        { id: 'x', run: 'true', estimate: 1.3, retries: 3 },
        { id: 'y', run: 'true', estimate: 0.7, retries: 3 },
      ],
      { root: '/tmp/guild-metrics-test' },
    );
    const flaky = await simulate(plan, {
      concurrency: 2,
      recordEvents: true,
      random: seededRandom(3),
      outcomes: (_task, attempt) => (attempt < 3 ? { outcome: 'failed', exitCode: 1 } : { outcome: 'succeeded', exitCode: 0 }),
    });
    // At epoch times, as in a real run, a back-off's end must agree with the retry's start exactly.
    const T = Date.UTC(2025, 5, 2, 9, 30);
    const m = computeMetrics({ events: flaky.events.map((e) => ({ ...e, at: e.at + T })), plan });
    expect(m.retries).toBe(4);
    expect(m.overhead).toEqual({ dispatch: 0, idle: 0, finish: 0, total: 0, share: 0 });
  });

  it('leaves the conflict rate out without a conflict report', () => {
    expect(computeMetrics({ events: run.events, plan: run.plan }).conflicts).toBeNull();
  });
});

describe('computeMetrics on hand-written logs', () => {
  const plan = createPlan(
    [
      { id: 'x', run: 'true', estimate: 1 },
      { id: 'y', run: 'true', estimate: 1 },
      { id: 'z', run: 'true', estimate: 1, priority: 0 },
    ],
    { root: '/tmp/guild-metrics-test' },
  );
  const T = 1_700_000_000_000;

  it('counts the time eligible tasks waited while a slot was free as scheduler overhead', () => {
    // One slot. x is ready at 0 but starts only at 0.5: the slot was free, so 0.5 s is overhead.
    // y is ready at 0 and waits for x's slot: queue time, not overhead, until x ends at 2.5; it
    // starts at 3, so 0.5 s more is overhead. The driver finishes 0.25 s after y ends at 4.
    const events: RunEvent[] = [
      { type: 'run.started', runId: 'R', at: T, tasks: 2, slots: 1, boost: 1 },
      { type: 'task.ready', id: 'x', at: T },
      { type: 'task.ready', id: 'y', at: T },
      { type: 'task.starting', id: 'x', at: T + 500, attempt: 1 },
      { type: 'task.started', id: 'x', at: T + 500, attempt: 1, slot: 1 },
      { type: 'task.finished', id: 'x', at: T + 2500, attempt: 1, outcome: 'succeeded', exitCode: 0 },
      { type: 'task.starting', id: 'y', at: T + 3000, attempt: 1 },
      { type: 'task.started', id: 'y', at: T + 3000, attempt: 1, slot: 1 },
      { type: 'task.finished', id: 'y', at: T + 4000, attempt: 1, outcome: 'succeeded', exitCode: 0 },
      { type: 'run.finished', at: T + 4250, outcome: 'succeeded' },
    ];
    const m = computeMetrics({ events, plan });
    expect(m.startedAt).toBe(T);
    expect(m.wall).toBe(4.25);
    expect(m.overhead.dispatch).toBe(1);
    expect(m.overhead.idle).toBe(1);
    expect(m.overhead.finish).toBe(0.25);
    expect(m.overhead.total).toBe(1.25);
    expect(m.overhead.share).toBe(1.25 / 4.25);
    expect(m.tasks.map((t) => t.wait.queue)).toEqual([0.5, 3, 0]);
  });

  it('lets priority-0 tasks use the boost slots, and stops counting while paused', () => {
    // Slots 1, boost 2. x runs 0..2 on slot 1. z (priority 0) is ready at 0 and could take the
    // boost slot at once, but starts at 1: 1 s overhead. y (priority 2) waits for the plain slot.
    // The run is paused from 2 to 3, so y's wait then is not overhead; y starts at 3.5: 0.5 s.
    const events: RunEvent[] = [
      { type: 'run.started', runId: 'R', at: T, tasks: 3, slots: 1, boost: 2 },
      { type: 'task.ready', id: 'x', at: T },
      { type: 'task.ready', id: 'y', at: T },
      { type: 'task.ready', id: 'z', at: T },
      { type: 'task.starting', id: 'x', at: T, attempt: 1 },
      { type: 'task.started', id: 'x', at: T, attempt: 1, slot: 1 },
      { type: 'task.starting', id: 'z', at: T + 1000, attempt: 1 },
      { type: 'task.started', id: 'z', at: T + 1000, attempt: 1, slot: 2 },
      { type: 'task.finished', id: 'x', at: T + 2000, attempt: 1, outcome: 'succeeded' },
      { type: 'run.control', at: T + 2000, action: 'pause' },
      { type: 'task.finished', id: 'z', at: T + 2500, attempt: 1, outcome: 'succeeded' },
      { type: 'run.control', at: T + 3000, action: 'resume' },
      { type: 'task.starting', id: 'y', at: T + 3500, attempt: 1 },
      { type: 'task.started', id: 'y', at: T + 3500, attempt: 1, slot: 1 },
      { type: 'task.finished', id: 'y', at: T + 4000, attempt: 1, outcome: 'succeeded' },
      { type: 'run.finished', at: T + 4000, outcome: 'succeeded' },
    ];
    const m = computeMetrics({ events, plan });
    expect(m.overhead.dispatch).toBe(1.5);
    expect(m.overhead.idle).toBe(1.5);
    expect(m.lanes).toBe(2);
    expect(m.utilization.slots.map((s) => s.busy)).toEqual([2.5, 1.5]);
  });

  it('ends a lock wait when the holder finishes, counting the rest as queue time', () => {
    // Two slots: x holds a lock 0..2 while y, blocked by it, waits; no slot is free for y until
    // z ends at 3 (nothing is logged when x lets go), so y waits 2 s on the lock and 1 s in the
    // queue.
    const events: RunEvent[] = [
      { type: 'run.started', runId: 'R', at: T, tasks: 3, slots: 2, boost: 2 },
      { type: 'task.ready', id: 'x', at: T },
      { type: 'task.ready', id: 'z', at: T },
      { type: 'task.ready', id: 'y', at: T },
      { type: 'task.starting', id: 'x', at: T, attempt: 1 },
      { type: 'task.started', id: 'x', at: T, attempt: 1, slot: 1 },
      { type: 'task.starting', id: 'z', at: T, attempt: 1 },
      { type: 'task.started', id: 'z', at: T, attempt: 1, slot: 2 },
      { type: 'task.waiting', id: 'y', at: T, on: [{ kind: 'lock', key: 'src/a.ts', heldBy: 'x' }] },
      { type: 'task.finished', id: 'x', at: T + 2000, attempt: 1, outcome: 'succeeded' },
      { type: 'task.finished', id: 'z', at: T + 3000, attempt: 1, outcome: 'succeeded' },
      { type: 'task.starting', id: 'y', at: T + 3000, attempt: 1 },
      { type: 'task.started', id: 'y', at: T + 3000, attempt: 1, slot: 2 },
      { type: 'task.finished', id: 'y', at: T + 4000, attempt: 1, outcome: 'succeeded' },
      { type: 'run.finished', at: T + 4000, outcome: 'succeeded' },
    ];
    const m = computeMetrics({ events, plan });
    const y = m.tasks.find((t) => t.id === 'y')!;
    expect(y.wait).toEqual({ lock: 2, agent: 0, queue: 1 });
    expect(y.waits).toEqual([{ from: 0, to: 2, kind: 'lock', on: ['src/a.ts (held by x)'] }]);
    expect(m.conflictsPrevented.holds).toEqual([{ task: 'y', at: 0, wait: 2, on: [{ kind: 'lock', key: 'src/a.ts', by: 'x' }] }]);
  });

  it('joins the sessions of a crashed and resumed run, ending the lost attempt there', () => {
    // Session 1: x runs from 0, y succeeds 0..1; the driver dies after its last event at 2 s.
    // An hour later session 2 runs x again (attempt 2) for 3 s. Run time leaves out the hour.
    const later = T + 3_600_000;
    const events: RunEvent[] = [
      { type: 'run.started', runId: 'R', at: T, tasks: 2, slots: 2, boost: 2 },
      { type: 'task.ready', id: 'x', at: T },
      { type: 'task.ready', id: 'y', at: T },
      { type: 'task.starting', id: 'x', at: T, attempt: 1 },
      { type: 'task.started', id: 'x', at: T, attempt: 1, slot: 1 },
      { type: 'task.starting', id: 'y', at: T, attempt: 1 },
      { type: 'task.started', id: 'y', at: T, attempt: 1, slot: 2 },
      { type: 'task.finished', id: 'y', at: T + 1000, attempt: 1, outcome: 'succeeded', exitCode: 0 },
      { type: 'task.progress', id: 'x', at: T + 2000, message: 'half way' },
      { type: 'run.started', runId: 'R', at: later, tasks: 2, slots: 2, boost: 2 },
      { type: 'task.ready', id: 'x', at: later },
      { type: 'task.starting', id: 'x', at: later, attempt: 2 },
      { type: 'task.started', id: 'x', at: later, attempt: 2, slot: 1 },
      // Odd lines a damaged log may hold: an unknown task, an end without a start.
      { type: 'task.finished', id: 'nope', at: later + 10, attempt: 1, outcome: 'failed' },
      { type: 'task.finished', id: 'z', at: later + 10, attempt: 1, outcome: 'failed' },
      { type: 'task.finished', id: 'x', at: later + 3000, attempt: 2, outcome: 'succeeded', exitCode: 0 },
      { type: 'run.finished', at: later + 3000, outcome: 'failed' },
    ];
    const m = computeMetrics({ events, plan });
    expect(m.sessions).toBe(2);
    expect(m.wall).toBe(5);
    expect(m.tasks.find((t) => t.id === 'x')!.attempts).toEqual([
      { attempt: 1, slot: 1, start: 0, end: 2, outcome: 'unfinished' },
      { attempt: 2, slot: 1, start: 2, end: 5, outcome: 'succeeded', exitCode: 0 },
    ]);
    expect(m.work).toBe(6);
    expect(m.tasks.find((t) => t.id === 'z')!.attempts).toEqual([]);
    expect(m.counts).toMatchObject({ succeeded: 2, failed: 1 });
  });

  it('reports a run that is still going (or whose driver died) as unfinished', () => {
    const events: RunEvent[] = [
      { type: 'run.started', runId: 'R', at: T, tasks: 3, slots: 2, boost: 2 },
      { type: 'task.ready', id: 'x', at: T },
      { type: 'task.starting', id: 'x', at: T + 250, attempt: 1 },
    ];
    const m = computeMetrics({ events, plan });
    expect(m.outcome).toBe('unfinished');
    expect(m.tasks[0]!.attempts).toEqual([{ attempt: 1, start: 0.25, end: 0.25, outcome: 'unfinished' }]);
    expect(m.counts.unfinished).toBe(3);
    expect(m.overhead.finish).toBe(0);
  });

  it('copes with an empty log', () => {
    const m = computeMetrics({ events: [], plan });
    expect(m).toMatchObject({ wall: 0, work: 0, speedup: 0, efficiency: 0, makespanRatio: null, sessions: 0, runId: '' });
    expect(m.tasks).toHaveLength(3);
  });
});
