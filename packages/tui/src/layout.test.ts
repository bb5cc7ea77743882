import type { RunEvent, TaskSpec } from '@guild/core';
import { describe, expect, it } from 'vitest';
import { ASCII_GLYPHS, UNICODE_GLYPHS } from './glyphs';
import { fitLine, formatBytes, headerLine, layoutFrame, lineText, slotLine, type FrameInput, type Tail } from './layout';
import { applyEvent } from './state';
import { stateFor } from './test-support';
import { textWidth } from './text';

const T0 = 1_700_000_000_000;
const specs: TaskSpec[] = [
  { id: 'api-login', run: 'true', agent: 'claude-code', estimate: 120 },
  { id: 'unit-tests', run: 'true', estimate: 60 },
  { id: 'db-seed', run: 'true', resources: ['db'], estimate: 30 },
  { id: 'db-migrate', run: 'true', resources: ['db'], estimate: 30 },
  { id: 'docs', run: 'true', estimate: 10 },
  { id: 'release', run: 'true', dependsOn: ['api-login', 'unit-tests', 'db-migrate'], estimate: 10 },
];

/** A run 75 s in: three tasks running, one waiting on a resource, one done, one failed. */
function midRun(slots = 4) {
  const s = stateFor(specs, slots);
  const events: RunEvent[] = [
    { type: 'run.started', runId: 'RUN1', at: T0, tasks: specs.length, slots, boost: slots },
    { type: 'task.started', id: 'api-login', at: T0, attempt: 1, slot: 1, pid: 100 },
    { type: 'task.started', id: 'unit-tests', at: T0 + 34_000, attempt: 1, slot: 2, pid: 101 },
    { type: 'task.started', id: 'db-seed', at: T0 + 1000, attempt: 1, slot: 3, pid: 102 },
    { type: 'task.waiting', id: 'db-migrate', at: T0 + 1000, on: [{ kind: 'lock', key: 'resource:db', heldBy: 'db-seed' }] },
    { type: 'task.started', id: 'docs', at: T0 + 2000, attempt: 1, slot: 4 },
    { type: 'task.finished', id: 'docs', at: T0 + 9000, attempt: 1, outcome: 'failed', exitCode: 2 },
    { type: 'task.progress', id: 'api-login', at: T0 + 70_000, message: 'Implementing features' },
  ];
  for (const e of events) applyEvent(s, e);
  return s;
}

function input(over: Partial<FrameInput> = {}): FrameInput {
  const tails = new Map<string, Tail>([['unit-tests', { line: '✓ 112 passed', at: T0 + 74_000 }]]);
  return {
    state: midRun(),
    now: T0 + 75_000,
    columns: 120,
    rows: 30,
    glyphs: UNICODE_GLYPHS,
    tails,
    usage: { rss: 512 * 1024 * 1024, cpu: 68.4 },
    eta: 110,
    mode: 'normal',
    keys: true,
    ...over,
  };
}

const text = (lines: ReturnType<typeof layoutFrame>) => lines.map(lineText);

