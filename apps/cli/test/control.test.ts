/**
 * Steering a running run from another process (`guild pause | resume | serialize | abort`) and
 * with Ctrl-C, end to end: the built binary, real `/bin/sh` tasks that record their own start
 * and end times, real signals. What the driver logged is cross-checked with what the tasks saw.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive, runPaths, type RunEvent, type RunSummary } from '@guild/core';
import {
  overlaps,
  peakConcurrency,
  readRecords,
  recordCmd,
  removeTestdirs,
  sleep,
  testdir,
  waitFor,
  writeFiles,
  type Interval,
} from '@guild/test-utils';
import {
  at,
  eventsOf,
  guild,
  holdCmd,
  killTagged,
  linesOf,
  planText,
  runIdFrom,
  show,
  startTagged,
  statusJson,
  taskOf,
  waitGone,
} from './durable-support.js';

afterAll(async () => {
  killTagged();
  await removeTestdirs();
});

/** When the driver logged a control action. */
function controlAt(events: RunEvent[], action: 'pause' | 'resume' | 'serialize' | 'abort'): number {
  const e = events.find((x) => x.type === 'run.control' && x.action === action);
  if (!e) throw new Error(`no run.control ${action} in the event log`);
  return e.at;
}

/** When the driver started each task (first attempt). */
function startedAt(events: RunEvent[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of events) if (e.type === 'task.started' && !m.has(e.id)) m.set(e.id, e.at);
  return m;
}

/** The one interval of each task; fails if one ran more or less than once. */
function onceEach(records: Map<string, Interval[]>, ids: string[]): Map<string, Required<Interval>> {
  const m = new Map<string, Required<Interval>>();
  for (const id of ids) {
    const runs = records.get(id) ?? [];
    expect(runs, `${id} should have run exactly once`).toHaveLength(1);
    expect(runs[0]!.end, `${id} should have finished`).toBeDefined();
    m.set(id, runs[0] as Required<Interval>);
  }
  return m;
}

