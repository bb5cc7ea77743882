/**
 * The run store recovers from damage a crash can leave: torn last lines of any length, and a
 * damaged log that must not leave the run locked.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { newRunId } from './run-id.js';
import { EventLog, RunStore, readDriver, readEventLog, runPaths, type StoredPlan } from './run-store.js';
import type { RunEvent } from './types.js';

const made: string[] = [];
const tmp = async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'guild-store-bug-'));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const started = (id: string, at: number): RunEvent => ({ type: 'task.started', id, at, attempt: 1, slot: 1 });

function storedPlan(root: string, ids: string[]): StoredPlan {
  return {
    version: 1,
    runId: newRunId(),
    createdAt: Date.now(),
    root,
    specs: ids.map((id) => ({ id, run: 'true' })),
    options: { concurrency: 1, boost: 1, failFast: false },
  };
}

describe('run store bugs', () => {
  test('a torn last line longer than 64 KiB is dropped whole on reopen, so the next event starts a clean line', async () => {
    const file = path.join(await tmp(), 'events.jsonl');
    const log = new EventLog(file);
    log.append(started('a', 1));
    log.close();
    // Half of one long event (e.g. a task.finished with a long error, or a task.waiting on many blockers).
    appendFileSync(file, `{"type":"task.finished","id":"a","error":"${'x'.repeat(70 * 1024)}`);
    const reopened = new EventLog(file);
    reopened.append(started('b', 2));
    reopened.close();
    // Today: readEventLog throws "the event log is damaged at line 2" — the run can never be
    // replayed again (no status, no resume).
    expect(readEventLog(file)).toEqual({ events: [started('a', 1), started('b', 2)], torn: false });
  });

  test('RunStore.open reports a torn last line it dropped', async () => {
    const root = await tmp();
    const stored = storedPlan(root, ['a']);
    const first = RunStore.create(root, stored);
    first.record(started('a', 1));
    first.close();
    appendFileSync(first.paths.events, '{"type":"task.fini');
    const { store, torn } = RunStore.open(root, stored.runId);
    store.close();
    expect(torn).toBe(true);
  });

  test('RunStore.open on a damaged log throws and leaves the run unlocked', async () => {
    const root = await tmp();
    const stored = storedPlan(root, ['a']);
    const p = runPaths(root, stored.runId);
    mkdirSync(p.logs, { recursive: true });
    writeFileSync(p.plan, JSON.stringify(stored));
    writeFileSync(p.events, `${JSON.stringify(started('a', 1))}\nnot json\n${JSON.stringify(started('a', 2))}\n`);
    expect(() => RunStore.open(root, stored.runId)).toThrow(/damaged at line 2/);
    // Today the lock file names this process, so in a long-lived process (a library user, a
    // server, a test) a second open says "is being driven by process <own pid>".
    expect(existsSync(p.lock), `lock left behind: ${existsSync(p.lock) ? readFileSync(p.lock, 'utf8') : ''}`).toBe(false);
    expect(readDriver(p)).toBeUndefined();
  });
});
