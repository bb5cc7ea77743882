import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import type { Access } from '@guild/core';
import { accessesConflict } from './lock-table';
import { describeConflict, globOverlapsPath, globsOverlap, pathsOverlap } from './paths';
import { r, random, res, w } from './test-support';

const clash = (a: Access, b: Access): boolean => accessesConflict(a, b) !== null;

describe('plain paths', () => {
  it('a directory conflicts with a file below it, whichever side holds which', () => {
    expect(accessesConflict(w('src/api'), w('src/api/login.ts'))).toBe(
      'a writes src/api (directory) that b writes as src/api/login.ts',
    );
    expect(accessesConflict(w('src/api/login.ts'), w('src/api'))).toBe(
      'b writes src/api (directory) that a writes as src/api/login.ts',
    );
    expect(accessesConflict(w('src/models/user.ts'), r('src/models'))).toBe(
      'b reads src/models (directory) that a writes as src/models/user.ts',
    );
    expect(clash(r('src'), w('src/a/b/c/d.ts'))).toBe(true);
  });

  it('the root `.` covers every path', () => {
    expect(clash(w('.'), r('deep/down/file.ts'))).toBe(true);
    expect(clash(r('deep/down/file.ts'), w('.'))).toBe(true);
    expect(clash(w('.'), w('src/**'))).toBe(true);
  });

  it('siblings sharing a string prefix but not a segment do not conflict', () => {
    expect(accessesConflict(w('src/api'), w('src/apix'))).toBeNull();
    expect(accessesConflict(w('src/apix/a.ts'), w('src/api'))).toBeNull();
    expect(accessesConflict(w('src/api.ts'), w('src/api'))).toBeNull();
    expect(pathsOverlap('a/b', 'a/bc')).toBe(false);
    expect(pathsOverlap('a/b', 'a/b/c')).toBe(true);
  });

  it('read/read never conflicts; read/write and write/write do', () => {
    expect(accessesConflict(r('src/api.ts'), r('src/api.ts'))).toBeNull();
    expect(accessesConflict(r('src'), r('src/api.ts'))).toBeNull();
    expect(accessesConflict(r('src/**'), r('src/x.ts'))).toBeNull();
    expect(accessesConflict(w('src/api/login.ts'), w('src/api/login.ts'))).toBe('both write src/api/login.ts');
    expect(accessesConflict(r('x.ts'), w('x.ts'))).toBe('a reads x.ts that b writes');
    expect(accessesConflict(w('x.ts'), r('x.ts'), ['api', 'web'])).toBe('api writes x.ts that web reads');
  });
});

describe('glob vs path', () => {
  it('conflicts when the glob matches the path', () => {
    expect(accessesConflict(w('src/**'), w('src/api/x.ts'))).toBe("a writes src/** (glob) which covers b's src/api/x.ts");
    expect(clash(r('src/*.ts'), w('src/a.ts'))).toBe(true);
    expect(clash(w('src/[ab].ts'), r('src/b.ts'))).toBe(true);
    expect(clash(w('src/**'), r('src/.env'))).toBe(true);
  });

  it('conflicts when the glob matches an ancestor of the path', () => {
    expect(accessesConflict(w('src/a/b.ts'), r('src/*'))).toBe("b reads src/* (glob) which covers a's src/a/b.ts");
    expect(clash(w('{src,lib}/*'), r('lib/util/x.ts'))).toBe(true);
  });

  it('conflicts when the path is an ancestor of something the glob could match', () => {
    expect(accessesConflict(r('src'), w('src/models/**'))).toBe(
      'a reads src (directory) that b writes as src/models/** (glob)',
    );
    expect(clash(w('src/api'), r('src/*/x.ts'))).toBe(true);
    expect(clash(w('src'), r('**/*.test.ts'))).toBe(true);
    // A path may be a directory, so `src/a.ts` could hold `src/a.ts/x.test.ts`.
    expect(clash(w('src/a.ts'), r('**/*.test.ts'))).toBe(true);
  });

  it('does not conflict when the glob can match nothing at, above or below the path', () => {
    expect(accessesConflict(w('lib'), w('src/**'))).toBeNull();
    expect(accessesConflict(w('src/apix'), w('src/api/**'))).toBeNull();
    expect(accessesConflict(w('src/web'), w('src/api/**'))).toBeNull();
    expect(accessesConflict(w('src/a.js'), w('src/*.ts'))).toBeNull();
    expect(accessesConflict(w('src/c.ts'), w('src/[ab].ts'))).toBeNull();
    expect(accessesConflict(w('app/x.ts'), w('{src,lib}/x.ts'))).toBeNull();
  });

  it('expands braces that span segments', () => {
    expect(globOverlapsPath('{src/a,lib}/x', 'src/a/x')).toBe(true);
    expect(globOverlapsPath('{src/a,lib}/x', 'src')).toBe(true);
    expect(globOverlapsPath('{src/a,lib}/x', 'src/b')).toBe(false);
    expect(globOverlapsPath('{src/a,lib}/x', 'lib/y')).toBe(false);
  });

  it('treats a negated glob as covering everything', () => {
    expect(clash(w('!src/**'), r('lib/a.ts'))).toBe(true);
  });
});

