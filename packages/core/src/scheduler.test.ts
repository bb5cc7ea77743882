import { describe, expect, test } from 'vitest';
import { ResourceLocks } from './access.js';
import { planBounds, simulate } from './simulate.js';
import { planOf, randomPlan } from './test-plans.js';
import type { Plan, RunEvent } from './types.js';

type Interval = { start: number; end: number; slot: number; attempt: number };

function intervals(events: RunEvent[]): Map<string, Interval[]> {
  const out = new Map<string, Interval[]>();
  const open = new Map<string, Interval>();
  for (const e of events) {
    if (e.type === 'task.started') open.set(e.id, { start: e.at, end: NaN, slot: e.slot, attempt: e.attempt });
    if (e.type === 'task.finished') {
      const iv = open.get(e.id)!;
      iv.end = e.at;
      open.delete(e.id);
      out.set(e.id, [...(out.get(e.id) ?? []), iv]);
    }
  }
  expect(open.size).toBe(0);
  return out;
}

function exclusiveConflict(plan: Plan, a: string, b: string): boolean {
  const ra = plan.tasks.get(a)!.access.filter((x) => x.kind === 'resource');
  const rb = plan.tasks.get(b)!.access.filter((x) => x.kind === 'resource');
  return ra.some((x) => rb.some((y) => x.kind === 'resource' && y.kind === 'resource' && x.name === y.name && !(x.shared && y.shared)));
}

describe('scheduler invariants on random plans (virtual clock)', () => {
  const seeds = Array.from({ length: 120 }, (_, i) => i + 1);
  test.each(seeds)('seed %i', async (seed) => {
    const plan = randomPlan(seed);
    const concurrency = 1 + (seed % 5);
    const boost = concurrency + (seed % 3);
    const { events, summary, makespan } = await simulate(plan, { concurrency, boost, recordEvents: true });
    const ivs = intervals(events);

    // every task runs exactly once and succeeds
    expect(summary.counts.succeeded).toBe(plan.tasks.size);
    for (const id of plan.tasks.keys()) expect(ivs.get(id)).toHaveLength(1);

    // dependencies respected
    for (const task of plan.tasks.values()) {
      const start = ivs.get(task.id)![0]!.start;
      for (const dep of task.dependsOn) expect(start).toBeGreaterThanOrEqual(ivs.get(dep)![0]!.end);
    }

    // conflicting tasks never overlap
    const ids = [...plan.tasks.keys()];
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        if (!exclusiveConflict(plan, ids[i]!, ids[j]!)) continue;
        const a = ivs.get(ids[i]!)![0]!;
        const b = ivs.get(ids[j]!)![0]!;
        expect(a.end <= b.start || b.end <= a.start).toBe(true);
      }
    }

    // slots never exceeded; only priority-0 tasks use the boost slots; no slot used twice at once
    let running = 0;
    const busySlots = new Set<number>();
    for (const e of events) {
      if (e.type === 'task.started') {
        const p = plan.tasks.get(e.id)!.priority;
        expect(running).toBeLessThan(p === 0 ? boost : concurrency);
        expect(busySlots.has(e.slot)).toBe(false);
        expect(e.slot).toBeGreaterThanOrEqual(1);
        expect(e.slot).toBeLessThanOrEqual(boost);
        busySlots.add(e.slot);
        running++;
      } else if (e.type === 'task.finished') {
        running--;
        busySlots.delete(ivs.get(e.id)![0]!.slot);
      }
    }

    // no schedule beats the lower bound
    expect(makespan).toBeGreaterThanOrEqual(planBounds(plan, concurrency, boost).lowerBound - 1e-9);

    // equal inputs give the same schedule
    const again = await simulate(plan, { concurrency, boost, recordEvents: true });
    expect(again.events).toEqual(events);
  });
});