describe.concurrent('guild pause | resume | serialize | abort from another process', () => {
  it('pause: nothing new starts while paused, running tasks finish; resume: tasks start again', async () => {
    const dir = await testdir();
    const rec = at(dir, 'rec');
    const release = at(dir, 'release');
    const short = ['s1', 's2', 's3', 's4', 's5', 's6'];
    await writeFiles(dir, {
      'plan.yaml': planText([
        // Holds one of the two slots until the test releases it, after the resume.
        { id: 'anchor', run: holdCmd('anchor', rec, release), priority: 0 },
        // Long enough that the pause lands (a CLI start-up away) before they have all run, even on a busy machine.
        ...short.map((id) => ({ id, run: recordCmd(id, 1.5, rec) })),
      ]),
    });
    const driver = startTagged(['run', 'plan.yaml', '-j', '2', '--boost', '2'], dir);
    const runId = runIdFrom(await driver.waitForLine(/^guild run /));
    await driver.waitForLine(/\] s1 started /);

    const paused = await guild(['pause', runId], dir);
    expect(paused.code, show(paused)).toBe(0);
    expect(paused.stdout).toBe(`run ${runId} paused: no new task starts; running tasks go on ("guild resume" to continue)\n`);
    await sleep(1200);
    const during = await statusJson(dir, runId);
    expect(during).toMatchObject({ state: 'running', paused: true, driver: { pid: driver.child.pid, alive: true } });
    const text = await guild(['status', runId], dir);
    expect(text.stdout).toContain(`running (process ${driver.child.pid}, paused)`);
    const resumedSentAt = Date.now();
    const resumed = await guild(['resume', runId], dir);
    expect(resumed.code, show(resumed)).toBe(0);
    expect(resumed.stdout).toBe(`run ${runId} resumed\n`);
    await driver.waitForLine(/\] s6 succeeded /);
    await writeFile(release, '');

    const r = await driver.result;
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/\] run paused$/m);
    expect(r.stdout).toMatch(/\] run resumed$/m);
    const events = eventsOf(dir, runId);
    const P = controlAt(events, 'pause');
    const R = controlAt(events, 'resume');
    expect(R - P).toBeGreaterThanOrEqual(1200);
    const started = startedAt(events);
    const records = onceEach(await readRecords(rec), ['anchor', ...short]);

    // The driver started nothing between pause and resume ...
    // (resume dispatches at once: a start in the same millisecond as the resume is after it.)
    for (const [id, t] of started) expect(t < P || t >= R, `${id} was started while the run was paused`).toBe(true);
    // ... and the tasks agree: whatever was started before the pause recorded its start soon
    // after, the rest only after the resume was sent.
    for (const [id, iv] of records) {
      if (started.get(id)! < P) expect(iv.start, id).toBeLessThan(P + 1000);
      else expect(iv.start, `${id} started during the pause`).toBeGreaterThanOrEqual(resumedSentAt);
    }
    const before = short.filter((id) => started.get(id)! < P);
    const after = short.filter((id) => started.get(id)! >= R);
    expect(after.length, 'some tasks should have waited for the resume').toBeGreaterThanOrEqual(1);
    // A short task that was running at the pause finished during it: its slot stayed free.
    expect(before.some((id) => records.get(id)!.end > P && records.get(id)!.end < resumedSentAt)).toBe(true);
    expect((await statusJson(dir, runId)).paused).toBe(false);
  });

  it('serialize: from then on at most one task runs at a time', async () => {
    const dir = await testdir();
    const rec = at(dir, 'rec');
    const release = at(dir, 'release');
    const held = ['h1', 'h2', 'h3', 'h4'];
    const rest = ['t1', 't2', 't3', 't4', 't5', 't6'];
    await writeFiles(dir, {
      'plan.yaml': planText([
        // The four held tasks rank first (they have a dependent) and fill the four slots.
        ...held.map((id) => ({ id, run: holdCmd(id, rec, release) })),
        { id: 'last', run: recordCmd('last', 0.2, rec), dependsOn: held },
        ...rest.map((id) => ({ id, run: recordCmd(id, 0.3, rec) })),
      ]),
    });
    const driver = startTagged(['run', 'plan.yaml', '-j', '4', '--boost', '4'], dir);
    const runId = runIdFrom(await driver.waitForLine(/^guild run /));
    await waitFor('four tasks to run at once', async () => peakConcurrency([...(await readRecords(rec)).values()].flat()) >= 4);
    const serialized = await guild(['serialize', runId], dir);
    expect(serialized.code, show(serialized)).toBe(0);
    expect(serialized.stdout).toBe(`run ${runId} now runs one task at a time\n`);
    const during = await statusJson(dir, runId);
    expect(during.serialized).toBe(true);
    expect((await guild(['status', runId], dir)).stdout).toContain(`running (process ${driver.child.pid}, one task at a time)`);
    await writeFile(release, '');

    const r = await driver.result;
    expect(r.code, show(r)).toBe(0);
    const events = eventsOf(dir, runId);
    const S = controlAt(events, 'serialize');
    const started = startedAt(events);
    const ids = [...held, 'last', ...rest];
    const records = onceEach(await readRecords(rec), ids);
    expect(peakConcurrency(held.map((id) => records.get(id)!)), 'the held tasks ran side by side').toBe(4);
    const late = ids.filter((id) => started.get(id)! > S);
    expect(late.sort()).toEqual(['last', ...rest].sort());
    for (const id of late) {
      for (const other of ids) {
        if (other === id) continue;
        expect(overlaps(records.get(id)!, records.get(other)!), `${id} (started after serialize) overlapped ${other}`).toBe(false);
      }
    }
  });

  it('abort: running tasks are stopped and cancelled, pending ones skipped, the driver exits 130; a finished run cannot be paused', async () => {
    const dir = await testdir();
    const rec = at(dir, 'rec');
    const out = at(dir, 'out');
    await mkdir(out);
    const long = (id: string) => `echo $$ > '${out}/${id}.pid'; ${recordCmd(id, 30, rec)}`;
    await writeFiles(dir, {
      'plan.yaml': planText([
        { id: 'long1', run: long('long1') },
        { id: 'long2', run: long('long2') },
        { id: 'later', run: recordCmd('later', 0.1, rec), dependsOn: ['long1'] },
        { id: 'queued1', run: recordCmd('queued1', 0.1, rec) },
        { id: 'queued2', run: recordCmd('queued2', 0.1, rec) },
      ]),
      // A long grace period, so that ending well before it shows the tasks died of the SIGTERM.
      'guild.config.json': '{ "killGrace": 30 }',
    });
    const driver = startTagged(['run', 'plan.yaml', '-j', '2', '--boost', '2'], dir);
    const runId = runIdFrom(await driver.waitForLine(/^guild run /));
    await waitFor('both long tasks to start', async () => {
      const r = await readRecords(rec);
      return r.has('long1') && r.has('long2');
    });
    const pids = ['long1', 'long2'].map((id) => Number(readFileSync(at(out, `${id}.pid`), 'utf8')));
    const sentAt = Date.now();
    const abort = await guild(['abort', runId], dir);
    expect(abort.code, show(abort)).toBe(0);
    expect(abort.stdout).toBe(`run ${runId} aborting: running tasks are being stopped\n`);

    const r = await driver.result;
    expect(r.code, show(r)).toBe(130);
    expect(Date.now() - sentAt, 'the tasks die on SIGTERM; no need to wait for the grace period').toBeLessThan(15_000);
    await waitGone(pids, 1000);
    for (const id of ['later', 'queued1', 'queued2']) expect(r.stdout).toMatch(new RegExp(`\\] ${id} skipped: the run was aborted$`, 'm'));
    expect(r.stdout).toMatch(/^summary: 0 succeeded, 2 cancelled, 3 skipped · /m);
    const records = await readRecords(rec);
    expect([...records.keys()].sort()).toEqual(['long1', 'long2']);
    for (const id of ['long1', 'long2']) expect(records.get(id)![0]!.end, `${id} should never have reached its end`).toBeUndefined();

    const view = await statusJson(dir, runId);
    expect(view.state).toBe('aborted');
    expect(taskOf(view, 'long1').state).toBe('cancelled');
    expect(taskOf(view, 'queued1')).toMatchObject({ state: 'skipped', because: 'the run was aborted' });
    const summaryFile = runPaths(dir, runId).summary;
    expect(existsSync(summaryFile)).toBe(true);
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as RunSummary;
    expect(summary).toMatchObject({ outcome: 'aborted', counts: { cancelled: 2, skipped: 3, succeeded: 0 } });

    for (const action of ['pause', 'abort']) {
      const late = await guild([action, runId], dir);
      expect(late.code, show(late)).toBe(2);
      expect(late.stdout).toBe('');
      expect(late.stderr).toBe(`guild: run ${runId} is not running (it is aborted); nothing to ${action}\n`);
    }
  });

  it('guild pause on a run that finished exits 2 with a clear message', async () => {
    const dir = await testdir({ 'plan.yaml': planText([{ id: 'a', run: 'true' }]) });
    const r = await guild(['run', 'plan.yaml'], dir);
    expect(r.code, show(r)).toBe(0);
    const runId = runIdFrom(r.stdout);
    for (const ref of [runId, undefined]) {
      const p = await guild(ref ? ['pause', ref] : ['pause'], dir);
      expect(p.code, show(p)).toBe(2);
      expect(p.stdout).toBe('');
      expect(p.stderr).toBe(`guild: run ${runId} is not running (it is succeeded); nothing to pause\n`);
    }
  });
});

