/**
 * Durable runs end to end, with the built binary, real `/bin/sh` tasks and real signals: a
 * driver killed with SIGKILL mid-run and resumed (also with a torn event log), a second driver
 * on a running run, timeouts that must leave nothing running, retries with back-off, and
 * resuming after an abort or a failure. Everything is checked from the tasks' own side effects
 * (files they append to, pids they write), not only from what guild says about itself.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive, readEventLog, runPaths } from '@guild/core';
import {
  readRecords,
  recordCmd,
  removeTestdirs,
  testdir,
  waitFor,
  writeFiles,
} from '@guild/test-utils';
import {
  at,
  eventsOf,
  guild,
  holdCmd,
  killTagged,
  linesOf,
  planText,
  readTicker,
  runIdFrom,
  show,
  startTagged,
  statusJson,
  taskOf,
  tickerCmd,
  waitGone,
  type DurableTask,
} from './durable-support.js';

afterAll(async () => {
  killTagged();
  await removeTestdirs();
});

/** Quick tasks, two long tickers behind them, and a task after one ticker. */
function crashPlan(out: string): DurableTask[] {
  const quick = (id: string, dependsOn?: string[]) => ({ id, run: `echo $$ >> '${out}/${id}'`, dependsOn });
  return [
    quick('q1'),
    quick('q2'),
    quick('q3'),
    quick('q4', ['q1']),
    { id: 'long1', run: tickerCmd(`${out}/long1`), dependsOn: ['q2', 'q3', 'q4'] },
    { id: 'long2', run: tickerCmd(`${out}/long2`), dependsOn: ['q2', 'q3', 'q4'] },
    quick('after', ['long1']),
  ];
}

/**
 * Starts the crash plan, waits until every quick task has succeeded (as the driver printed,
 * so its events are in the log) and both tickers tick, then kills the driver with SIGKILL.
 */
async function startAndCrash() {
  const dir = await testdir();
  const out = at(dir, 'out');
  await mkdir(out);
  await writeFiles(dir, { 'plan.yaml': planText(crashPlan(out)) });
  const driver = startTagged(['run', 'plan.yaml', '-j', '4'], dir);
  const runId = runIdFrom(await driver.waitForLine(/^guild run /));
  for (const q of ['q1', 'q2', 'q3', 'q4']) await driver.waitForLine(new RegExp(`\\] ${q} succeeded `));
  await driver.waitForLine(/\] long1 started /);
  await driver.waitForLine(/\] long2 started /);
  await waitFor('both tickers to tick', () =>
    ['long1', 'long2'].every((t) => (readTicker(at(out, t))[0]?.ticks.length ?? 0) >= 2),
  );
  const killedAt = Date.now();
  driver.child.kill('SIGKILL');
  const dead = await driver.result;
  expect(dead.signal).toBe('SIGKILL');
  return { dir, out, runId, driverPid: driver.child.pid!, killedAt };
}