describe('dispatch order', () => {
  test('priority, then bottom level, then more successors, then id', async () => {
    const plan = planOf([
      { id: 'low', estimate: 1, priority: 3 },
      { id: 'z-urgent', estimate: 1, priority: 1 },
      { id: 'a-urgent', estimate: 1, priority: 1 },
      { id: 'long-chain', estimate: 1 },
      { id: 'chain-2', estimate: 9, dependsOn: ['long-chain'] },
      { id: 'fan', estimate: 1 },
      { id: 'fan-1', estimate: 4, dependsOn: ['fan'] },
      { id: 'fan-2', estimate: 4, dependsOn: ['fan'] },
      { id: 'plain', estimate: 5 },
    ]);
    const { events } = await simulate(plan, { concurrency: 1, recordEvents: true });
    const starts = events.filter((e) => e.type === 'task.started').map((e) => (e as { id: string }).id);
    expect(starts.slice(0, 5)).toEqual(['a-urgent', 'z-urgent', 'long-chain', 'chain-2', 'fan']);
    // fan (bottom level 5, two successors) precedes plain (bottom level 5, none)
    expect(starts.indexOf('fan')).toBeLessThan(starts.indexOf('plain'));
    expect(starts.at(-1)).toBe('low');
  });

  test('boost slots are used by priority-0 tasks only', async () => {
    const plan = planOf([
      ...Array.from({ length: 4 }, (_, i) => ({ id: `n${i}`, estimate: 10, priority: 2 as const })),
      ...Array.from({ length: 4 }, (_, i) => ({ id: `u${i}`, estimate: 10, priority: 0 as const })),
    ]);
    const { events } = await simulate(plan, { concurrency: 2, boost: 5, recordEvents: true });
    const startsAt = (t: number) =>
      events.filter((e) => e.type === 'task.started' && e.at === t).map((e) => (e as { id: string }).id);
    // four urgent tasks fill two normal and two boost slots; the others may not take the fifth
    expect(startsAt(0)).toEqual(['u0', 'u1', 'u2', 'u3']);
    expect(startsAt(10_000)).toEqual(['n0', 'n1']);
    expect(startsAt(20_000)).toEqual(['n2', 'n3']);
  });
});

describe('starvation', () => {
  // The a tasks need x, the b tasks y; they overlap in a staggered way so x and y are never free
  // together. "both" needs x and y; it goes first in the queue but is passed over at every dispatch
  // while the later-ranked a and b tasks start, and would wait for both streams without reservations.
  const plan = planOf([
    ...Array.from({ length: 12 }, (_, i) => ({ id: `a${String(i).padStart(2, '0')}`, estimate: 2, priority: 2 as const, resources: ['x'] })),
    ...Array.from({ length: 12 }, (_, i) => ({ id: `b${String(i).padStart(2, '0')}`, estimate: 3, priority: 2 as const, resources: ['y'] })),
    { id: 'gate', estimate: 1, priority: 0 },
    { id: 'both', estimate: 1, priority: 1, resources: ['x', 'y'], dependsOn: ['gate'] },
  ]);
  const startOf = (events: RunEvent[], id: string) =>
    (events.find((e) => e.type === 'task.started' && e.id === id) as { at: number }).at;

  test('without a low limit the task waits until one stream has ended', async () => {
    const { events } = await simulate(plan, { concurrency: 3, recordEvents: true, starvationLimit: 1000 });
    // x is free from 24s (the a stream is done); y first frees after that when b08 ends at 27s
    expect(startOf(events, 'both')).toBe(27_000);
  });

  test('a task passed over too often reserves its accesses and starts early', async () => {
    const { events } = await simulate(plan, { concurrency: 3, recordEvents: true, starvationLimit: 2 });
    // ready at 1s, passed over at 1s and 2s (the second pass reserves x and y), starts when b00 frees y at 3s
    expect(startOf(events, 'both')).toBe(3000);
    const waits = events.filter((e) => e.type === 'task.waiting' && e.on.some((b) => b.kind === 'reserved' && b.by === 'both'));
    expect(waits.length).toBeGreaterThan(0);
    // the reservation never lets a conflicting task start while it is pending, and the run still completes
    const { summary } = await simulate(plan, { concurrency: 3, starvationLimit: 2 });
    expect(summary.counts.succeeded).toBe(26);
  });

  test('mutual reservations cannot deadlock', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const p = randomPlan(seed * 7, { resources: 2 });
      const { summary } = await simulate(p, { concurrency: 3, starvationLimit: 1 });
      expect(summary.counts.succeeded).toBe(p.tasks.size);
    }
  });
});

