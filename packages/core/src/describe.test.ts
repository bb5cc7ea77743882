import { describe, expect, it } from 'vitest';
import { describeBlocker, stamp, summaryLine } from './describe.js';
import type { RunSummary } from './scheduler.js';

describe('summaryLine', () => {
  const summary = (counts: Partial<RunSummary['counts']>): RunSummary => ({
    runId: 'R',
    outcome: 'failed',
    startedAt: 0,
    endedAt: 12_000,
    wall: 12,
    work: 30,
    speedup: 2.5,
    counts: { succeeded: 0, failed: 0, 'timed-out': 0, cancelled: 0, skipped: 0, dropped: 0, ...counts },
    tasks: [],
  });

  it('says what the plain reporter says, naming only the outcomes that happened', () => {
    expect(summaryLine(summary({ succeeded: 4 }))).toBe('summary: 4 succeeded · wall 12s · task time 30s · speedup 2.50x');
    expect(summaryLine(summary({ succeeded: 1, failed: 2, 'timed-out': 1, cancelled: 3, skipped: 4, dropped: 5 }))).toBe(
      'summary: 1 succeeded, 2 failed, 1 timed out, 3 cancelled, 4 skipped, 5 dropped · wall 12s · task time 30s · speedup 2.50x',
    );
  });

  it('takes another separator for terminals without the middle dot', () => {
    expect(summaryLine(summary({ succeeded: 1 }), '|')).toBe('summary: 1 succeeded | wall 12s | task time 30s | speedup 2.50x');
  });
});

describe('describeBlocker', () => {
  it('names the lock, its holder, reservations, agent rules, slots and pauses', () => {
    expect(describeBlocker({ kind: 'lock', key: 'src/api', heldBy: 'api-login' })).toBe('src/api held by api-login');
    expect(describeBlocker({ kind: 'lock', key: 'resource:db', heldBy: 'seed', run: 'R2' })).toBe(
      'resource:db held by task seed of run R2 (another guild run here)',
    );
    expect(describeBlocker({ kind: 'reserved', key: 'src', by: 'models' })).toBe('src reserved by models (waiting longer)');
    expect(describeBlocker({ kind: 'agent', agent: 'release', reason: 'never-together', with: 'claude-code' })).toBe(
      'agent release never-together (with claude-code)',
    );
    expect(describeBlocker({ kind: 'slot' })).toBe('no free slot');
    expect(describeBlocker({ kind: 'paused' })).toBe('run paused');
  });
});

describe('stamp', () => {
  it('writes milliseconds since the run started as [mm:ss.mmm]', () => {
    expect(stamp(83_456)).toBe('[01:23.456]');
    expect(stamp(-5)).toBe('[00:00.000]');
  });
});