describe.concurrent('a driver killed mid-run (SIGKILL), then guild run --resume', () => {
  it('status says crashed; resume runs each task to completion, finished ones exactly once, interrupted ones again after their leftovers were killed', async () => {
    const { dir, out, runId, driverPid, killedAt } = await startAndCrash();

    // The tasks the dead driver started are orphans now, still running.
    const old = { long1: readTicker(at(out, 'long1'))[0]!, long2: readTicker(at(out, 'long2'))[0]! };
    expect(isAlive(old.long1.pid) && isAlive(old.long2.pid), 'the orphaned tickers should still run').toBe(true);

    const text = await guild(['status', runId], dir);
    expect(text.code, show(text)).toBe(0);
    expect(text.stdout).toContain(`run ${runId}: crashed (its driver, process ${driverPid}, is gone; "guild run --resume ${runId}" continues it)`);
    const crashed = await statusJson(dir, runId);
    expect(crashed).toMatchObject({ state: 'crashed', driver: { pid: driverPid, alive: false }, sessions: 1, tornLog: false });
    expect(taskOf(crashed, 'q4')).toMatchObject({ state: 'succeeded', attempts: 1 });
    expect(taskOf(crashed, 'long1')).toMatchObject({ state: 'running', attempts: 1 });
    expect(taskOf(crashed, 'after')).toMatchObject({ state: 'pending', attempts: 0 });
    expect(existsSync(runPaths(dir, runId).summary), 'no summary.json before the run ends').toBe(false);

    const resumed = await guild(['run', '--resume', runId], dir);
    expect(resumed.code, show(resumed)).toBe(0);
    expect(resumed.stdout).toContain(`resuming run ${runId}`);
    expect(resumed.stdout).toMatch(/\] long1 started \(attempt 2\) in slot /);
    expect(resumed.stdout).toMatch(/^summary: 7 succeeded · /m);
    for (const t of ['long1', 'long2'] as const) {
      expect(resumed.stderr).toContain(`killing process ${old[t].pid} of task ${t}, left running by the crashed driver`);
    }

    // From the tasks' own side: quick tasks ran exactly once, before the crash.
    for (const q of ['q1', 'q2', 'q3', 'q4']) expect(linesOf(at(out, q)), `${q} ran ${linesOf(at(out, q)).length}x`).toHaveLength(1);
    expect(linesOf(at(out, 'after'))).toHaveLength(1);
    for (const t of ['long1', 'long2'] as const) {
      const runs = readTicker(at(out, t));
      expect(runs, `${t} should have run twice`).toHaveLength(2);
      const [first, second] = runs as [(typeof runs)[0], (typeof runs)[0]];
      expect(first.attempt).toBe(1);
      expect(first.end, `${t}'s first run should never have ended`).toBeUndefined();
      expect(second).toMatchObject({ attempt: 2, end: expect.any(Number) });
      const lastOldTick = Math.max(...first.ticks);
      // The orphan outlived its driver (so it was the resume that stopped it) ...
      expect(lastOldTick, `${t}'s first run should have gone on after the driver died`).toBeGreaterThan(killedAt + 200);
      // ... and stopped before the new attempt started.
      expect(lastOldTick, `${t}'s first run ticked after its new attempt started`).toBeLessThan(second.start);
      expect(isAlive(first.pid)).toBe(false);
    }

    const done = await statusJson(dir, runId);
    expect(done).toMatchObject({ state: 'succeeded', sessions: 2, counts: { succeeded: 7 } });
    expect(taskOf(done, 'long2')).toMatchObject({ state: 'succeeded', attempts: 2, exitCode: 0 });
    expect(taskOf(done, 'q1')).toMatchObject({ state: 'succeeded', attempts: 1 });
    expect(existsSync(runPaths(dir, runId).summary)).toBe(true);
  });

  it('with the last line of events.jsonl cut in half: status notes the torn line, resume still works and drops it', async () => {
    const { dir, out, runId } = await startAndCrash();
    const file = runPaths(dir, runId).events;
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const last = JSON.parse(lines.at(-1)!) as { type: string; id: string };
    // The tickers started last (they wait for every quick task), so the last event is a start.
    expect(last.type).toBe('task.started');
    const torn = last.id as 'long1' | 'long2';
    const other = torn === 'long1' ? 'long2' : 'long1';
    const lastLine = lines.at(-1)!;
    writeFileSync(file, `${lines.slice(0, -1).join('\n')}\n${lastLine.slice(0, Math.floor(lastLine.length / 2))}`);

    const text = await guild(['status', runId], dir);
    expect(text.code, show(text)).toBe(0);
    expect(text.stdout).toContain('crashed');
    expect(text.stdout).toContain('note: the last line of its event log was cut short (a crash mid-write) and is ignored');
    const view = await statusJson(dir, runId);
    expect(view.tornLog).toBe(true);
    // The torn task's task.started (with its pid) is lost, but task.starting, written before
    // the launch, survived: the log knows it was running, only not under which pid.
    expect(taskOf(view, torn)).toMatchObject({ state: 'running', attempts: 1 });
    expect(taskOf(view, other)).toMatchObject({ state: 'running', attempts: 1 });

    const oldTorn = readTicker(at(out, torn))[0]!;
    const resumed = await guild(['run', '--resume', runId], dir);
    expect(resumed.code, show(resumed)).toBe(0);
    // The torn task's process is not in the log: it is found by the run id in its environment.
    expect(resumed.stderr).toContain(`killing process ${oldTorn.pid},`);

    for (const q of ['q1', 'q2', 'q3', 'q4', 'after']) expect(linesOf(at(out, q)), q).toHaveLength(1);
    for (const t of [torn, other]) {
      const runs = readTicker(at(out, t));
      expect(runs, t).toHaveLength(2);
      expect(Math.max(...runs[0]!.ticks), `${t}'s first run ticked after its new attempt started`).toBeLessThan(runs[1]!.start);
      expect(runs[1]!.end).toBeDefined();
      expect(isAlive(runs[0]!.pid)).toBe(false);
    }
    expect(readTicker(at(out, other))[1]!.attempt).toBe(2);

    // The half line was dropped before new events were appended: the log reads clean.
    const log = readEventLog(file);
    expect(log.torn).toBe(false);
    expect(readFileSync(file, 'utf8')).not.toContain(lastLine.slice(0, Math.floor(lastLine.length / 2)) + '{');
    const done = await statusJson(dir, runId);
    expect(done).toMatchObject({ state: 'succeeded', tornLog: false, sessions: 2, counts: { succeeded: 7 } });
  });
});

