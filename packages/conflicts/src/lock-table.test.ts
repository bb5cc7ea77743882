import { describe, expect, it } from 'vitest';
import type { Access, Blocker, Grant, Task } from '@guild/core';
import { LockTable, accessesConflict } from './lock-table';
import { plan, r, random, res, task, w } from './test-support';

/** Grants `t` or fails the test with its blockers. */
function grant(table: LockTable, t: Task): Grant {
  const result = table.tryGrant(t);
  if (!('grant' in result)) throw new Error(`${t.id} was blocked: ${JSON.stringify(result.blockers)}`);
  expect(result.grant.taskId).toBe(t.id);
  return result.grant;
}

/** The blockers of `t`, failing the test if it was granted. */
function blockers(table: LockTable, t: Task): Blocker[] {
  const result = table.tryGrant(t);
  if (!('blockers' in result)) throw new Error(`${t.id} was granted`);
  return result.blockers;
}

describe('LockTable', () => {
  it('identifies itself as the paths and resources control', () => {
    const table = new LockTable();
    expect(table.name).toBe('conflicts');
    expect(table.covers).toEqual(['paths', 'resources']);
    expect(table.mode).toBe('strict');
  });

  it('blocks a file under a held directory, and a directory over a held file', () => {
    const dirFirst = new LockTable();
    grant(dirFirst, task('dir', [w('src/api')]));
    expect(blockers(dirFirst, task('file', [w('src/api/login.ts')]))).toEqual([
      { kind: 'lock', key: 'src/api', heldBy: 'dir' },
    ]);

    const fileFirst = new LockTable();
    grant(fileFirst, task('file', [w('src/api/login.ts')]));
    expect(blockers(fileFirst, task('dir', [r('src/api')]))).toEqual([
      { kind: 'lock', key: 'src/api/login.ts', heldBy: 'file' },
    ]);
    expect(blockers(fileFirst, task('root', [r('.')]))).toEqual([
      { kind: 'lock', key: 'src/api/login.ts', heldBy: 'file' },
    ]);
  });

  it('does not block siblings that only share a string prefix', () => {
    const table = new LockTable();
    grant(table, task('api', [w('src/api')]));
    grant(table, task('apix', [w('src/apix'), w('src/api.ts')]));
    expect(table.holders()).toEqual(['api', 'apix']);
  });

  it('lets readers share and keeps writers out', () => {
    const table = new LockTable();
    grant(table, task('r1', [r('src/models')]));
    grant(table, task('r2', [r('src/models/user.ts'), r('src/**')]));
    expect(blockers(table, task('w', [w('src/models/user.ts')])).map((b) => b.kind === 'lock' && b.heldBy)).toEqual([
      'r1',
      'r2',
    ]);
    grant(table, task('other', [w('lib/x.ts')]));
  });

  it('checks globs against held paths and held globs', () => {
    const table = new LockTable();
    grant(table, task('models', [w('src/models/user.ts')]));
    grant(table, task('tests', [w('test/**/*.ts')]));
    expect(blockers(table, task('all-src', [r('src/**')]))).toEqual([
      { kind: 'lock', key: 'src/models/user.ts', heldBy: 'models' },
    ]);
    expect(blockers(table, task('test-dir', [r('test/unit')]))).toEqual([
      { kind: 'lock', key: 'test/**/*.ts', heldBy: 'tests' },
    ]);
    // Disjoint globs and unmatched paths pass.
    grant(table, task('others', [w('docs/**/*.ts'), w('src/api/*.ts'), r('lib'), w('testing/x.ts')]));
  });

  it('keeps exclusive resources exclusive and shared ones shared', () => {
    const table = new LockTable();
    grant(table, task('s1', [res('db', true)]));
    grant(table, task('s2', [res('db', true)]));
    expect(blockers(table, task('x', [res('db')]))).toEqual([
      { kind: 'lock', key: 'resource:db', heldBy: 's1' },
      { kind: 'lock', key: 'resource:db', heldBy: 's2' },
    ]);
    grant(table, task('port', [res('port:3000')]));
    expect(blockers(table, task('port-shared', [res('port:3000', true)]))).toEqual([
      { kind: 'lock', key: 'resource:port:3000', heldBy: 'port' },
    ]);
  });

  it('is all-or-nothing: a blocked task holds none of its other accesses', () => {
    const table = new LockTable();
    grant(table, task('a', [w('x.ts')]));
    expect(blockers(table, task('b', [w('y.ts'), w('x.ts'), res('db')]))).toEqual([
      { kind: 'lock', key: 'x.ts', heldBy: 'a' },
    ]);
    grant(table, task('c', [w('y.ts'), res('db')]));
    expect(table.holders()).toEqual(['a', 'c']);
  });

  it('release frees every access of the grant, once', () => {
    const table = new LockTable();
    const a = grant(table, task('a', [w('src'), res('db')]));
    grant(table, task('keep', [r('lib')]));
    expect(blockers(table, task('b', [w('src/x.ts')]))).toHaveLength(1);
    table.release(a);
    grant(table, task('b', [w('src/x.ts')]));
    grant(table, task('c', [res('db')]));
    table.release(a);
    table.release({ taskId: 'never-granted' });
    expect(blockers(table, task('d', [w('src/x.ts'), w('lib/y.ts')])).map((b) => b.kind === 'lock' && b.heldBy)).toEqual([
      'keep',
      'b',
    ]);
  });

  it('lists every distinct holder once, oldest grant first', () => {
    const table = new LockTable();
    grant(table, task('h1', [w('src/b.ts'), w('src/c.ts')]));
    grant(table, task('h2', [r('src/a.ts')]));
    grant(table, task('h3', [res('db')]));
    grant(table, task('bystander', [w('lib/a.ts')]));
    const found = blockers(table, task('big', [w('src/a.ts'), w('src'), res('db')]));
    expect(found).toEqual([
      { kind: 'lock', key: 'src/b.ts', heldBy: 'h1' },
      { kind: 'lock', key: 'src/a.ts', heldBy: 'h2' },
      { kind: 'lock', key: 'resource:db', heldBy: 'h3' },
    ]);
  });

  it('returns the existing grant when asked twice for the same task', () => {
    const table = new LockTable();
    const first = grant(table, task('a', [w('x')]));
    expect(table.tryGrant(task('a', [w('x')]))).toEqual({ grant: first });
  });

  describe('reservations', () => {
    it('hold a later conflicting task back until the reserving task starts', () => {
      const table = new LockTable();
      const holder = grant(table, task('holder', [w('src/api')]));
      const starving = task('starving', [w('src/api/login.ts')]);
      expect(blockers(table, starving)).toEqual([{ kind: 'lock', key: 'src/api', heldBy: 'holder' }]);
      table.reserve(starving);
      table.release(holder);
      // Without the reservation this would start and the reserving task could starve.
      expect(blockers(table, task('latecomer', [r('src')]))).toEqual([
        { kind: 'reserved', key: 'src/api/login.ts', by: 'starving' },
      ]);
      grant(table, task('unrelated', [w('lib')]));
      const g = grant(table, starving);
      table.release(g);
      // A grant alone keeps the reservation (another control may still refuse the task) ...
      expect(blockers(table, task('latecomer', [r('src')]))).toEqual([
        { kind: 'reserved', key: 'src/api/login.ts', by: 'starving' },
      ]);
      // ... until the scheduler drops it when the task really starts.
      table.unreserve('starving');
      grant(table, task('latecomer', [r('src')]));
    });

    it('never block the reserving task itself', () => {
      const table = new LockTable();
      const t = task('t', [w('a'), res('db')]);
      table.reserve(t);
      grant(table, t);
    });

    it('let the earliest reservation win', () => {
      const table = new LockTable();
      const holder = grant(table, task('holder', [w('x')]));
      const first = task('first', [w('x')]);
      const second = task('second', [w('x/y')]);
      table.reserve(first);
      table.reserve(second);
      table.release(holder);
      expect(blockers(table, second)).toEqual([{ kind: 'reserved', key: 'x', by: 'first' }]);
      grant(table, first);
      table.unreserve('first');
      expect(blockers(table, second)).toEqual([{ kind: 'lock', key: 'x', heldBy: 'first' }]);
    });

    it('keep the original place in line when a task reserves again', () => {
      const table = new LockTable();
      const first = task('first', [w('x')]);
      const second = task('second', [w('x')]);
      table.reserve(first);
      table.reserve(second);
      table.reserve(first);
      expect(blockers(table, second)).toEqual([{ kind: 'reserved', key: 'x', by: 'first' }]);
    });

    it('cannot deadlock: of two mutual reservations the earlier is granted', () => {
      const table = new LockTable();
      const b = task('b', [w('x'), w('y')]);
      const c = task('c', [w('y'), w('x')]);
      table.reserve(b);
      table.reserve(c);
      expect(blockers(table, c)).toEqual([{ kind: 'reserved', key: 'y', by: 'b' }]);
      const gb = grant(table, b);
      table.unreserve('b');
      expect(blockers(table, c)).toEqual([{ kind: 'lock', key: 'y', heldBy: 'b' }]);
      table.release(gb);
      grant(table, c);
    });

    it('report locks before reservations', () => {
      const table = new LockTable();
      grant(table, task('holder', [w('a')]));
      table.reserve(task('waiting', [w('b')]));
      expect(blockers(table, task('t', [w('b'), w('a')]))).toEqual([
        { kind: 'lock', key: 'a', heldBy: 'holder' },
        { kind: 'reserved', key: 'b', by: 'waiting' },
      ]);
    });

    it('stop blocking once dropped with unreserve', () => {
      const table = new LockTable();
      table.reserve(task('gave-up', [res('db')]));
      expect(blockers(table, task('t', [res('db', true)]))).toEqual([
        { kind: 'reserved', key: 'resource:db', by: 'gave-up' },
      ]);
      table.unreserve('gave-up');
      table.unreserve('gave-up');
      grant(table, task('t', [res('db', true)]));
    });
  });

  describe('advisory mode', () => {
    it('grants conflicting tasks and ignores reservations', () => {
      const table = new LockTable({ mode: 'advisory' });
      expect(table.mode).toBe('advisory');
      table.reserve(task('r', [w('.')]));
      grant(table, task('a', [w('src'), res('db')]));
      grant(table, task('b', [w('src/x.ts'), res('db')]));
      expect(table.holders()).toEqual(['a', 'b']);
    });

    it('still reports conflicts', () => {
      const table = new LockTable({ mode: 'advisory' });
      const p = plan([task('a', [w('src')]), task('b', [r('src/x.ts')])]);
      expect(table.conflicts(p)).toEqual([
        { a: 'a', b: 'b', reason: 'a writes src (directory) that b reads as src/x.ts', key: 'src/x.ts' },
      ]);
    });
  });

  it('rejects unknown options and modes', () => {
    expect(() => new LockTable({ mode: 'lenient' as never })).toThrow(/"mode" must be "strict" or "advisory".*lenient/);
    expect(() => new LockTable({ strict: true } as never)).toThrow(/unknown option "strict"; accepted options: mode/);
  });
});