describe('failures, retries, timeouts', () => {
  test('a failed task skips its dependents (with the reason) and independent tasks go on', async () => {
    const plan = planOf([
      { id: 'build', estimate: 1 },
      { id: 'test', estimate: 1, dependsOn: ['build'] },
      { id: 'deploy', estimate: 1, dependsOn: ['test'] },
      { id: 'docs', estimate: 3 },
    ]);
    const { summary, events } = await simulate(plan, {
      concurrency: 2,
      recordEvents: true,
      outcomes: (t) => (t.id === 'build' ? { outcome: 'failed', exitCode: 2 } : { outcome: 'succeeded', exitCode: 0 }),
    });
    expect(summary.outcome).toBe('failed');
    expect(summary.counts).toMatchObject({ succeeded: 1, failed: 1, skipped: 2 });
    const skipped = events.filter((e) => e.type === 'task.skipped');
    expect(skipped).toEqual([
      { type: 'task.skipped', id: 'test', at: 1000, because: 'dependency build failed' },
      { type: 'task.skipped', id: 'deploy', at: 1000, because: 'dependency test was skipped (build failed)' },
    ]);
  });

  test('fail-fast starts nothing new after the first failure', async () => {
    const plan = planOf([
      { id: 'bad', estimate: 1 },
      { id: 'slow', estimate: 5 },
      { id: 'later', estimate: 1, priority: 4 },
    ]);
    const { summary } = await simulate(plan, {
      concurrency: 2,
      failFast: true,
      outcomes: (t) => ({ outcome: t.id === 'bad' ? 'failed' : 'succeeded' }),
    });
    const byId = new Map(summary.tasks.map((t) => [t.id, t]));
    expect(byId.get('slow')!.state).toBe('succeeded');
    expect(byId.get('later')!.state).toBe('skipped');
    expect(byId.get('later')!.because).toBe('--fail-fast: bad failed');
  });

  test('retries with exponential back-off and full jitter until success', async () => {
    const plan = planOf([{ id: 'flaky', estimate: 1, retries: 3 }]);
    const { summary, events } = await simulate(plan, {
      concurrency: 1,
      recordEvents: true,
      random: () => 0.5,
      outcomes: (_t, attempt) => ({ outcome: attempt < 3 ? 'failed' : 'succeeded' }),
    });
    expect(summary.counts.succeeded).toBe(1);
    expect(summary.tasks[0]!.attempts).toBe(3);
    const retrying = events.filter((e) => e.type === 'task.retrying');
    // default base 1s, factor 2: ceilings 1s then 2s, jitter 0.5 of each
    expect(retrying.map((e) => (e as { delay: number }).delay)).toEqual([0.5, 1]);
    const starts = events.filter((e) => e.type === 'task.started').map((e) => e.at);
    expect(starts).toEqual([0, 1500, 3500]);
  });

  test('a task that keeps failing ends failed after retries + 1 attempts', async () => {
    const plan = planOf([{ id: 'broken', estimate: 1, retries: 2 }]);
    const { summary } = await simulate(plan, { concurrency: 1, outcomes: () => ({ outcome: 'failed', exitCode: 1 }) });
    expect(summary.tasks[0]).toMatchObject({ state: 'failed', attempts: 3 });
  });

  test('a task running past its timeout ends timed-out', async () => {
    const plan = planOf([
      { id: 'hang', estimate: 100, timeout: 2 },
      { id: 'after', estimate: 1, dependsOn: ['hang'] },
    ]);
    const { summary, events } = await simulate(plan, { concurrency: 1, recordEvents: true });
    expect(summary.tasks.find((t) => t.id === 'hang')).toMatchObject({ state: 'timed-out', endedAt: 2000 });
    expect(summary.tasks.find((t) => t.id === 'after')!.because).toBe('dependency hang timed out');
    expect(events.find((e) => e.type === 'task.finished')).toMatchObject({ error: 'timed out after 2s' });
  });
});