describe.concurrent('one driver per run', () => {
  it('a second guild run --resume on a running run is refused, naming the pid that drives it, and leaves the run alone', async () => {
    const dir = await testdir();
    const rec = at(dir, 'rec');
    const release = at(dir, 'release');
    await writeFiles(dir, {
      'plan.yaml': planText([
        // Runs until the test has seen the second driver refused.
        { id: 'slow', run: holdCmd('slow', rec, release) },
        { id: 'next', run: recordCmd('next', 0.1, rec), dependsOn: ['slow'] },
      ]),
    });
    const first = startTagged(['run', 'plan.yaml'], dir);
    const runId = runIdFrom(await first.waitForLine(/^guild run /));
    await waitFor('slow to start', async () => (await readRecords(rec)).has('slow'));

    const second = await guild(['run', '--resume', runId], dir);
    expect(second.code, show(second)).toBe(2);
    expect(second.stdout).toBe('');
    expect(second.stderr).toMatch(
      new RegExp(`^guild: run ${runId} is being driven by process ${first.child.pid} \\(since \\S+\\); watch it with "guild status", or stop it with "guild abort"\\n$`),
    );
    const view = await statusJson(dir, runId);
    expect(view).toMatchObject({ state: 'running', driver: { pid: first.child.pid, alive: true } });
    expect(taskOf(view, 'slow')).toMatchObject({ state: 'running', attempts: 1 });
    await writeFile(release, '');

    // The refused driver killed nothing and ran nothing: the first run goes on undisturbed.
    const r = await first.result;
    expect(r.code, show(r)).toBe(0);
    const records = await readRecords(rec);
    expect(records.get('slow')).toEqual([{ start: expect.any(Number), end: expect.any(Number) }]);
    expect(records.get('next')).toHaveLength(1);
    expect((await statusJson(dir, runId)).sessions).toBe(1);
  });
});

