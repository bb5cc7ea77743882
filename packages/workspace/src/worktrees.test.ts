import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, gitRepo, isolateGit, removeTestdirs } from '@guild/test-utils';
import { integrationBranch, taskSlug } from './worktrees';

beforeAll(isolateGit);
afterAll(removeTestdirs);

describe('task branch names', () => {
  it('keep plain task ids and make the others valid, distinct branch names', async () => {
    const repo = await gitRepo({ 'a.txt': 'a\n' });
    expect(taskSlug('api-login')).toBe('api-login');
    expect(taskSlug('v1.2_build')).toBe('v1.2_build');
    const odd = ['db:migrate', 'db-migrate', 'a..b', 'x.lock', 'end.'];
    const slugs = odd.map(taskSlug);
    expect(new Set(slugs).size).toBe(odd.length);
    expect(slugs[0]).toMatch(/^db-migrate-[0-9a-f]{6}$/);
    for (const slug of slugs) {
      // git itself accepts each as a branch name.
      expect(() => git(repo, 'check-ref-format', '--branch', `${integrationBranch('01ABC')}-${slug}`)).not.toThrow();
    }
  });
});
