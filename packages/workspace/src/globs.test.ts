import { describe, expect, it } from 'vitest';
import { covers, matchesGlob, undeclaredWrites, type PathAccess } from './globs';

const w = (path: string): PathAccess => ({ kind: 'path', path, mode: 'write', glob: /[*?[{]/.test(path) || path.startsWith('!') });

describe('matchesGlob', () => {
  // Each row: glob, path, whether picomatch (dot: true) matches.
  const rows: Array<[string, string, boolean]> = [
    ['src/**', 'src', true],
    ['src/**', 'src/a/b.ts', true],
    ['src/*', 'src/.env', true],
    ['src/*', 'src/a/b', false],
    ['**/*.test.ts', 'a/b/c.test.ts', true],
    ['**/*.test.ts', 'c.test.ts', true],
    ['**', 'a/.b/c', true],
    ['src/{a,b}/*.ts', 'src/b/x.ts', true],
    ['src/{a,b}/*.ts', 'src/c/x.ts', false],
    ['{a,b/c}/d', 'b/c/d', true],
    ['*.{js,ts}', 'x.ts', true],
    ['a/**/b', 'a/b', true],
    ['a/**/b', 'a/x/y/b', true],
    ['a/**/b', 'a/x/y/bb', false],
    ['file?.txt', 'file1.txt', true],
    ['file?.txt', 'file10.txt', false],
    ['src/[ab].md', 'src/b.md', true],
    ['src/[ab].md', 'src/c.md', false],
    ['\\*.md', '*.md', true],
    ['\\*.md', 'a.md', false],
    ['a.b', 'axb', false],
    ['{a}', '{a}', true],
  ];
  for (const [glob, path, expected] of rows) {
    it(`${glob} ${expected ? 'matches' : 'does not match'} ${path}`, () => {
      expect(matchesGlob(glob, path)).toBe(expected);
    });
  }

  it('negates classes with ! or ^', () => {
    expect(matchesGlob('src/[!a]*.md', 'src/b.md')).toBe(true);
    expect(matchesGlob('src/[^a]*.md', 'src/a.md')).toBe(false);
  });
});

describe('covers', () => {
  it('covers a path, everything below a folder, and everything below what a glob matches', () => {
    expect(covers(w('src/a.ts'), 'src/a.ts')).toBe(true);
    expect(covers(w('src'), 'src/deep/a.ts')).toBe(true);
    expect(covers(w('src'), 'srcx/a.ts')).toBe(false);
    expect(covers(w('.'), 'anything/at/all')).toBe(true);
    expect(covers(w('src/*'), 'src/api/x.ts')).toBe(true); // matches the folder src/api
    expect(covers(w('src/*.ts'), 'src/api/x.js')).toBe(false);
    expect(covers(w('!src/**'), 'lib/x')).toBe(true);
  });
});

describe('undeclaredWrites', () => {
  it('lists changed files no declared write covers, relative to the plan folder', () => {
    const changed = ['pkg/src/a.ts', 'pkg/README.md', 'other/x.ts', 'pkg/.env'];
    expect(undeclaredWrites(changed, [w('src'), w('*.md')], 'pkg')).toEqual(['other/x.ts', 'pkg/.env']);
    expect(undeclaredWrites(['a', 'b/c'], [w('b')], '')).toEqual(['a']);
    expect(undeclaredWrites(['a'], [], '')).toEqual(['a']);
  });
});