describe('layoutFrame', () => {
  it('draws the header, slots, a row per running or waiting task, and the keys', () => {
    const lines = text(layoutFrame(input()));
    expect(lines).toEqual([
      expect.stringMatching(/^guild RUN1 {2}█{4}░{20} 16% {2}1\/6 done · 1 failed · elapsed 1m15s · eta ~1m50s$/),
      'slots [1:▶] [2:▶] [3:▶] [4:✗]   mem 512 MB · cpu 68%',
      '[1] ▶ api-login   claude-code   1m15s  Implementing features',
      '[2] ▶ unit-tests  shell           41s  ✓ 112 passed',
      '[3] ▶ db-seed     shell         1m14s  ',
      '    ⏸ db-migrate  shell          wait  resource:db held by db-seed',
      'keys: p pause · r resume · s serialize · a abort · ? help',
    ]);
  });

  it('shows the newer of a progress message and the log tail', () => {
    const tails = new Map<string, Tail>([['api-login', { line: 'wrote src/api/login.ts', at: T0 + 74_000 }]]);
    expect(text(layoutFrame(input({ tails })))[2]).toMatch(/wrote src\/api\/login\.ts$/);
    const older = new Map<string, Tail>([['api-login', { line: 'wrote src/api/login.ts', at: T0 + 1000 }]]);
    expect(text(layoutFrame(input({ tails: older })))[2]).toMatch(/Implementing features$/);
  });

  it('keeps every line inside the terminal width, whatever the width', () => {
    for (let columns = 20; columns <= 160; columns += 7) {
      for (const line of text(layoutFrame(input({ columns })))) {
        expect(textWidth(line), `${columns} columns: "${line}"`).toBeLessThanOrEqual(columns - 1);
      }
    }
    const narrow = text(layoutFrame(input({ columns: 50 })));
    expect(narrow.find((l) => l.includes('db-migrate'))).toMatch(/…$/);
    // Narrow terminals lose the runner column before anything else in a row.
    expect(narrow.find((l) => l.includes('unit-tests'))).not.toContain('shell');
  });

  it('fits the rows into the terminal height, folding the rest into "+N more"', () => {
    for (let rows = 2; rows <= 12; rows++) {
      expect(layoutFrame(input({ rows })).length, `${rows} rows`).toBeLessThanOrEqual(rows - 1);
    }
    const lines = text(layoutFrame(input({ rows: 7 })));
    expect(lines).toHaveLength(6);
    expect(lines[2]).toContain('api-login');
    expect(lines[4]).toBe('  +2 more (1 running, 1 waiting)');
    expect(lines[5]).toMatch(/^keys:/);
    expect(text(layoutFrame(input({ rows: 2 })))).toEqual([expect.stringMatching(/^guild RUN1/)]);
  });

  it('shows the help instead of the rows, and the abort question instead of the keys', () => {
    const help = text(layoutFrame(input({ mode: 'help' })));
    expect(help.some((l) => /^ {2}p {7}pause/.test(l))).toBe(true);
    expect(help.some((l) => l.includes('api-login'))).toBe(false);
    const ask = text(layoutFrame(input({ mode: 'confirm-abort' })));
    expect(ask.at(-1)).toBe('abort the run? running tasks are stopped, the rest skipped. y/n');
    const s = midRun();
    applyEvent(s, { type: 'run.control', at: T0 + 76_000, action: 'abort' });
    expect(text(layoutFrame(input({ state: s, mode: 'confirm-abort' }))).at(-1)).toBe('kill the running tasks now (SIGKILL)? y/n');
  });

  it('leaves the keys out when there is no keyboard', () => {
    expect(text(layoutFrame(input({ keys: false }))).some((l) => l.startsWith('keys:'))).toBe(false);
  });

  it('draws with ASCII only when the terminal cannot show Unicode', () => {
    const lines = text(layoutFrame(input({ glyphs: ASCII_GLYPHS, tails: new Map() })));
    for (const line of lines) expect(line).toMatch(/^[\x20-\x7e]*$/);
    expect(lines[0]).toMatch(/ #{4}-{20} 16% {2}1\/6 done \| 1 failed \| elapsed 1m15s \| eta ~1m50s$/);
    expect(lines[1]).toBe('slots [1:>] [2:>] [3:>] [4:x]   mem 512 MB | cpu 68%');
    expect(lines[5]).toMatch(/^ {4}= db-migrate/);
  });
});

describe('headerLine', () => {
  it('says eta ~? when unknown, and shows state flags first', () => {
    const s = midRun();
    applyEvent(s, { type: 'run.control', at: T0 + 1, action: 'pause' });
    applyEvent(s, { type: 'run.control', at: T0 + 2, action: 'serialize' });
    const line = lineText(headerLine({ state: s, now: T0 + 75_000, columns: 140, glyphs: UNICODE_GLYPHS, eta: undefined }));
    expect(line).toMatch(/^guild RUN1 PAUSED SERIALIZED {2}█/);
    expect(line).toMatch(/eta ~\?$/);
  });

  it('drops the bar before the figures when space is short, and the ETA once the run is over', () => {
    const line = lineText(headerLine({ state: midRun(), now: T0 + 75_000, columns: 70, glyphs: UNICODE_GLYPHS, eta: 110 }));
    expect(line).toBe('guild RUN1 16%  1/6 done · 1 failed · elapsed 1m15s · eta ~1m50s');
    const s = midRun();
    applyEvent(s, { type: 'run.finished', at: T0 + 80_000, outcome: 'aborted' });
    const final = lineText(headerLine({ state: s, now: T0 + 99_000, columns: 120, glyphs: UNICODE_GLYPHS, eta: 5 }));
    expect(final).toMatch(/^guild RUN1 ABORTED .*elapsed 1m20s$/);
  });
});

describe('slotLine', () => {
  it('shows boost slots only while busy, and falls back to a count when too wide', () => {
    const s = stateFor(specs, 2);
    applyEvent(s, { type: 'run.started', runId: 'RUN1', at: T0, tasks: 6, slots: 2, boost: 5 });
    applyEvent(s, { type: 'task.started', id: 'docs', at: T0, attempt: 1, slot: 4 });
    const f = { state: s, glyphs: UNICODE_GLYPHS, usage: undefined };
    expect(lineText(slotLine({ ...f, columns: 100 }))).toBe('slots [1:·] [2:·] [4:▶] +2 for priority 0');
    expect(lineText(slotLine({ ...f, columns: 30 }))).toBe('slots 1/2 busy');
    applyEvent(s, { type: 'run.control', at: T0, action: 'pause' });
    expect(lineText(slotLine({ ...f, columns: 100 }))).toBe('slots [1:⏸] [2:⏸] [4:▶] +2 for priority 0');
  });
});

describe('fitLine and formatBytes', () => {
  it('cuts inside the segment that overflows and keeps styles', () => {
    const cut = fitLine([{ text: 'abc', style: 'bold' }, { text: 'defghij', style: 'dim' }], 6, '…');
    expect(cut).toEqual([
      { text: 'abc', style: 'bold' },
      { text: 'de…', style: 'dim' },
    ]);
  });

  it('formats memory in MB, then GB', () => {
    expect(formatBytes(3 * 1024 * 1024)).toBe('3 MB');
    expect(formatBytes(1536 * 1024 * 1024)).toBe('1.5 GB');
  });
});
