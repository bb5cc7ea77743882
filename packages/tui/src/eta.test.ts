import type { RunEvent, TaskSpec } from '@guild/core';
import { describe, expect, it } from 'vitest';
import { estimateRemaining } from './eta';
import { applyEvent } from './state';
import { stateFor } from './test-support';

const T0 = 1_700_000_000_000;

function at(specs: TaskSpec[], slots: number, events: RunEvent[]) {
  const s = stateFor(specs, slots);
  applyEvent(s, { type: 'run.started', runId: 'RUN1', at: T0, tasks: specs.length, slots, boost: slots });
  for (const e of events) applyEvent(s, e);
  return s;
}

describe('estimateRemaining', () => {
  const chain: TaskSpec[] = [
    { id: 'a', run: 'true', estimate: 10 },
    { id: 'b', run: 'true', estimate: 20, dependsOn: ['a'] },
    { id: 'c', run: 'true', estimate: 5 },
  ];

  it('is the remaining critical path when slots are plenty', () => {
    expect(estimateRemaining(at(chain, 3, []), T0)).toBe(30);
  });

  it('takes off the time running tasks have already spent', () => {
    const s = at(chain, 3, [{ type: 'task.started', id: 'a', at: T0, attempt: 1, slot: 1 }]);
    expect(estimateRemaining(s, T0 + 4000)).toBe(26);
    applyEvent(s, { type: 'task.finished', id: 'a', at: T0 + 10_000, attempt: 1, outcome: 'succeeded' });
    expect(estimateRemaining(s, T0 + 10_000)).toBe(20);
  });

  it('is the remaining work over the slots when that is longer', () => {
    const wide: TaskSpec[] = ['a', 'b', 'c', 'd'].map((id) => ({ id, run: 'true', estimate: 10 }));
    expect(estimateRemaining(at(wide, 1, []), T0)).toBe(40);
    expect(estimateRemaining(at(wide, 2, []), T0)).toBe(20);
  });

  it('adds the back-off of a task waiting to retry', () => {
    const s = at(chain, 3, [
      { type: 'task.started', id: 'c', at: T0, attempt: 1, slot: 1 },
      { type: 'task.finished', id: 'c', at: T0 + 1000, attempt: 1, outcome: 'failed' },
      { type: 'task.retrying', id: 'c', at: T0 + 1000, attempt: 2, delay: 30 },
    ]);
    expect(estimateRemaining(s, T0 + 1000)).toBe(35);
  });

  it('is unknown while tasks have only the default estimate, then uses the mean of this run', () => {
    const guessed: TaskSpec[] = [
      { id: 'a', run: 'true' },
      { id: 'b', run: 'true', dependsOn: ['a'] },
      { id: 'c', run: 'true' },
    ];
    const s = at(guessed, 3, [{ type: 'task.started', id: 'c', at: T0, attempt: 1, slot: 1 }]);
    expect(estimateRemaining(s, T0 + 1000)).toBeUndefined();
    applyEvent(s, { type: 'task.finished', id: 'c', at: T0 + 8000, attempt: 1, outcome: 'succeeded' });
    expect(estimateRemaining(s, T0 + 8000)).toBe(16);
  });

  it('is unknown when running tasks have overrun their estimates, and 0 once all are done', () => {
    const one: TaskSpec[] = [{ id: 'a', run: 'true', estimate: 2 }];
    const s = at(one, 1, [{ type: 'task.started', id: 'a', at: T0, attempt: 1, slot: 1 }]);
    expect(estimateRemaining(s, T0 + 5000)).toBeUndefined();
    applyEvent(s, { type: 'task.finished', id: 'a', at: T0 + 6000, attempt: 1, outcome: 'succeeded' });
    expect(estimateRemaining(s, T0 + 6000)).toBe(0);
  });
});