describe.concurrent('timeouts', () => {
  it('kill the task and the grandchild it left in the background (SIGTERM, then SIGKILL after the grace period); the task ends timed-out', async () => {
    const dir = await testdir();
    const out = at(dir, 'out');
    await mkdir(out);
    // ( sleep & ) double-forks: the grandchild is reparented away from the task's shell.
    const hang = (id: string, prelude = '') =>
      `${prelude}( sleep 30 & echo $! > '${out}/${id}.bg' ); echo $$ > '${out}/${id}.sh'; echo waiting; sleep 30`;
    await writeFiles(dir, {
      'plan.yaml': planText([
        { id: 'hang', run: hang('hang'), timeout: '1s' },
        // Ignores SIGTERM (and so do its children): only the SIGKILL after the grace period stops it.
        { id: 'stubborn', run: hang('stubborn', "trap '' TERM; "), timeout: 1 },
        { id: 'after', run: `touch '${out}/after'`, dependsOn: ['hang'] },
        { id: 'fine', run: 'true' },
      ]),
    });
    const r = await guild(['run', 'plan.yaml'], dir);
    expect(r.code, show(r)).toBe(1);
    const runId = runIdFrom(r.stdout);
    const pids = ['hang.bg', 'hang.sh', 'stubborn.bg', 'stubborn.sh'].map((f) => Number(readFileSync(at(out, f), 'utf8')));
    await waitGone(pids, 1000);

    expect(r.stdout).toMatch(new RegExp(`\\] hang timed out in \\S+ \\(SIGTERM\\): timed out after 1s; log: \\.guild/runs/${runId}/logs/hang\\.log$`, 'm'));
    expect(r.stdout).toMatch(/\] stubborn timed out in \S+ \(SIGKILL\): timed out after 1s; log: /);
    expect(r.stdout).toMatch(/\] after skipped: dependency hang timed out$/m);
    expect(r.stdout).toMatch(/^summary: 1 succeeded, 2 timed out, 1 skipped · /m);
    expect(existsSync(at(out, 'after'))).toBe(false);

    const view = await statusJson(dir, runId);
    const h = taskOf(view, 'hang');
    const s = taskOf(view, 'stubborn');
    expect(h).toMatchObject({ state: 'timed-out', error: 'timed out after 1s' });
    expect(s).toMatchObject({ state: 'timed-out', error: 'timed out after 1s' });
    expect(h.duration!).toBeGreaterThanOrEqual(0.95);
    expect(h.duration!).toBeLessThan(3);
    // 1 s timeout + 5 s default grace before SIGKILL.
    expect(s.duration!).toBeGreaterThanOrEqual(5.9);
    expect(s.duration!).toBeLessThan(9);
  });

  it('killGrace from the config shortens the wait between SIGTERM and SIGKILL', async () => {
    const dir = await testdir({ 'guild.config.json': '{ "killGrace": 1 }' });
    const out = at(dir, 'out');
    await mkdir(out);
    await writeFiles(dir, {
      'plan.yaml': planText([
        { id: 'stubborn', run: `trap '' TERM; ( sleep 30 & echo $! > '${out}/bg' ); echo $$ > '${out}/sh'; echo waiting; sleep 30`, timeout: '500ms' },
      ]),
    });
    const r = await guild(['run', 'plan.yaml'], dir);
    expect(r.code, show(r)).toBe(1);
    expect(r.stdout).toMatch(/\] stubborn timed out in \S+ \(SIGKILL\): timed out after 0\.5s; log: /);
    await waitGone(['bg', 'sh'].map((f) => Number(readFileSync(at(out, f), 'utf8'))), 1000);
    const s = taskOf(await statusJson(dir, runIdFrom(r.stdout)), 'stubborn');
    // 0.5 s timeout + 1 s grace, far from the default 5 s.
    expect(s.duration!).toBeGreaterThanOrEqual(1.45);
    expect(s.duration!).toBeLessThan(3.5);
  });
});

/**
 * A task that fails until its `passOn`-th run; each run appends `start <n> <ms>` and
 * `end <n> <ms>` to `<out>/<id>.times` from inside its own shell.
 */
