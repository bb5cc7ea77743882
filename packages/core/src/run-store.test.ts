import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { GuildError } from './errors.js';
import { isAlive, startTimeOf } from './proc.js';
import { newRunId } from './run-id.js';
import { initialRunState, runStateJson } from './run-state.js';
import {
  EventLog,
  RunStore,
  driverAlive,
  listRuns,
  lockRun,
  readDriver,
  readEventLog,
  readStoredPlan,
  replayRun,
  runPaths,
  writeAtomic,
  type RunPaths,
  type StoredPlan,
} from './run-store.js';
import type { RunEvent } from './types.js';

const made: string[] = [];
async function tmp(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'guild-store-'));
  made.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const started = (id: string, at: number, attempt = 1): RunEvent => ({ type: 'task.started', id, at, attempt, slot: 1 });
const finished = (id: string, at: number, outcome: 'succeeded' | 'failed' = 'succeeded'): RunEvent => ({
  type: 'task.finished',
  id,
  at,
  attempt: 1,
  outcome,
  exitCode: outcome === 'succeeded' ? 0 : 1,
});
const runStarted = (runId: string, at: number, tasks: number): RunEvent => ({ type: 'run.started', runId, at, tasks, slots: 2, boost: 2 });

/** Throws what `fn` throws, or fails the test if it does not. */
function thrown(fn: () => unknown): GuildError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(GuildError);
    return e as GuildError;
  }
  throw new Error('expected an error');
}

/** A process that has exited (and been reaped): its pid names nobody now. */
async function deadPid(): Promise<{ pid: number; startTime: number | undefined }> {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  await new Promise((r) => child.once('spawn', r));
  const pid = child.pid!;
  const startTime = startTimeOf(pid);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  expect(isAlive(pid)).toBe(false);
  return { pid, startTime };
}

async function waitFor(check: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return check();
}

describe('EventLog and readEventLog', () => {
  test('one JSON line per event, read back in order; a missing log reads as empty', async () => {
    const file = path.join(await tmp(), 'events.jsonl');
    expect(readEventLog(file)).toEqual({ events: [], torn: false });
    const events = [runStarted('r', 1, 2), started('a', 2), finished('a', 3), started('b', 4)];
    const log = new EventLog(file);
    for (const e of events.slice(0, 2)) log.append(e);
    // Events appended in one turn go out together at its end, or at once on sync().
    expect(readFileSync(file, 'utf8')).toBe('');
    await Promise.resolve();
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(3);
    log.append(events[2]!);
    log.sync();
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(4);
    log.append(events[3]!);
    log.close();
    expect(readFileSync(file, 'utf8')).toBe(events.map((e) => `${JSON.stringify(e)}\n`).join(''));
    expect(readEventLog(file)).toEqual({ events, torn: false });
  });

  test('a torn last line is ignored and reported by the reader, and dropped when the log is reopened', async () => {
    const file = path.join(await tmp(), 'events.jsonl');
    const log = new EventLog(file);
    const events = [runStarted('r', 1, 2), started('a', 2)];
    for (const e of events) log.append(e);
    log.close();
    const intact = readFileSync(file, 'utf8');
    const half = JSON.stringify(finished('a', 3)).slice(0, 20);
    appendFileSync(file, half);

    expect(readEventLog(file)).toEqual({ events, torn: true });
    const reopened = new EventLog(file);
    expect(readFileSync(file, 'utf8')).toBe(intact);
    reopened.append(finished('a', 5));
    reopened.close();
    expect(readEventLog(file)).toEqual({ events: [...events, finished('a', 5)], torn: false });
  });

  test('a log that is only a torn line reopens empty', async () => {
    const file = path.join(await tmp(), 'events.jsonl');
    writeFileSync(file, '{"type":"run.sta');
    expect(readEventLog(file)).toEqual({ events: [], torn: true });
    const log = new EventLog(file);
    log.append(started('a', 1));
    log.close();
    expect(readEventLog(file)).toEqual({ events: [started('a', 1)], torn: false });
  });

  test('a damaged line in the middle is an error naming the file and line', async () => {
    const file = path.join(await tmp(), 'events.jsonl');
    writeFileSync(file, `${JSON.stringify(started('a', 1))}\n{"type":"task.fin\n${JSON.stringify(finished('a', 2))}\n`);
    const e = thrown(() => readEventLog(file));
    expect(e.code).toBe('RUN_DAMAGED');
    expect(e.location).toEqual({ file, line: 2 });
    expect(e.message).toBe(`${file}:2: the event log is damaged at line 2; it cannot be replayed`);
  });
});

