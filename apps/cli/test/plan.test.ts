/**
 * `guild plan` and `guild conflicts` end to end, against plans small enough to compute by hand.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { removeTestdirs, runGuild, testdir } from '@guild/test-utils';
import { planYaml } from './support.js';

afterAll(removeTestdirs);

/**
 * a 2s, b 3s, c 5s; c depends on a; b and c both write under out/ so they conflict.
 * -j 2: a and b start at 0; c is ready at 2 but waits for b (conflict) until 3, ends at 8.
 * Critical path a -> c = 7s; work 10s; lower bound max(7, 10/2) = 7; speedup 10/8 = 1.25.
 * -j 1: makespan 10, lower bound max(7, 10/1) = 10, speedup 1.
 */
const HAND_PLAN = planYaml([
  { id: 'a', run: 'true', estimate: '2s' },
  { id: 'b', run: 'true', estimate: 3, writes: ['out/x.txt'] },
  { id: 'c', run: 'true', estimate: '5s', dependsOn: ['a'], writes: ['out'] },
]);

describe.concurrent('guild plan', () => {
  it('--simulate shows stages, critical path, conflicts and the predicted finish', async () => {
    const dir = await testdir({ 'x.yaml': HAND_PLAN });
    const r = await runGuild(['plan', 'x.yaml', '--simulate', '-j', '2'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const out = r.stdout;
    expect(out).toMatch(/^plan x\.yaml: 3 tasks in 2 stages$/m);
    expect(out).toMatch(/^ {3}1 {2}a b$/m);
    expect(out).toMatch(/^ {3}2 {2}c$/m);
    expect(out).toMatch(/^critical path: 7\.0s {2}a -> c$/m);
    expect(out).toMatch(/^estimates: 3 from the plan$/m);
    expect(out).toMatch(/^conflicts: 1 pair not ordered by dependencies .*:\n {2}b <> c: .*out/m);
    expect(out).toMatch(/finishes in 8\.0s · lower bound 7\.0s · 10s of work · speedup 1\.25x/);
    // The schedule: c waits for b's lock, not only for a.
    expect(out).toMatch(/^ {2}slot +\d+ {2}c +3\.0s -> 8\.0s$/m);
  });

  it('--json prints one object with makespan, critical path, lower bound (seconds) and speedup', async () => {
    const dir = await testdir({ 'x.yaml': HAND_PLAN });
    const [two, one] = await Promise.all([
      runGuild(['plan', 'x.yaml', '--json', '-j', '2'], { cwd: dir }),
      runGuild(['plan', 'x.yaml', '--json', '-j', '1'], { cwd: dir }),
    ]);
    expect(two.code, two.stderr).toBe(0);
    const j2 = JSON.parse(two.stdout) as Record<string, unknown>;
    expect(j2).toMatchObject({ makespan: 8, criticalPath: 7, lowerBound: 7, speedup: 1.25, tasks: 3, concurrency: 2 });
    expect(j2.criticalPathTasks).toEqual(['a', 'c']);
    expect(j2.stages).toEqual([['a', 'b'], ['c']]);
    expect(j2.conflicts).toEqual([expect.objectContaining({ a: 'b', b: 'c' })]);
    const schedule = Object.fromEntries((j2.schedule as Array<{ id: string; start: number; end: number }>).map((s) => [s.id, [s.start, s.end]]));
    expect(schedule).toEqual({ a: [0, 2], b: [0, 3], c: [3, 8] });

    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ makespan: 10, criticalPath: 7, lowerBound: 10, speedup: 1 });
  });

  it('counts the busiest exclusive resource in the lower bound', async () => {
    // Three independent 2s tasks on one exclusive resource: no amount of slots beats 6s.
    const dir = await testdir({
      'x.yaml': planYaml(['r1', 'r2', 'r3'].map((id) => ({ id, run: 'true', estimate: 2, resources: ['db'] }))),
    });
    const r = await runGuild(['plan', 'x.yaml', '--json', '-j', '4'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ makespan: 6, criticalPath: 2, lowerBound: 6, speedup: 1 });
  });
});

/** x and y write f.txt, y after x; z writes it unordered; w reads it after z; r1, r2 only read g.txt. */
const CONFLICT_PLAN = planYaml([
  { id: 'x', run: 'true', writes: ['f.txt'] },
  { id: 'y', run: 'true', writes: ['f.txt'], dependsOn: ['x'] },
  { id: 'z', run: 'true', writes: ['f.txt'] },
  { id: 'w', run: 'true', reads: ['f.txt'], dependsOn: ['z'] },
  { id: 'r1', run: 'true', reads: ['g.txt'] },
  { id: 'r2', run: 'true', reads: ['g.txt'] },
]);
const EXPECTED_PAIRS = ['w|x', 'w|y', 'x|z', 'y|z'];
const pairKey = (a: string, b: string) => [a, b].sort().join('|');

describe.concurrent('guild conflicts', () => {
  it('--json lists every conflicting pair not ordered by dependencies, and no other', async () => {
    const dir = await testdir({ 'plan.yaml': CONFLICT_PLAN });
    const r = await runGuild(['conflicts', 'plan.yaml', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { tasks: number; conflicts: Array<{ a: string; b: string; reason: string }> };
    expect(out.tasks).toBe(6);
    expect(out.conflicts.map((c) => pairKey(c.a, c.b)).sort()).toEqual(EXPECTED_PAIRS);
    for (const c of out.conflicts) expect(c.reason).toContain('f.txt');
  });

  it('prints the pairs as text', async () => {
    const dir = await testdir({ 'plan.yaml': CONFLICT_PLAN });
    const r = await runGuild(['conflicts', 'plan.yaml'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const [head, ...pairs] = r.stdout.trimEnd().split('\n');
    expect(head).toMatch(/^4 conflicting pairs not ordered by dependencies/);
    const keys = pairs.map((line) => {
      const m = /^ {2}(\S+) <> (\S+): .*f\.txt/.exec(line);
      return m ? pairKey(m[1]!, m[2]!) : line;
    });
    expect(keys.sort()).toEqual(EXPECTED_PAIRS);
  });

  it('says so when nothing conflicts', async () => {
    const dir = await testdir({
      'plan.yaml': planYaml([
        { id: 'a', run: 'true', writes: ['a.txt'], reads: ['shared.txt'] },
        { id: 'b', run: 'true', writes: ['b.txt'], reads: ['shared.txt'] },
        { id: 'c', run: 'true', writes: ['a.txt'], dependsOn: ['a'] },
      ]),
    });
    const [text, json] = await Promise.all([
      runGuild(['conflicts', 'plan.yaml'], { cwd: dir }),
      runGuild(['conflicts', 'plan.yaml', '--json'], { cwd: dir }),
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^no conflicts/);
    expect(JSON.parse(json.stdout)).toMatchObject({ tasks: 3, conflicts: [] });
  });
});