function flakyTask(id: string, out: string, passOn: number, retries: number): DurableTask {
  const f = (ext: string) => `'${out}/${id}.${ext}'`;
  return {
    id,
    retries,
    run:
      `n=$(cat ${f('n')} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${f('n')}; ` +
      `echo "start $n $(date +%s%3N)" >> ${f('times')}; echo "try $n of attempt $GUILD_ATTEMPT"; sleep 0.1; ` +
      `echo "end $n $(date +%s%3N)" >> ${f('times')}; [ $n -ge ${passOn} ]`,
  };
}

/**
 * Checks the back-off before each retry of a {@link flakyTask}: the delay guild drew (from its
 * event log) lies in [0, ceiling(n)], and the task's own clock shows it waited at least that
 * long between the end of attempt n and the start of attempt n+1, and not much longer than the
 * ceiling.
 */
function checkBackoff(dir: string, runId: string, out: string, id: string, ceilings: number[]): void {
  const starts = new Map<number, number>();
  const ends = new Map<number, number>();
  for (const line of linesOf(at(out, `${id}.times`))) {
    const [what, n, ms] = line.split(' ');
    (what === 'start' ? starts : ends).set(Number(n), Number(ms));
  }
  expect([...starts.keys()]).toEqual(Array.from({ length: ceilings.length + 1 }, (_, i) => i + 1));
  const delays = eventsOf(dir, runId).flatMap((e) => (e.type === 'task.retrying' && e.id === id ? [[e.attempt, e.delay]] : []));
  expect(delays.map(([attempt]) => attempt)).toEqual(ceilings.map((_, i) => i + 2));
  ceilings.forEach((ceiling, i) => {
    const n = i + 1;
    const delay = delays[i]![1]!;
    expect(delay, `drawn delay before attempt ${n + 1}`).toBeGreaterThanOrEqual(0);
    expect(delay, `drawn delay before attempt ${n + 1}`).toBeLessThanOrEqual(ceiling);
    // The gap between the starts minus the previous attempt's duration.
    const waited = starts.get(n + 1)! - starts.get(n)! - (ends.get(n)! - starts.get(n)!);
    expect(waited, `back-off before attempt ${n + 1}`).toBeGreaterThanOrEqual(Math.floor(delay * 1000) - 2);
    // Exit detection, spawning and shell start add a little; on a loaded machine rather more.
    expect(waited, `back-off before attempt ${n + 1}`).toBeLessThanOrEqual(ceiling * 1000 + 1000);
  });
}

describe.concurrent('retries', () => {
  it('a task failing twice then passing succeeds on attempt 3, after full-jitter back-off (defaults: base 1 s, factor 2); each attempt has its own log section', async () => {
    const dir = await testdir();
    const out = at(dir, 'out');
    await mkdir(out);
    await writeFiles(dir, {
      'plan.yaml': planText([
        flakyTask('flaky', out, 3, 3),
        { id: 'doomed', retries: 1, run: `echo "doomed $GUILD_ATTEMPT" >> '${out}/doomed'; exit 4` },
      ]),
    });
    const r = await guild(['run', 'plan.yaml'], dir);
    expect(r.code, show(r)).toBe(1);
    const runId = runIdFrom(r.stdout);
    expect(r.stdout).toMatch(/^summary: 1 succeeded, 1 failed · /m);
    expect(r.stdout).toMatch(/\] flaky will retry \(attempt 2\) in \S+$/m);
    expect(r.stdout).toMatch(/\] flaky started \(attempt 3\) in slot \d$/m);
    expect(r.stdout).toMatch(/\] flaky succeeded in /);
    checkBackoff(dir, runId, out, 'flaky', [1, 2]);

    const log = await readFile(at(runPaths(dir, runId).logs, 'flaky.log'), 'utf8');
    const sections = log.split(/^(?=--- guild: attempt \d+ at )/m).filter(Boolean);
    expect(sections.map((s) => /^--- guild: attempt (\d+) at /.exec(s)?.[1])).toEqual(['1', '2', '3']);
    sections.forEach((s, i) => expect(s).toContain(`try ${i + 1} of attempt ${i + 1}\n`));

    const view = await statusJson(dir, runId);
    expect(taskOf(view, 'flaky')).toMatchObject({ state: 'succeeded', attempts: 3, exitCode: 0 });
    expect(taskOf(view, 'doomed')).toMatchObject({ state: 'failed', attempts: 2, exitCode: 4 });
    expect(linesOf(at(out, 'doomed'))).toEqual(['doomed 1', 'doomed 2']);
  });

  it('base, factor and cap from the config bound the back-off', async () => {
    const dir = await testdir({ 'guild.config.json': '{ "retry": { "base": 0.2, "factor": 3, "cap": 0.5 } }' });
    const out = at(dir, 'out');
    await mkdir(out);
    await writeFiles(dir, { 'plan.yaml': planText([flakyTask('flaky', out, 4, 3)]) });
    const r = await guild(['run', 'plan.yaml'], dir);
    expect(r.code, show(r)).toBe(0);
    // min(cap, base * factor^(n-1)): 0.2, then 0.6 and 1.8 capped at 0.5.
    checkBackoff(dir, runIdFrom(r.stdout), out, 'flaky', [0.2, 0.5, 0.5]);
  });
});