describe.concurrent('Ctrl-C', () => {
  it('once: SIGTERM to each running task\'s process group, the task may clean up, exit 130', async () => {
    const dir = await testdir();
    const out = at(dir, 'out');
    await mkdir(out);
    await writeFiles(dir, {
      'plan.yaml': planText([
        {
          id: 'polite',
          // Cleans up on SIGTERM and exits as a terminated process does.
          run: `trap 'echo cleaned up >> "${out}/polite"; exit 143' TERM; echo $$ > '${out}/polite.pid'; while :; do sleep 0.1; done`,
        },
        { id: 'next', run: `touch '${out}/next'`, dependsOn: ['polite'] },
      ]),
    });
    const driver = startTagged(['run', 'plan.yaml'], dir);
    await waitFor('polite to start', () => existsSync(at(out, 'polite.pid')));
    const pid = Number(readFileSync(at(out, 'polite.pid'), 'utf8'));
    const sentAt = Date.now();
    driver.child.kill('SIGINT');
    const r = await driver.result;
    expect(r.code, show(r)).toBe(130);
    expect(Date.now() - sentAt, 'should not have waited for the SIGKILL grace period').toBeLessThan(3000);
    expect(r.stderr).toContain('guild: Ctrl-C: stopping running tasks (Ctrl-C again to kill them at once)');
    expect(linesOf(at(out, 'polite'))).toEqual(['cleaned up']);
    expect(r.stdout).toMatch(/\] polite cancelled in \S+ \(exit 143\); log: /);
    expect(r.stdout).toMatch(/\] next skipped: the run was aborted$/m);
    expect(existsSync(at(out, 'next'))).toBe(false);
    await waitGone([pid], 1000);
  });

  it('SIGHUP (the terminal went away): the run is aborted as with SIGTERM, nothing left running, exit 129', async () => {
    const dir = await testdir();
    const out = at(dir, 'out');
    await mkdir(out);
    await writeFiles(dir, {
      'plan.yaml': planText([{ id: 'looping', run: `echo $$ > '${out}/looping.pid'; while :; do sleep 0.1; done` }]),
    });
    const driver = startTagged(['run', 'plan.yaml'], dir);
    await waitFor('looping to start', () => existsSync(at(out, 'looping.pid')));
    const pid = Number(readFileSync(at(out, 'looping.pid'), 'utf8'));
    driver.child.kill('SIGHUP');
    const r = await driver.result;
    expect(r.code, show(r)).toBe(129);
    expect(r.stdout).toMatch(/\] looping cancelled in /);
    await waitGone([pid], 2000);
  });

  it('twice quickly: a task that traps SIGTERM and keeps running is killed at once', async () => {
    const dir = await testdir();
    const out = at(dir, 'out');
    await mkdir(out);
    await writeFiles(dir, {
      'plan.yaml': planText([
        {
          id: 'stubborn',
          run: `trap 'echo got TERM >> "${out}/stubborn"' TERM; echo $$ > '${out}/stubborn.pid'; while :; do sleep 0.1; done`,
        },
      ]),
    });
    const driver = startTagged(['run', 'plan.yaml'], dir);
    await waitFor('stubborn to start', () => existsSync(at(out, 'stubborn.pid')));
    const pid = Number(readFileSync(at(out, 'stubborn.pid'), 'utf8'));
    driver.child.kill('SIGINT');
    // The first Ctrl-C sent SIGTERM to the task's group: the task saw it, and lives on.
    await waitFor('the task to see SIGTERM', () => linesOf(at(out, 'stubborn')).includes('got TERM'), { timeoutMs: 3000 });
    await sleep(200);
    expect(isAlive(pid), 'the stubborn task should survive SIGTERM').toBe(true);
    const secondAt = Date.now();
    driver.child.kill('SIGINT');
    const r = await driver.result;
    const tookMs = Date.now() - secondAt;
    expect(r.code, show(r)).toBe(130);
    expect(isAlive(pid), 'the task should be gone right after the second Ctrl-C').toBe(false);
    expect(tookMs, 'the second Ctrl-C should not wait for the 5 s grace period').toBeLessThan(2500);
    expect(r.stdout).toMatch(/\] stubborn cancelled in \S+ \(SIGKILL\)/);
    expect(r.stdout).toMatch(/^summary: 0 succeeded, 1 cancelled · /m);
  });
});
