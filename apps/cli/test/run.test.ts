/**
 * `guild run` end to end: the built binary runs real `/bin/sh` tasks that record their own
 * start and end times, and the scheduling rules are checked from those records. A recorded
 * interval lies inside the time guild really ran the task, so "never overlap" and "started
 * after its dependency ended" checked on records are sound, and overlaps seen in records are real.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  overlaps,
  peakConcurrency,
  readRecords,
  recordCmd,
  removeTestdirs,
  runGuild,
  startGuild,
  testdir,
  writeFiles,
  type Interval,
} from '@guild/test-utils';
import { STACK_FRAME, linesAbout, planYaml, runIdOf, type PlanTask } from './support.js';

afterAll(removeTestdirs);

/** Writes `tasks` (each running {@link recordCmd} unless it has its own `run`) and runs guild on them. */
async function runPlan(tasks: Array<Omit<PlanTask, 'run'> & { run?: string; seconds?: number }>, args: string[]) {
  const dir = await testdir();
  const rec = path.join(dir, 'records');
  const plan = tasks.map(({ seconds, ...t }) => ({ ...t, run: t.run ?? recordCmd(t.id, seconds ?? 0.4, rec) }));
  await writeFiles(dir, { 'plan.yaml': planYaml(plan) });
  const result = await runGuild(['run', 'plan.yaml', ...args], { cwd: dir });
  return { dir, result, records: await readRecords(rec) };
}

/** The one finished interval of a task; fails the test if it ran not exactly once or did not finish. */
function once(records: Map<string, Interval[]>, id: string): Required<Interval> {
  const runs = records.get(id) ?? [];
  expect(runs, `${id} should have run exactly once`).toHaveLength(1);
  expect(runs[0]!.end, `${id} should have finished`).toBeDefined();
  return runs[0] as Required<Interval>;
}