describe('glob vs glob', () => {
  it('overlap when they can match the same path or one a path below the other', () => {
    expect(accessesConflict(w('src/**'), r('src/api/*.ts'))).toBe(
      "a writes src/** (glob) which may overlap b's src/api/*.ts (glob)",
    );
    expect(clash(w('src/*/x.ts'), w('src/api/**'))).toBe(true);
    expect(clash(w('src/*'), w('src/a/b/*.ts'))).toBe(true);
    expect(accessesConflict(w('src/**'), w('src/**'))).toBe('both write src/** (glob)');
    expect(clash(w('{a,b}/x'), w('b/*'))).toBe(true);
  });

  it('are disjoint with different literal segments at the same depth before any **', () => {
    expect(accessesConflict(w('src/**'), w('lib/**'))).toBeNull();
    expect(accessesConflict(w('src/a/*'), w('src/b/*'))).toBeNull();
    expect(accessesConflict(w('src/**/x'), w('lib/**'))).toBeNull();
    expect(accessesConflict(w('{a,b}/x'), w('c/*'))).toBeNull();
  });

  it('are disjoint when literal prefixes or suffixes of a segment cannot agree', () => {
    expect(accessesConflict(w('src/*.ts'), w('src/*.js'))).toBeNull();
    expect(accessesConflict(w('*.ts'), w('*.js'))).toBeNull();
    expect(accessesConflict(w('test_*'), w('src_*'))).toBeNull();
    expect(globsOverlap('a*.ts', 'ab*.ts')).toBe(true);
    expect(globsOverlap('a*.ts', 'b*.ts')).toBe(false);
  });
});

describe('resources', () => {
  it('exclusive conflicts with any use; shared only with exclusive', () => {
    expect(accessesConflict(res('db'), res('db'))).toBe('both use resource db exclusively');
    expect(accessesConflict(res('db', true), res('db'))).toBe('b uses resource db exclusively while a shares it');
    expect(accessesConflict(res('db'), res('db', true))).toBe('a uses resource db exclusively while b shares it');
    expect(accessesConflict(res('db', true), res('db', true))).toBeNull();
    expect(accessesConflict(res('db'), res('cache'))).toBeNull();
  });

  it('never conflict with paths, even one named like the resource', () => {
    expect(accessesConflict(res('db'), w('db'))).toBeNull();
    expect(accessesConflict(w('.'), res('db'))).toBeNull();
  });

  it('are keyed as resource:<name>', () => {
    expect(describeConflict(res('db'), res('db'), ['a', 'b'])?.key).toBe('resource:db');
    expect(describeConflict(w('src'), w('src/a.ts'), ['a', 'b'])?.key).toBe('src/a.ts');
  });
});

/*
 * Ground truth over a finite tree: a glob overlaps a path when some path the glob matches
 * lies at, above or below it. The tree is deep enough to hold a witness for every glob of up
 * to three segments against a path of up to two.
 */
describe('against enumeration over a finite tree', () => {
  const alphabet = ['a', 'b', 'a.ts', 'b.js'];
  const universe: string[] = [];
  let level = [''];
  for (let depth = 1; depth <= 5; depth++) {
    level = level.flatMap((p) => alphabet.map((s) => (p === '' ? s : `${p}/${s}`)));
    universe.push(...level);
  }
  const pieces = ['a', 'b', '*', '*.ts', '*.js', '**', 'a*', '[ab]', '?', '{a,b.js}', 'b.js'];
  const rng = random(7);
  const globs = Array.from({ length: 150 }, () =>
    Array.from({ length: 1 + rng.int(3) }, () => rng.pick(pieces)).join('/'),
  );
  const paths = ['.', ...universe.filter((p) => p.split('/').length <= 2)];
  const matchesOf = new Map(
    globs.map((g) => {
      const m = picomatch(g, { dot: true });
      return [g, universe.filter((p) => m(p))] as const;
    }),
  );

  it('glob vs path is exact', () => {
    let overlaps = 0;
    for (const g of globs) {
      const matches = matchesOf.get(g) ?? [];
      for (const p of paths) {
        const truth = matches.some((m) => pathsOverlap(m, p));
        expect(globOverlapsPath(g, p), `${g} vs ${p}`).toBe(truth);
        if (truth) overlaps++;
      }
    }
    // Guard against a vacuous run where nothing (or everything) overlaps.
    expect(overlaps).toBeGreaterThan(500);
    expect(overlaps).toBeLessThan(globs.length * paths.length);
  });

  it('glob vs glob never misses an overlap', () => {
    let disjoint = 0;
    for (const g1 of globs.slice(0, 60)) {
      const m1 = matchesOf.get(g1) ?? [];
      for (const g2 of globs.slice(60, 120)) {
        const m2 = matchesOf.get(g2) ?? [];
        const truth = m1.some((x) => m2.some((y) => pathsOverlap(x, y)));
        const ours = globsOverlap(g1, g2);
        if (truth) expect(ours, `${g1} vs ${g2}`).toBe(true);
        expect(globsOverlap(g2, g1)).toBe(ours);
        if (!ours) disjoint++;
      }
    }
    // The check is conservative but not trivially so: it proves some pairs disjoint.
    expect(disjoint).toBeGreaterThan(50);
  });
});
