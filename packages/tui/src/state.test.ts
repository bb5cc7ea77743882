import { simulate, type RunEvent } from '@guild/core';
import { describe, expect, it } from 'vitest';
import { applyEvent, doneCount } from './state';
import { plan, stateFor } from './test-support';

const T0 = 1_700_000_000_000;
const specs = [
  { id: 'db-seed', run: 'true', resources: ['db'] },
  { id: 'db-migrate', run: 'true', resources: ['db'] },
  { id: 'api', run: 'true', agent: 'shell', dependsOn: ['db-migrate'] },
];

function feed(events: RunEvent[], slots = 3) {
  const s = stateFor(specs, slots);
  for (const e of events) applyEvent(s, e);
  return s;
}

const started: RunEvent = { type: 'run.started', runId: 'RUN1', at: T0, tasks: 3, slots: 3, boost: 3 };

describe('applyEvent', () => {
  it('tracks running and waiting tasks, their slots, pids and blockers', () => {
    const s = feed([
      started,
      { type: 'task.ready', id: 'db-seed', at: T0 },
      { type: 'task.ready', id: 'db-migrate', at: T0 },
      { type: 'task.starting', id: 'db-seed', at: T0 + 5, attempt: 1 },
      { type: 'task.started', id: 'db-seed', at: T0 + 5, attempt: 1, slot: 1, pid: 4242 },
      { type: 'task.waiting', id: 'db-migrate', at: T0 + 6, on: [{ kind: 'lock', key: 'resource:db', heldBy: 'db-seed' }] },
    ]);
    expect(s.startedAt).toBe(T0);
    expect([...s.active].sort()).toEqual(['db-migrate', 'db-seed']);
    expect(s.counts).toMatchObject({ running: 1, waiting: 1, pending: 1 });
    expect(s.tasks.get('db-seed')).toMatchObject({ state: 'running', slot: 1, pid: 4242, since: T0 + 5, attempt: 1 });
    expect(s.tasks.get('db-migrate')).toMatchObject({
      state: 'waiting',
      since: T0 + 6,
      blockers: [{ kind: 'lock', key: 'resource:db', heldBy: 'db-seed' }],
    });
    expect(s.slotTask[1]).toBe('db-seed');
    expect(s.lines).toEqual([]);
  });

  it('keeps the start of a wait when only its blockers change', () => {
    const s = feed([
      started,
      { type: 'task.waiting', id: 'db-migrate', at: T0 + 1, on: [{ kind: 'lock', key: 'resource:db', heldBy: 'db-seed' }] },
      { type: 'task.waiting', id: 'db-migrate', at: T0 + 9, on: [{ kind: 'reserved', key: 'resource:db', by: 'api' }] },
    ]);
    expect(s.tasks.get('db-migrate')).toMatchObject({ since: T0 + 1, blockers: [{ kind: 'reserved', by: 'api' }] });
  });

  it('prints a line per ending in the plain reporter words, frees the slot and counts durations', () => {
    const s = feed([
      started,
      { type: 'task.started', id: 'db-seed', at: T0 + 10, attempt: 1, slot: 2 },
      { type: 'task.finished', id: 'db-seed', at: T0 + 4210, attempt: 1, outcome: 'succeeded', exitCode: 0 },
      { type: 'task.started', id: 'db-migrate', at: T0 + 4300, attempt: 1, slot: 2 },
      { type: 'task.finished', id: 'db-migrate', at: T0 + 5300, attempt: 1, outcome: 'failed', exitCode: 3, error: 'boom' },
      { type: 'task.skipped', id: 'api', at: T0 + 5300, because: 'dependency db-migrate failed' },
    ]);
    expect(s.lines).toEqual([
      { mark: 'succeeded', tone: 'ok', text: '[00:04.210] db-seed succeeded in 4.2s (exit 0)' },
      {
        mark: 'failed',
        tone: 'fail',
        text: '[00:05.300] db-migrate failed in 1.0s (exit 3): boom; no output',
      },
      { mark: 'skipped', tone: 'dim', text: '[00:05.300] api skipped: dependency db-migrate failed' },
    ]);
    expect(doneCount(s)).toBe(3);
    expect(s.active.size).toBe(0);
    expect(s.slotTask[2]).toBeUndefined();
    expect(s.slotLast[2]).toBe('failed');
    expect(s.observed).toEqual({ ms: 4200, n: 1 });
  });

  it('frees the slot of a running task that is dropped (skipped without finishing)', () => {
    const s = feed([
      started,
      { type: 'task.started', id: 'db-seed', at: T0, attempt: 1, slot: 1, pid: 7 },
      { type: 'task.skipped', id: 'db-seed', at: T0 + 20, because: 'claimed by another worker', dropped: true },
      { type: 'task.skipped', id: 'api', at: T0 + 20, because: 'dependency db-seed was dropped', dropped: true },
    ]);
    expect(s.slotTask[1]).toBeUndefined();
    expect(s.active.size).toBe(0);
    expect(s.tasks.get('db-seed')!.pid).toBeUndefined();
    expect(s.lines.map((l) => l.text)).toEqual([
      '[00:00.020] db-seed dropped: claimed by another worker',
      '[00:00.020] api dropped: dependency db-seed was dropped',
    ]);
  });

  it('moves a failed attempt that will retry back out of the done count', () => {
    const s = feed([
      started,
      { type: 'task.started', id: 'db-seed', at: T0, attempt: 1, slot: 1 },
      { type: 'task.finished', id: 'db-seed', at: T0 + 500, attempt: 1, outcome: 'failed', exitCode: 1 },
      { type: 'task.retrying', id: 'db-seed', at: T0 + 500, attempt: 2, delay: 1.5 },
    ]);
    expect(doneCount(s)).toBe(0);
    expect(s.tasks.get('db-seed')).toMatchObject({ state: 'retrying', attempt: 2, retryAt: T0 + 2000 });
    expect(s.lines.map((l) => l.text)).toEqual([
      '[00:00.500] db-seed failed in 500ms (exit 1); no output',
      '[00:00.500] db-seed will retry (attempt 2) in 1.5s',
    ]);
  });

  it('follows pause, resume, serialize and abort, printing each', () => {
    const s = feed([
      started,
      { type: 'run.control', at: T0 + 1000, action: 'pause' },
      { type: 'run.control', at: T0 + 2000, action: 'resume' },
      { type: 'run.control', at: T0 + 3000, action: 'serialize' },
    ]);
    expect(s).toMatchObject({ paused: false, serialized: true, aborting: false });
    applyEvent(s, { type: 'run.control', at: T0 + 4000, action: 'pause' });
    expect(s.paused).toBe(true);
    applyEvent(s, { type: 'run.control', at: T0 + 5000, action: 'abort' });
    expect(s.aborting).toBe(true);
    expect(s.lines.map((l) => l.text)).toEqual([
      '[00:01.000] run paused',
      '[00:02.000] run resumed',
      '[00:03.000] run serialized',
      '[00:04.000] run paused',
      '[00:05.000] run aborting',
    ]);
  });

  it('bumps the version on every event, so a frame is redrawn only after a change', () => {
    const s = feed([started]);
    const v = s.version;
    applyEvent(s, { type: 'task.progress', id: 'api', at: T0 + 1, message: 'Implementing features', fraction: 0.4 });
    expect(s.version).toBe(v + 1);
    expect(s.tasks.get('api')!.progress).toEqual({ message: 'Implementing features', fraction: 0.4, at: T0 + 1 });
  });

  it('replays an earlier session quietly, and a new session starts unfinished tasks over', () => {
    const s = stateFor(specs);
    const earlier: RunEvent[] = [
      started,
      { type: 'task.started', id: 'db-seed', at: T0, attempt: 1, slot: 1 },
      { type: 'task.finished', id: 'db-seed', at: T0 + 100, attempt: 1, outcome: 'succeeded', exitCode: 0 },
      { type: 'task.started', id: 'db-migrate', at: T0 + 100, attempt: 1, slot: 1, pid: 99 },
    ];
    for (const e of earlier) applyEvent(s, e, true);
    expect(s.lines).toEqual([]);
    applyEvent(s, { ...started, at: T0 + 60_000 });
    expect(doneCount(s)).toBe(1);
    expect(s.active.size).toBe(0);
    expect(s.tasks.get('db-migrate')!.state).toBe('pending');
    expect(s.slotTask[1]).toBeUndefined();
    expect(s.counts.pending).toBe(2);
  });

  it('agrees with the summary of a whole simulated run (core scheduler, real event stream)', async () => {
    const all = [
      ...specs,
      { id: 'flaky', run: 'true', retries: 1 },
      { id: 'broken', run: 'true' },
      { id: 'after-broken', run: 'true', dependsOn: ['broken'] },
    ];
    const sim = await simulate(plan(all), {
      concurrency: 2,
      recordEvents: true,
      outcomes: (task, attempt) =>
        task.id === 'broken' || (task.id === 'flaky' && attempt === 1)
          ? { outcome: 'failed', exitCode: 1 }
          : { outcome: 'succeeded', exitCode: 0 },
    });
    const s = stateFor(all, 2);
    for (const e of sim.events) applyEvent(s, e);
    const c = sim.summary.counts;
    expect(s.counts.succeeded).toBe(c.succeeded);
    expect(s.counts.failed).toBe(c.failed);
    expect(s.counts.skipped).toBe(c.skipped);
    expect(doneCount(s)).toBe(6);
    expect(s.active.size).toBe(0);
    expect(s.outcome).toBe('failed');
    expect(s.lines.filter((l) => l.mark === 'retrying')).toHaveLength(1);
    expect(s.slotTask.every((id) => id === undefined)).toBe(true);
  });
});