describe('lockRun', () => {
  async function paths(): Promise<RunPaths> {
    const p = runPaths(await tmp(), newRunId());
    const { mkdirSync } = await import('node:fs');
    mkdirSync(p.dir, { recursive: true });
    return p;
  }

  test('a second lock on a run fails, naming the pid that holds it; once released it can be taken again', async () => {
    const p = await paths();
    const release = lockRun(p);
    expect(readDriver(p)).toMatchObject({ pid: process.pid, startTime: startTimeOf(process.pid) });
    expect(driverAlive(p)).toBe(true);
    const e = thrown(() => lockRun(p));
    expect(e.code).toBe('RUN_LOCKED');
    expect(e.message).toContain(`run ${path.basename(p.dir)} is being driven by process ${process.pid} (since `);
    release();
    expect(existsSync(p.lock)).toBe(false);
    expect(driverAlive(p)).toBe(false);
    lockRun(p)();
  });

  test('a lock held by another live process is respected; once that process is dead its lock is stale and taken over', async () => {
    const p = await paths();
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    await new Promise((r) => child.once('spawn', r));
    const pid = child.pid!;
    writeFileSync(p.lock, JSON.stringify({ pid, startTime: startTimeOf(pid), since: Date.now() }));
    expect(driverAlive(p)).toBe(true);
    expect(thrown(() => lockRun(p)).message).toContain(`is being driven by process ${pid} `);
    expect(readDriver(p)!.pid).toBe(pid);

    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    expect(driverAlive(p)).toBe(false);
    const release = lockRun(p);
    expect(readDriver(p)!.pid).toBe(process.pid);
    release();
  });

  test('a lock whose holder is a zombie nobody reaps is stale', async () => {
    const p = await paths();
    // An orphan (its shell exits at once), killed: where pid 1 never reaps, it stays a zombie.
    const out = spawnSync('/bin/sh', ['-c', 'sleep 30 >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' });
    const pid = Number(out.stdout.trim());
    const startTime = startTimeOf(pid);
    expect(startTime).toBeDefined();
    process.kill(pid, 'SIGKILL');
    expect(await waitFor(() => !isAlive(pid))).toBe(true);
    writeFileSync(p.lock, JSON.stringify({ pid, startTime, since: Date.now() }));
    lockRun(p)();
  });

  test('a lock whose pid now belongs to another process (another start time) is stale', async () => {
    const p = await paths();
    writeFileSync(p.lock, JSON.stringify({ pid: process.pid, startTime: startTimeOf(process.pid)! - 1, since: 0 }));
    expect(driverAlive(p)).toBe(false);
    const release = lockRun(p);
    expect(readDriver(p)!.startTime).toBe(startTimeOf(process.pid));
    release();
  });

  test('releasing a lock that another process has taken over leaves theirs alone', async () => {
    const p = await paths();
    const release = lockRun(p);
    const theirs = JSON.stringify({ pid: 1, since: 0 });
    writeFileSync(p.lock, theirs);
    release();
    expect(readFileSync(p.lock, 'utf8')).toBe(theirs);
  });
});

function storedPlan(root: string, ids: string[], runId = newRunId()): StoredPlan {
  return {
    version: 1,
    runId,
    createdAt: Date.now(),
    root,
    source: 'plan.yaml',
    specs: ids.map((id) => ({ id, run: 'true' })),
    options: { concurrency: 2, boost: 2, failFast: false },
  };
}