/*
 * The indexed table against the simplest correct model: a list of holders, each checked
 * pairwise with accessesConflict. Thousands of random grants, releases and reservations over
 * a small tree, so overlaps are frequent.
 */
describe('LockTable against a brute-force model', () => {
  const segments = ['a', 'b', 'c', 'ab', 'a.ts', 'b.js'];
  const globPieces = ['*', '**', '*.ts', '*.js', 'a*', '{a,b}', '[ab]'];

  function randomAccess(rng: ReturnType<typeof random>): Access {
    const roll = rng.next();
    if (roll < 0.08) return res(rng.pick(['db', 'port', 'cache']), rng.next() < 0.5);
    const depth = 1 + rng.int(4);
    const parts = Array.from({ length: depth }, () => (rng.next() < 0.15 ? rng.pick(globPieces) : rng.pick(segments)));
    const path = roll < 0.085 ? '.' : parts.join('/');
    const glob = path !== '.' && parts.some((p) => globPieces.includes(p));
    return { kind: 'path', path, mode: rng.next() < 0.5 ? 'read' : 'write', glob };
  }

  const conflictsWith = (mine: readonly Access[], theirs: readonly Access[]): boolean =>
    mine.some((x) => theirs.some((y) => accessesConflict(x, y) !== null));

  it.each([1, 2, 3])('agrees on every decision (seed %i)', (seed) => {
    const rng = random(seed);
    const table = new LockTable();
    const held = new Map<string, Task>();
    const reserved = new Map<string, { seq: number; task: Task }>();
    let reserveSeq = 0;
    let granted = 0;
    let blocked = 0;
    for (let step = 0; step < 4000; step++) {
      const op = rng.next();
      if (op < 0.3) {
        if (held.size === 0) continue;
        const id = rng.pick([...held.keys()]);
        table.release({ taskId: id });
        held.delete(id);
        continue;
      }
      const id = `t${rng.int(120)}`;
      if (held.has(id)) continue;
      const accesses = Array.from({ length: 1 + rng.int(3) }, () => randomAccess(rng));
      const t = task(id, accesses);
      if (op < 0.32) {
        // A reservation keeps its place in line but takes the task's current accesses.
        const previous = reserved.get(id);
        reserved.set(id, { seq: previous?.seq ?? ++reserveSeq, task: t });
        table.reserve(t);
        continue;
      }
      if (op < 0.36) {
        if (reserved.size === 0) continue;
        const gone = rng.pick([...reserved.keys()]);
        reserved.delete(gone);
        table.unreserve(gone);
        continue;
      }
      const own = reserved.get(id)?.seq ?? Infinity;
      const expectedLocks = [...held.values()].filter((h) => conflictsWith(accesses, h.access)).map((h) => h.id);
      const expectedReserved = [...reserved.entries()]
        .filter(([other, rv]) => other !== id && rv.seq < own && conflictsWith(accesses, rv.task.access))
        .sort((x, y) => x[1].seq - y[1].seq)
        .map(([other]) => other);
      const result = table.tryGrant(t);
      if ('grant' in result) {
        expect(expectedLocks, `step ${step}: ${id} granted`).toEqual([]);
        expect(expectedReserved, `step ${step}: ${id} granted`).toEqual([]);
        held.set(id, t);
        // As the scheduler does when a granted task starts.
        reserved.delete(id);
        table.unreserve(id);
        granted++;
      } else {
        const locks = result.blockers.flatMap((b) => (b.kind === 'lock' ? [b.heldBy] : []));
        const byReservation = result.blockers.flatMap((b) => (b.kind === 'reserved' ? [b.by] : []));
        expect(locks, `step ${step}: locks on ${id}`).toEqual(expectedLocks);
        expect(byReservation, `step ${step}: reservations on ${id}`).toEqual(expectedReserved);
        for (const b of result.blockers) {
          const holder = b.kind === 'lock' ? held.get(b.heldBy) : b.kind === 'reserved' ? reserved.get(b.by)?.task : undefined;
          expect(holder?.access.some((a) => (a.kind === 'resource' ? `resource:${a.name}` : a.path) === (b as { key: string }).key)).toBe(true);
        }
        blocked++;
      }
      expect(table.holders()).toEqual([...held.keys()]);
    }
    // Both outcomes must be common, or the comparison says little.
    expect(granted).toBeGreaterThan(200);
    expect(blocked).toBeGreaterThan(200);
  });
});