describe.concurrent('resuming a run that did not crash', () => {
  it('after an abort, cancelled and aborted-skipped tasks run again; failures stand until --retry-failed', async () => {
    const dir = await testdir();
    const out = at(dir, 'out');
    await mkdir(out);
    const o = (f: string) => `'${out}/${f}'`;
    await writeFiles(dir, {
      'plan.yaml': planText([
        { id: 'ok', run: `echo $$ >> ${o('ok')}` },
        // Fails on its first run only.
        { id: 'bad', run: `echo run >> ${o('bad')}; [ $(wc -l < ${o('bad')}) -ge 2 ]` },
        { id: 'child', run: `echo $$ >> ${o('child')}`, dependsOn: ['bad'] },
        // Hangs on its first run only.
        { id: 'long', run: `if [ -e ${o('long')} ]; then echo again >> ${o('long')}; else echo first >> ${o('long')}; sleep 30; fi` },
        { id: 'longchild', run: `echo $$ >> ${o('longchild')}`, dependsOn: ['long'] },
      ]),
    });
    const driver = startTagged(['run', 'plan.yaml', '-j', '3'], dir);
    const runId = runIdFrom(await driver.waitForLine(/^guild run /));
    await driver.waitForLine(/\] bad failed /);
    await driver.waitForLine(/\] ok succeeded /);
    await waitFor('long to start', () => linesOf(at(out, 'long')).length === 1);
    const abort = await guild(['abort', runId], dir);
    expect(abort.code, show(abort)).toBe(0);
    const aborted = await driver.result;
    expect(aborted.code, show(aborted)).toBe(130);
    const view = await statusJson(dir, runId);
    expect(view.state).toBe('aborted');
    expect(taskOf(view, 'long').state).toBe('cancelled');
    expect(taskOf(view, 'longchild')).toMatchObject({ state: 'skipped', because: 'the run was aborted' });
    expect(taskOf(view, 'child')).toMatchObject({ state: 'skipped', because: 'dependency bad failed' });

    const again = await guild(['run', '--resume', runId], dir);
    expect(again.code, show(again)).toBe(1);
    expect(linesOf(at(out, 'long'))).toEqual(['first', 'again']);
    expect(linesOf(at(out, 'longchild'))).toHaveLength(1);
    expect(linesOf(at(out, 'ok')), 'ok succeeded before: it must not run again').toHaveLength(1);
    expect(linesOf(at(out, 'bad')), 'a failure stands without --retry-failed').toHaveLength(1);
    expect(linesOf(at(out, 'child'))).toHaveLength(0);
    const second = await statusJson(dir, runId);
    expect(second).toMatchObject({ state: 'failed', sessions: 2 });
    expect(taskOf(second, 'long')).toMatchObject({ state: 'succeeded', attempts: 2 });
    expect(taskOf(second, 'bad')).toMatchObject({ state: 'failed', attempts: 1 });

    const retried = await guild(['run', '--resume', runId, '--retry-failed'], dir);
    expect(retried.code, show(retried)).toBe(0);
    expect(linesOf(at(out, 'bad'))).toHaveLength(2);
    expect(linesOf(at(out, 'child'))).toHaveLength(1);
    for (const f of ['ok', 'longchild']) expect(linesOf(at(out, f)), f).toHaveLength(1);
    expect(linesOf(at(out, 'long'))).toHaveLength(2);
    const third = await statusJson(dir, runId);
    expect(third).toMatchObject({ state: 'succeeded', sessions: 3, counts: { succeeded: 5 } });
    expect(taskOf(third, 'bad')).toMatchObject({ state: 'succeeded', attempts: 2 });
  });
});

