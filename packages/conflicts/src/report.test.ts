import { describe, expect, it } from 'vitest';
import { createPlan, type Access, type Task } from '@guild/core';
import { LockTable, accessesConflict } from './lock-table';
import { conflictReport } from './report';
import { plan, r, random, res, task, w } from './test-support';

describe('conflictReport', () => {
  it('reports each conflicting pair once, in plan order, with a reason and key', () => {
    const p = plan([
      task('models', [w('src/models/user.ts'), w('src/models/post.ts')]),
      task('api', [w('src/api/login.ts'), r('src/models')]),
      task('api-2', [w('src/api/login.ts')]),
      task('db-1', [res('db')]),
      task('db-2', [res('db')]),
      task('reader', [r('src/api/login.ts'), res('db', true)]),
      task('everything', [w('src/**')]),
      task('docs', [w('docs'), r('src')]),
    ]);
    expect(conflictReport(p)).toEqual([
      { a: 'models', b: 'api', reason: 'api reads src/models (directory) that models writes as src/models/user.ts', key: 'src/models/user.ts' },
      { a: 'models', b: 'everything', reason: "everything writes src/** (glob) which covers models's src/models/user.ts", key: 'src/models/user.ts' },
      { a: 'models', b: 'docs', reason: 'docs reads src (directory) that models writes as src/models/user.ts', key: 'src/models/user.ts' },
      { a: 'api', b: 'api-2', reason: 'both write src/api/login.ts', key: 'src/api/login.ts' },
      { a: 'api', b: 'reader', reason: 'api writes src/api/login.ts that reader reads', key: 'src/api/login.ts' },
      { a: 'api', b: 'everything', reason: "everything writes src/** (glob) which covers api's src/models", key: 'src/models' },
      { a: 'api', b: 'docs', reason: 'docs reads src (directory) that api writes as src/api/login.ts', key: 'src/api/login.ts' },
      { a: 'api-2', b: 'reader', reason: 'api-2 writes src/api/login.ts that reader reads', key: 'src/api/login.ts' },
      { a: 'api-2', b: 'everything', reason: "everything writes src/** (glob) which covers api-2's src/api/login.ts", key: 'src/api/login.ts' },
      { a: 'api-2', b: 'docs', reason: 'docs reads src (directory) that api-2 writes as src/api/login.ts', key: 'src/api/login.ts' },
      { a: 'db-1', b: 'db-2', reason: 'both use resource db exclusively', key: 'resource:db' },
      { a: 'db-1', b: 'reader', reason: 'db-1 uses resource db exclusively while reader shares it', key: 'resource:db' },
      { a: 'db-2', b: 'reader', reason: 'db-2 uses resource db exclusively while reader shares it', key: 'resource:db' },
      { a: 'reader', b: 'everything', reason: "everything writes src/** (glob) which covers reader's src/api/login.ts", key: 'src/api/login.ts' },
      // `src/**` matches `src` itself, so it covers the directory docs reads.
      { a: 'everything', b: 'docs', reason: "everything writes src/** (glob) which covers docs's src", key: 'src' },
    ]);
  });

  it('leaves out pairs ordered by dependencies, directly or transitively', () => {
    const p = plan([
      task('schema', [w('db/schema.sql'), res('db')]),
      task('migrate', [w('db'), res('db')], { dependsOn: ['schema'] }),
      task('seed', [w('db/seed.sql')], { dependsOn: ['migrate'] }),
      task('side', [w('db/seed.sql')]),
      task('after-side', [r('db')], { dependsOn: ['side'] }),
    ]);
    const pairs = conflictReport(p).map((c) => `${c.a}~${c.b}`);
    // schema and side write different files; every other pair without an order conflicts.
    expect(pairs).toEqual(['schema~after-side', 'migrate~side', 'migrate~after-side', 'seed~side', 'seed~after-side']);
  });

  it('ignores read/read and disjoint accesses', () => {
    const p = plan([
      task('a', [r('src'), r('src/**'), w('a.txt'), res('cache', true)]),
      task('b', [r('src/x.ts'), w('b.txt'), res('cache', true)]),
      task('c', [w('src/*.js'), w('lib/**')]),
      task('d', [w('src/*.ts'), w('src/apix')]),
    ]);
    expect(conflictReport(p).map((c) => `${c.a}~${c.b}`)).toEqual(['a~c', 'a~d', 'b~d']);
  });

  it('works on a plan built by core from task specs', () => {
    const p = createPlan(
      [
        { id: 'schema', run: 'true', writes: ['db/schema.sql'], resources: ['db'] },
        { id: 'api', run: 'true', writes: ['./src/api/login.ts'], reads: ['src/models/**'], dependsOn: ['schema'] },
        { id: 'models', run: 'true', writes: ['src/models/'] },
        { id: 'seed', run: 'true', reads: ['db'], resources: ['db:shared'], dependsOn: ['api'] },
      ],
      { root: '/repo' },
    );
    // schema and seed clash on db (and db/ vs db/schema.sql) but seed runs after schema via api.
    expect(conflictReport(p)).toEqual([
      { a: 'api', b: 'models', reason: "api reads src/models/** (glob) which covers models's src/models", key: 'src/models' },
    ]);
  });

  it('is what LockTable#conflicts returns', () => {
    const p = plan([task('a', [w('x')]), task('b', [w('x/y')])]);
    expect(new LockTable().conflicts(p)).toEqual(conflictReport(p));
    expect(conflictReport(p)).toHaveLength(1);
  });

  it('agrees with a pairwise check on random plans', () => {
    const rng = random(11);
    const names = ['a', 'b', 'c', 'a.ts', 'b.js'];
    const pieces = ['*', '**', '*.ts', '{a,b}'];
    const randomAccess = (): Access => {
      if (rng.next() < 0.1) return res(rng.pick(['db', 'port']), rng.next() < 0.5);
      const parts = Array.from({ length: 1 + rng.int(3) }, () => (rng.next() < 0.15 ? rng.pick(pieces) : rng.pick(names)));
      return (rng.next() < 0.5 ? r : w)(parts.join('/'));
    };
    for (let round = 0; round < 5; round++) {
      const tasks: Task[] = [];
      for (let i = 0; i < 80; i++) {
        const deps = i > 0 && rng.next() < 0.3 ? [`t${rng.int(i)}`] : [];
        tasks.push(task(`t${i}`, Array.from({ length: 1 + rng.int(2) }, randomAccess), { dependsOn: deps }));
      }
      const p = plan(tasks);
      const expected: string[] = [];
      for (let i = 0; i < tasks.length; i++) {
        for (let j = i + 1; j < tasks.length; j++) {
          const [a, b] = [tasks[i] as Task, tasks[j] as Task];
          if (p.graph.reaches(a.id, b.id) || p.graph.reaches(b.id, a.id)) continue;
          if (a.access.some((x) => b.access.some((y) => accessesConflict(x, y) !== null))) expected.push(`${a.id}~${b.id}`);
        }
      }
      expect(expected.length).toBeGreaterThan(50);
      expect(conflictReport(p).map((c) => `${c.a}~${c.b}`)).toEqual(expected);
    }
  });

  it('handles 100,000 tasks writing 10,000 files in seconds', () => {
    const rng = random(5);
    const files = Array.from({ length: 10_000 }, (_, i) => `src/m${i % 100}/f${i}.ts`);
    const writers = new Map<string, number>();
    const tasks: Task[] = [];
    for (let i = 0; i < 100_000; i++) {
      const file = rng.pick(files);
      writers.set(file, (writers.get(file) ?? 0) + 1);
      tasks.push(task(`t${i}`, [w(file), r(`lib/shared/${i % 50}.ts`)]));
    }
    const p = plan(tasks);
    const started = performance.now();
    const report = conflictReport(p);
    const elapsed = performance.now() - started;
    let pairs = 0;
    for (const k of writers.values()) pairs += (k * (k - 1)) / 2;
    expect(report).toHaveLength(pairs);
    expect(report[0]?.reason).toMatch(/^both write src\/m\d+\/f\d+\.ts$/);
    // An all-pairs scan would take minutes; generous bound for slow CI machines.
    expect(elapsed).toBeLessThan(10_000);
  });
});