describe('access composition', () => {
  test('resource locks: shared users overlap, an exclusive user waits for all of them', async () => {
    const plan = planOf([
      { id: 'r1', estimate: 2, resources: ['db:shared'] },
      { id: 'r2', estimate: 3, resources: ['db:shared'] },
      { id: 'w', estimate: 1, resources: ['db'], priority: 3 },
    ]);
    const { events } = await simulate(plan, { concurrency: 3, recordEvents: true, access: [new ResourceLocks()] });
    const ivs = intervals(events);
    expect(ivs.get('r1')![0]!.start).toBe(0);
    expect(ivs.get('r2')![0]!.start).toBe(0);
    expect(ivs.get('w')![0]!.start).toBe(3000);
    const waiting = events.find((e) => e.type === 'task.waiting');
    expect(waiting).toMatchObject({
      id: 'w',
      on: [
        { kind: 'lock', key: 'resource:db', heldBy: 'r2' },
        { kind: 'lock', key: 'resource:db', heldBy: 'r1' },
      ],
    });
  });
});

describe('dropped tasks', () => {
  test('a dropped task and its dependents are skipped as dropped; the rest runs; the run succeeds', async () => {
    const plan = planOf([
      { id: 'mine', estimate: 1 },
      { id: 'theirs', estimate: 1 },
      { id: 'after-theirs', dependsOn: ['theirs'], estimate: 1 },
      { id: 'after-both', dependsOn: ['after-theirs', 'mine'], estimate: 1 },
      { id: 'after-mine', dependsOn: ['mine'], estimate: 1 },
    ]);
    const { events, summary } = await simulate(plan, {
      concurrency: 2,
      recordEvents: true,
      outcomes: (task) =>
        task.id === 'theirs' ? { outcome: 'dropped', error: 'theirs is claimed by someone else' } : { outcome: 'succeeded', exitCode: 0 },
    });
    const skipped = events.filter((e) => e.type === 'task.skipped');
    expect(skipped).toEqual([
      expect.objectContaining({ id: 'theirs', because: 'theirs is claimed by someone else', dropped: true }),
      expect.objectContaining({ id: 'after-theirs', dropped: true, because: expect.stringContaining('theirs was dropped') }),
      expect.objectContaining({ id: 'after-both', dropped: true, because: expect.stringContaining('after-theirs was skipped') }),
    ]);
    expect(events.some((e) => e.type === 'task.finished' && e.id === 'theirs')).toBe(false);
    expect(summary.counts).toMatchObject({ succeeded: 2, dropped: 3, skipped: 0, failed: 0 });
    expect(summary.outcome).toBe('succeeded');
  });

  test('a failed task among dropped ones still fails the run', async () => {
    const plan = planOf([{ id: 'theirs' }, { id: 'broken' }]);
    const { summary } = await simulate(plan, {
      concurrency: 2,
      outcomes: (task) => (task.id === 'theirs' ? { outcome: 'dropped' } : { outcome: 'failed', exitCode: 1 }),
    });
    expect(summary.counts).toMatchObject({ dropped: 1, failed: 1 });
    expect(summary.outcome).toBe('failed');
  });
});

describe('retryAfter: a failure worth another attempt whatever the retries', () => {
  test('the task is tried again after at least that long, without using up its retries, at most 5 extra times', async () => {
    const plan = planOf([
      { id: 'limited', estimate: 1 },
      { id: 'always-limited', estimate: 1, retries: 1 },
    ]);
    const { events, summary } = await simulate(plan, {
      concurrency: 2,
      recordEvents: true,
      outcomes: (task, attempt) =>
        task.id === 'limited' && attempt >= 3
          ? { outcome: 'succeeded', exitCode: 0 }
          : { outcome: 'failed', error: 'rate-limited', retryAfter: 30 },
    });
    const retries = (id: string) => events.filter((e) => e.type === 'task.retrying' && e.id === id);
    expect(retries('limited').map((e) => (e as { delay: number }).delay)).toEqual([30, 30]);
    expect(summary.tasks.find((t) => t.id === 'limited')).toMatchObject({ state: 'succeeded', attempts: 3 });
    // 5 extra attempts from retryAfter, then its one own retry: 7 attempts, then it fails.
    expect(summary.tasks.find((t) => t.id === 'always-limited')).toMatchObject({ state: 'failed', attempts: 7 });
  });
});