describe.concurrent('guild logs, guild runs', () => {
  it('logs --follow prints a running task\'s output as it comes and returns when the task ends; runs lists the project\'s runs', async () => {
    const dir = await testdir();
    await writeFiles(dir, {
      'plan.yaml': planText([
        { id: 'talker', run: 'for i in 1 2 3 4 5 6; do echo "line $i"; sleep 0.25; done' },
        { id: 'quiet', run: 'sleep 0.2', dependsOn: ['talker'] },
      ]),
    });
    const driver = startTagged(['run', 'plan.yaml'], dir);
    const runId = runIdFrom(await driver.waitForLine(/^guild run /));
    await driver.waitForLine(/\] talker started /);
    // quiet waits for talker: nothing from it yet.
    const early = await guild(['logs', runId, 'quiet'], dir);
    expect(early.code).toBe(0);
    expect(early.stderr).toBe(`guild: task quiet of run ${runId} has no output yet\n`);
    const follow = await guild(['logs', runId.slice(0, 12), 'talker', '--follow'], dir);
    const followEnded = Date.now();
    expect(follow.code, show(follow)).toBe(0);
    expect(follow.stdout).toMatch(/^--- guild: attempt 1 at \S+: for i in/);
    expect(follow.stdout).toContain(['line 1', 'line 2', 'line 3', 'line 4', 'line 5', 'line 6'].join('\n'));
    const r = await driver.result;
    expect(r.code, show(r)).toBe(0);
    const view = await statusJson(dir, runId);
    const talkerEnd = taskOf(view, 'talker').startedAt! + taskOf(view, 'talker').duration! * 1000;
    expect(followEnded, '--follow should wait for the task to end').toBeGreaterThanOrEqual(talkerEnd);

    // A task that printed nothing has no log.
    const quiet = await guild(['logs', runId, 'quiet'], dir);
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toBe('');
    expect(quiet.stderr).toBe(`guild: task quiet of run ${runId} printed nothing\n`);
    const nosuch = await guild(['logs', runId, 'nosuch'], dir);
    expect(nosuch.code).toBe(2);
    expect(nosuch.stderr).toBe(`guild: run ${runId} has no task "nosuch"; "guild status ${runId}" lists its tasks\n`);

    const second = await guild(['run', 'plan.yaml'], dir);
    const secondId = runIdFrom(second.stdout);
    expect(secondId > runId, 'run ids sort by start time').toBe(true);
    const runs = await guild(['runs', '--json'], dir);
    expect(runs.code, show(runs)).toBe(0);
    const list = JSON.parse(runs.stdout) as Array<{ runId: string; state: string; counts: Record<string, number> }>;
    expect(list.map((v) => [v.runId, v.state, v.counts.succeeded])).toEqual([
      [runId, 'succeeded', 2],
      [secondId, 'succeeded', 2],
    ]);
    // status without an id shows the newest run.
    expect((await guild(['status'], dir)).stdout).toMatch(new RegExp(`^run ${secondId}: succeeded$`, 'm'));
  });
});