describe.concurrent('guild run', () => {
  it('respects dependencies and conflicts, and runs everything else in parallel', async () => {
    const { result, records } = await runPlan(
      [
        { id: 'same1', writes: ['out/same.txt'] },
        { id: 'same2', writes: ['out/same.txt'] },
        { id: 'parent', writes: ['src'] },
        { id: 'child', writes: ['src/api/login.ts'] },
        { id: 'glob', writes: ['lib/**/*.ts'] },
        { id: 'path', reads: ['lib/x/y.ts'] },
        { id: 'db1', resources: ['db'] },
        { id: 'db2', resources: ['db'] },
        { id: 'free1', reads: ['README.md'] },
        { id: 'free2', reads: ['README.md'] },
        { id: 'after', dependsOn: ['same1', 'free1'] },
        { id: 'last', dependsOn: ['after', 'db2'] },
      ],
      ['-j', '8'],
    );
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^summary: 12 succeeded · /m);

    const ids = [...records.keys()].sort();
    expect(ids).toEqual(
      ['after', 'child', 'db1', 'db2', 'free1', 'free2', 'glob', 'last', 'parent', 'path', 'same1', 'same2'].sort(),
    );
    const r = Object.fromEntries(ids.map((id) => [id, once(records, id)]));

    for (const [task, deps] of [
      ['after', ['same1', 'free1']],
      ['last', ['after', 'db2']],
    ] as const) {
      for (const dep of deps) expect(r[task]!.start, `${task} must start after ${dep} ended`).toBeGreaterThanOrEqual(r[dep]!.end);
    }
    for (const [a, b, why] of [
      ['same1', 'same2', 'both write out/same.txt'],
      ['parent', 'child', 'src covers src/api/login.ts'],
      ['glob', 'path', 'lib/**/*.ts matches lib/x/y.ts'],
      ['db1', 'db2', 'resource db is exclusive'],
    ] as const) {
      expect(overlaps(r[a]!, r[b]!), `${a} and ${b} overlapped (${why})`).toBe(false);
    }
    // Readers of one file, and tasks touching different things, run side by side.
    expect(overlaps(r.free1!, r.free2!), 'free1 and free2 should overlap').toBe(true);
    expect(peakConcurrency(Object.values(r))).toBeGreaterThanOrEqual(5);
  });

  it('never runs more than -j tasks at once, and uses all of them', async () => {
    const tasks = ['t1', 't2', 't3', 't4', 't5', 't6'].map((id) => ({ id, seconds: 0.3 }));
    const { result, records } = await runPlan(tasks, ['-j', '2']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^guild run \S+: 6 tasks, 2 slots \(\+6 for priority 0\), logs in /m);
    const intervals = tasks.map((t) => once(records, t.id));
    expect(peakConcurrency(intervals)).toBe(2);
    const wall = Math.max(...intervals.map((i) => i.end)) - Math.min(...intervals.map((i) => i.start));
    expect(wall).toBeGreaterThanOrEqual(3 * 300 - 50);
  });

  it('lets priority-0 tasks use the boost slots above -j, and no other task', async () => {
    const urgent = ['u1', 'u2', 'u3', 'u4', 'u5'].map((id) => ({ id, priority: 0, seconds: 0.4 }));
    const normal = ['n1', 'n2', 'n3'].map((id) => ({ id, seconds: 0.3 }));
    const { result, records } = await runPlan([...normal, ...urgent], ['-j', '2', '--boost', '4']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/ 8 tasks, 2 slots \(\+2 for priority 0\)/);
    const all = [...urgent, ...normal].map((t) => once(records, t.id));
    const peak = peakConcurrency(all);
    expect(peak).toBeLessThanOrEqual(4);
    expect(peak, 'priority-0 tasks should have used slots above -j 2').toBeGreaterThanOrEqual(3);
    // Every urgent task starts before any normal one (they rank first), so while a normal task
    // runs, no more than -j tasks may run in all.
    for (const n of normal) {
      const mine = once(records, n.id);
      const clipped = all
        .filter((i) => overlaps(i, mine))
        .map((i) => ({ start: Math.max(i.start, mine.start), end: Math.min(i.end, mine.end) }));
      expect(peakConcurrency(clipped), `${n.id} ran alongside too many tasks`).toBeLessThanOrEqual(2);
    }
  });

  it('skips the dependents of a failed task with the reason, runs the independent ones, exits 1', async () => {
    const dir = await testdir();
    const rec = path.join(dir, 'records');
    const { result, records } = await (async () => {
        await writeFiles(dir, {
        'plan.yaml': planYaml([
          { id: 'bad', run: recordCmd('bad', 0.1, rec, 3), priority: 1 },
          { id: 'child', run: recordCmd('child', 0.1, rec), dependsOn: ['bad'] },
          { id: 'grandchild', run: recordCmd('grandchild', 0.1, rec), dependsOn: ['child'] },
          { id: 'indep1', run: recordCmd('indep1', 0.3, rec) },
          { id: 'indep2', run: recordCmd('indep2', 0.3, rec), dependsOn: ['indep1'] },
        ]),
      });
      const res = await runGuild(['run', 'plan.yaml', '-j', '2'], { cwd: dir });
      return { result: res, records: await readRecords(rec) };
    })();
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(linesAbout(result.stdout, 'bad')).toContainEqual(
      // It printed nothing, so there is no log to point at.
      expect.stringMatching(/^bad failed in \d+ms \(exit 3\); no output$/),
    );
    expect(linesAbout(result.stdout, 'child')).toEqual(['child skipped: dependency bad failed']);
    // Further down, the reason still names the task that failed.
    expect(linesAbout(result.stdout, 'grandchild')).toEqual([expect.stringMatching(/^grandchild skipped: dependency .*\bbad failed\b/)]);
    expect(result.stdout).toMatch(/^summary: 2 succeeded, 1 failed, 2 skipped · wall \S+ · task time \S+ · speedup \d+\.\d\dx$/m);
    expect(records.has('child')).toBe(false);
    expect(records.has('grandchild')).toBe(false);
    once(records, 'bad');
    expect(once(records, 'indep2').start).toBeGreaterThanOrEqual(once(records, 'indep1').end);
  });

  it('--fail-fast starts nothing new after a failure but lets running tasks finish', async () => {
    const tasks = [
      { id: 'bad', priority: 1, seconds: 0.1 },
      { id: 'long', priority: 1, seconds: 0.8 },
      { id: 'q1', seconds: 0.1 },
      { id: 'q2', seconds: 0.1 },
      { id: 'q3', seconds: 0.1, dependsOn: ['q1'] },
    ];
    const dir = await testdir();
    const rec = path.join(dir, 'records');
    const plan = tasks.map(({ seconds, ...t }) => ({ ...t, run: recordCmd(t.id, seconds, rec, t.id === 'bad' ? 1 : 0) }));
    await writeFiles(dir, { 'plan.yaml': planYaml(plan) });

    const fast = await runGuild(['run', 'plan.yaml', '-j', '2', '--fail-fast'], { cwd: dir });
    const records = await readRecords(rec);
    expect(fast.code, fast.stdout + fast.stderr).toBe(1);
    expect([...records.keys()].sort()).toEqual(['bad', 'long']);
    once(records, 'long'); // still ran to its end
    for (const q of ['q1', 'q2', 'q3']) {
      expect(linesAbout(fast.stdout, q)).toEqual([`${q} skipped: --fail-fast: bad failed`]);
    }
    expect(fast.stdout).toMatch(/^summary: 1 succeeded, 1 failed, 3 skipped · /m);
  });

  it('without --fail-fast the same failure leaves independent tasks running', async () => {
    const dir = await testdir();
    const rec = path.join(dir, 'records');
    await writeFiles(dir, {
      'plan.yaml': planYaml([
        { id: 'bad', priority: 1, run: recordCmd('bad', 0.1, rec, 1) },
        { id: 'q1', run: recordCmd('q1', 0.1, rec) },
        { id: 'q2', run: recordCmd('q2', 0.1, rec) },
      ]),
    });
    const r = await runGuild(['run', 'plan.yaml', '-j', '1'], { cwd: dir });
    expect(r.code).toBe(1);
    const records = await readRecords(rec);
    // -j 1: q1 and q2 could only start after bad had failed.
    expect(once(records, 'q1').start).toBeGreaterThanOrEqual(once(records, 'bad').end);
    once(records, 'q2');
  });

  it('writes each task\'s output to .guild/runs/<id>/logs/<task>.log and reports every transition', async () => {
    const dir = await testdir({
      'plan.yaml': planYaml([
        { id: 'hello', run: 'echo "hello from stdout"; echo "oops from stderr" >&2' },
        { id: 'next', run: 'echo next; exit 0', dependsOn: ['hello'] },
      ]),
    });
    const r = await runGuild(['run', 'plan.yaml'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const id = runIdOf(r.stdout);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`guild run ${id}: 2 tasks, 5 slots (+3 for priority 0), logs in .guild/runs/${id}/logs`);
    const stamp = String.raw`\[\d\d:\d\d\.\d{3}\]`;
    const dur = String.raw`\d+(?:ms|\.\ds)`;
    expect(lines.slice(1, -1)).toEqual([
      expect.stringMatching(new RegExp(`^${stamp} hello started in slot 1$`)),
      expect.stringMatching(new RegExp(`^${stamp} hello succeeded in ${dur} \\(exit 0\\)$`)),
      expect.stringMatching(new RegExp(`^${stamp} next started in slot \\d$`)),
      expect.stringMatching(new RegExp(`^${stamp} next succeeded in ${dur} \\(exit 0\\)$`)),
    ]);
    expect(lines.at(-1)).toMatch(new RegExp(`^summary: 2 succeeded · wall ${dur} · task time ${dur} · speedup \\d+\\.\\d\\dx$`));

    const log = await readFile(path.join(dir, '.guild', 'runs', id, 'logs', 'hello.log'), 'utf8');
    expect(log).toContain('hello from stdout\n');
    expect(log).toContain('oops from stderr\n');
    expect(await readFile(path.join(dir, '.guild', 'runs', id, 'logs', 'next.log'), 'utf8')).toContain('next\n');
  });

  it('runs no text from the plan through a shell except its run: commands', async () => {
    const dir = await testdir();
    await writeFiles(dir, {
      // The plan file's own name and a title, env value and working folder full of shell syntax.
      '$(touch pwned-name).yaml': planYaml([
        {
          id: 'a',
          title: '$(touch pwned-title) `touch pwned-tick`; touch pwned-semi',
          run: 'printf "%s\\n" "$EVIL"',
          env: { EVIL: '$(touch pwned-env)' },
        },
      ]),
    });
    const r = await runGuild(['run', '$(touch pwned-name).yaml'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    for (const f of ['pwned-name', 'pwned-title', 'pwned-tick', 'pwned-semi', 'pwned-env']) {
      expect(existsSync(path.join(dir, f)), `${f} was created`).toBe(false);
    }
    const log = await readFile(path.join(dir, '.guild', 'runs', runIdOf(r.stdout), 'logs', 'a.log'), 'utf8');
    expect(log).toContain('$(touch pwned-env)\n');
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('stops on %s: running tasks are stopped, exit code %i', async (signal, code) => {
    const dir = await testdir();
    const rec = path.join(dir, 'records');
    await writeFiles(dir, {
      'plan.yaml': planYaml([
        { id: 'slow', run: recordCmd('slow', 20, rec) },
        { id: 'later', run: recordCmd('later', 0.1, rec), dependsOn: ['slow'] },
      ]),
    });
    const guild = startGuild(['run', 'plan.yaml'], { cwd: dir });
    await guild.waitForLine(/ slow started /);
    // The task records its start from inside its own shell; wait for that before interrupting.
    for (let i = 0; i < 100 && !(await readRecords(rec)).has('slow'); i++) await new Promise((r) => setTimeout(r, 20));
    const sentAt = Date.now();
    guild.child.kill(signal);
    const r = await guild.result;
    expect(r.code, r.stdout + r.stderr).toBe(code);
    expect(Date.now() - sentAt).toBeLessThan(5000);
    expect(r.stderr).toContain('stopping running tasks');
    expect(linesAbout(r.stdout, 'later')).toEqual(['later skipped: the run was aborted']);
    const records = await readRecords(rec);
    expect(records.get('slow')).toEqual([{ start: expect.any(Number) }]); // never reached its end
    expect(records.has('later')).toBe(false);
  });

  it('goes on quietly when the reader of its output goes away (guild run | head -1)', async () => {
    const dir = await testdir();
    const rec = path.join(dir, 'records');
    await writeFiles(dir, {
      'plan.yaml': planYaml([
        { id: 'one', run: recordCmd('one', 0.2, rec) },
        { id: 'two', run: recordCmd('two', 0.2, rec), dependsOn: ['one'] },
      ]),
    });
    const guild = startGuild(['run', 'plan.yaml'], { cwd: dir });
    await guild.waitForLine(/^guild run /);
    guild.child.stdout!.destroy();
    const r = await guild.result;
    expect(r.stderr).not.toMatch(STACK_FRAME);
    expect(r.stderr).not.toContain('EPIPE');
    expect(r.code).toBe(0);
    const records = await readRecords(rec);
    expect(once(records, 'two').start).toBeGreaterThanOrEqual(once(records, 'one').end);
  });
});
