import { Console } from 'node:console';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { RunEvent, RunSummary } from '@guild/core';
import { removeTestdirs, testdir } from '@guild/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMonitor } from './monitor';
import { plan } from './test-support';

afterAll(removeTestdirs);

// Ink routes console output above its frame by building a console.Console, which vitest's
// stand-in console lacks; lend it Node's for these tests.
const hadConsole = 'Console' in console;
beforeAll(() => {
  if (!hadConsole) Object.assign(console, { Console });
});
afterAll(() => {
  if (!hadConsole) delete (console as { Console?: unknown }).Console;
});

const T0 = 1_700_000_000_000;

/** A stream that looks enough like a terminal for Ink, and keeps what was written. */
function fakeTerminal() {
  const stream = Object.assign(new PassThrough(), { columns: 100, rows: 20, isTTY: true });
  let written = '';
  stream.on('data', (chunk: Buffer) => (written += chunk.toString('utf8')));
  // eslint-disable-next-line no-control-regex
  return { stdout: stream as unknown as NodeJS.WriteStream, text: () => written.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '') };
}

const summary = (over: Partial<RunSummary>): RunSummary => ({
  runId: 'RUN1',
  outcome: 'succeeded',
  startedAt: T0,
  endedAt: T0 + 2000,
  wall: 2,
  work: 3,
  speedup: 1.5,
  counts: { succeeded: 2, failed: 0, 'timed-out': 0, cancelled: 0, skipped: 0, dropped: 0 },
  tasks: [],
  ...over,
});

describe('createMonitor', () => {
  it('counts what earlier sessions of a resumed run finished, and closes with the summary', async () => {
    const runDir = await testdir();
    const earlier: RunEvent[] = [
      { type: 'run.started', runId: 'RUN1', at: T0 - 60_000, tasks: 2, slots: 2, boost: 2 },
      { type: 'task.started', id: 'first', at: T0 - 60_000, attempt: 1, slot: 1 },
      { type: 'task.finished', id: 'first', at: T0 - 59_000, attempt: 1, outcome: 'succeeded', exitCode: 0 },
    ];
    await mkdir(path.join(runDir, 'logs'));
    await writeFile(path.join(runDir, 'events.jsonl'), earlier.map((e) => `${JSON.stringify(e)}\n`).join(''));
    const term = fakeTerminal();
    const monitor = createMonitor(
      {
        runId: 'RUN1',
        runDir,
        logDir: path.join(runDir, 'logs'),
        cwd: runDir,
        plan: plan([
          { id: 'first', run: 'true' },
          { id: 'second', run: 'true' },
        ]),
        slots: 2,
        boost: 2,
        resumed: true,
        control: { pause() {}, resume() {}, serialize() {}, abort() {} },
        stdout: term.stdout,
      },
      { ascii: false, maxFps: 8 },
      { LANG: 'C.UTF-8', NO_COLOR: '1' },
    );
    const now: RunEvent[] = [
      { type: 'run.started', runId: 'RUN1', at: T0, tasks: 2, slots: 2, boost: 2 },
      { type: 'task.ready', id: 'second', at: T0 },
      { type: 'task.started', id: 'second', at: T0, attempt: 1, slot: 1 },
      { type: 'task.finished', id: 'second', at: T0 + 1500, attempt: 1, outcome: 'succeeded', exitCode: 0 },
      { type: 'run.finished', at: T0 + 1500, outcome: 'succeeded' },
    ];
    for (const e of now) monitor.onEvent(e);
    await monitor.close(summary({}));
    const out = term.text();
    // Only this session's ending is printed; the earlier one counts towards the total.
    expect(out).toContain('✓ [00:01.500] second succeeded in 1.5s (exit 0)');
    expect(out).not.toContain('first succeeded');
    expect(out).toMatch(/guild RUN1 +█+ 100% +2\/2 done · elapsed 1s\n/);
    expect(out).toMatch(/summary: 2 succeeded · wall 2\.0s · task time 3\.0s · speedup 1\.50x\n/);
    // Closing twice is harmless.
    await monitor.close(summary({}));
  });
});