/** The state a replay gives, as state.json would hold it. */
function replayJson(paths: RunPaths, stored: StoredPlan): unknown {
  const { torn: _torn, ...state } = replayRun(paths, stored);
  return JSON.parse(JSON.stringify(runStateJson(state)));
}

describe('RunStore', () => {
  test('create: plan.json, logs/, the lock; every event in events.jsonl; state.json snapshots it; close leaves a snapshot equal to the replay', async () => {
    const root = await tmp();
    const stored = storedPlan(root, ['a', 'b', 'c']);
    const store = RunStore.create(root, stored, 20);
    const p = store.paths;
    expect(p.dir).toBe(path.join(root, '.guild', 'runs', stored.runId));
    expect(readStoredPlan(p)).toEqual(stored);
    expect(existsSync(p.logs)).toBe(true);
    expect(readDriver(p)!.pid).toBe(process.pid);
    expect(listRuns(root)).toEqual([stored.runId]);

    const events = [runStarted(stored.runId, 1, 3), started('a', 2), finished('a', 3), started('b', 4), finished('b', 5, 'failed')];
    for (const e of events) store.record(e);
    store.sync();
    expect(readEventLog(p.events).events).toEqual(events);
    // The snapshot follows within snapshotMs.
    expect(await waitFor(() => existsSync(p.state))).toBe(true);
    expect(JSON.parse(readFileSync(p.state, 'utf8'))).toEqual(JSON.parse(JSON.stringify(runStateJson(store.state))));

    store.record({ type: 'task.skipped', id: 'c', at: 6, because: 'dependency b failed' });
    store.record({ type: 'run.finished', at: 7, outcome: 'failed' });
    store.close();
    const snapshot = JSON.parse(readFileSync(p.state, 'utf8')) as { state: string; tasks: Array<{ id: string; state: string }> };
    expect(snapshot).toEqual(replayJson(p, stored));
    expect(snapshot.state).toBe('failed');
    expect(snapshot.tasks.map((t) => t.state)).toEqual(['succeeded', 'failed', 'skipped']);
    expect(existsSync(p.lock)).toBe(false);
    // Events after close are not recorded.
    store.record(started('c', 8));
    expect(readEventLog(p.events).events).toHaveLength(7);
    expect(readdirSync(p.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('a second store on a run that is being driven fails with RUN_LOCKED and touches nothing', async () => {
    const root = await tmp();
    const stored = storedPlan(root, ['a']);
    const store = RunStore.create(root, stored);
    store.record(runStarted(stored.runId, 1, 1));
    const before = readFileSync(store.paths.events, 'utf8');
    const e = thrown(() => RunStore.open(root, stored.runId));
    expect(e.code).toBe('RUN_LOCKED');
    expect(e.message).toContain(`process ${process.pid}`);
    expect(readFileSync(store.paths.events, 'utf8')).toBe(before);
    store.close();
  });

  test('open after a crash: takes over the dead driver\'s lock, replays the log, drops a torn last line', async () => {
    const root = await tmp();
    const stored = storedPlan(root, ['a', 'b']);
    const first = RunStore.create(root, stored);
    const events = [runStarted(stored.runId, 1, 2), started('a', 2), finished('a', 3), started('b', 4)];
    for (const e of events) first.record(e);
    first.close();
    // Make it look crashed: a lock left by a dead driver and half an event at the end.
    const dead = await deadPid();
    writeFileSync(first.paths.lock, JSON.stringify({ pid: dead.pid, startTime: dead.startTime, since: 0 }));
    appendFileSync(first.paths.events, JSON.stringify(finished('b', 5)).slice(0, 25));

    // (Whether open() reports the torn line is in run-store.bug.ts: it says false today.)
    const { store, stored: read } = RunStore.open(root, stored.runId);
    expect(read).toEqual(stored);
    expect(readDriver(store.paths)!.pid).toBe(process.pid);
    expect(store.state.tasks.get('a')).toMatchObject({ state: 'succeeded', attempts: 1 });
    expect(store.state.tasks.get('b')).toMatchObject({ state: 'running', attempts: 1 });
    expect(store.state.sessions).toBe(1);
    store.record(runStarted(stored.runId, 10, 2));
    store.close();
    const log = readEventLog(store.paths.events);
    expect(log).toEqual({ events: [...events, runStarted(stored.runId, 10, 2)], torn: false });
    expect(JSON.parse(readFileSync(store.paths.state, 'utf8'))).toEqual(replayJson(store.paths, stored));
    expect(store.state.sessions).toBe(2);
  });

  test('open on a run that does not exist: RUN_NOT_FOUND, nothing created', async () => {
    const root = await tmp();
    const e = thrown(() => RunStore.open(root, 'NOPE'));
    expect(e.code).toBe('RUN_NOT_FOUND');
    expect(e.message).toContain(path.join(root, '.guild', 'runs', 'NOPE'));
    expect(existsSync(path.join(root, '.guild', 'runs', 'NOPE', 'driver.lock'))).toBe(false);
  });

  test('listRuns: runs with a plan.json, oldest first (run ids sort by time)', async () => {
    const root = await tmp();
    expect(listRuns(root)).toEqual([]);
    const ids = [newRunId(Date.now() + 5000), newRunId(Date.now() - 5000), newRunId(Date.now())];
    for (const id of ids) RunStore.create(root, storedPlan(root, ['a'], id)).close();
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(root, '.guild', 'runs', '0000000000JUNK'));
    expect(listRuns(root)).toEqual([ids[1], ids[2], ids[0]]);
  });

  test('state.json is replaced atomically: a reader in another process never sees a partial file', async () => {
    const root = await tmp();
    const ids = Array.from({ length: 3000 }, (_, i) => `task-with-a-longish-name-${i}`);
    const stored = storedPlan(root, ids);
    const store = RunStore.create(root, stored, 60_000);
    store.writeSnapshot();
    const stop = path.join(root, 'stop');
    // Reads and parses state.json as fast as it can until told to stop; prints reads and failures.
    const reader = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('fs'); let reads = 0, bad = 0;
         fs.writeSync(1, 'ready\\n');
         while (!fs.existsSync(process.argv[2])) {
           try { JSON.parse(fs.readFileSync(process.argv[1], 'utf8')); } catch { bad++; }
           reads++;
         }
         console.log(JSON.stringify({ reads, bad }));`,
        store.paths.state,
        stop,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    reader.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    const done = new Promise((r) => reader.once('exit', r));
    expect(await waitFor(() => out.startsWith('ready\n'), 10_000)).toBe(true);
    for (let i = 0; i < 150; i++) {
      store.record(started(ids[i % ids.length]!, i));
      store.writeSnapshot();
      if (i % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    writeFileSync(stop, '');
    await done;
    store.close();
    const { reads, bad } = JSON.parse(out.slice('ready\n'.length)) as { reads: number; bad: number };
    expect(reads).toBeGreaterThanOrEqual(10);
    expect(bad).toBe(0);
    expect(readdirSync(store.paths.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('writeAtomic replaces a file\'s content and leaves no temporary file', async () => {
    const dir = await tmp();
    const file = path.join(dir, 'x.json');
    writeAtomic(file, 'one');
    writeAtomic(file, 'two');
    expect(readFileSync(file, 'utf8')).toBe('two');
    expect(readdirSync(dir)).toEqual(['x.json']);
  });
});

describe('run ids', () => {
  test('sort by the time they were made, as plain strings', () => {
    const times = [0, 1, 31, 32, 1_000, 1_700_000_000_000, 1_700_000_000_001, 4_000_000_000_000];
    const ids = times.map((t) => newRunId(t));
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{16}$/);
  });

  test('a fresh state for a stored plan has its tasks in plan order', async () => {
    const stored = storedPlan(await tmp(), ['z', 'y']);
    expect([...initialRunState(stored.runId, stored.specs.map((s) => s.id)).tasks.keys()]).toEqual(['z', 'y']);
  });
});
