/**
 * Throwaway git repositories for tests, independent of the machine's and the user's git
 * configuration.
 */
import { execFileSync } from 'node:child_process';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { testdir } from './index.js';

/**
 * Environment that keeps git away from the system's and the user's configuration (hooks,
 * signing, templates, default branch): pass it to every process that runs git in a test.
 */
export const GIT_TEST_ENV: Readonly<Record<string, string>> = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
};

/**
 * Applies {@link GIT_TEST_ENV} to this process, for code under test that runs git itself.
 * Call it at the top of a test file (vitest runs each file in its own process).
 */
export function isolateGit(): void {
  Object.assign(process.env, GIT_TEST_ENV);
}

/** Runs `git <args>` in `dir` and returns its stdout. Throws with git's stderr when it fails. */
export function git(dir: string, ...args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: dir, env: { ...process.env, ...GIT_TEST_ENV }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`git ${args.join(' ')} failed in ${dir}: ${err.stderr ?? err.message}`);
  }
}

/**
 * Makes a git repository in a fresh {@link testdir} on branch `main`, with a local user name
 * and email, holding `files` (relative path -> content) in one commit "initial" (none when
 * `files` is empty). Returns its folder.
 */
export async function gitRepo(files: Record<string, string> = {}): Promise<string> {
  const dir = await testdir(files);
  git(dir, 'init', '--quiet', '--initial-branch=main');
  git(dir, 'config', 'user.name', 'Test User');
  git(dir, 'config', 'user.email', 'test@example.com');
  git(dir, 'config', 'commit.gpgSign', 'false');
  if (Object.keys(files).length > 0) {
    git(dir, 'add', '--all');
    git(dir, 'commit', '--quiet', '-m', 'initial');
  }
  return dir;
}

/**
 * Every file below `dir` (relative path -> bytes; a symlink as `symlink:<target>`), leaving out
 * the `.git` folder and any top-level entry named in `skip`: a picture of a working tree to
 * compare byte for byte.
 */
export function readTree(dir: string, skip: readonly string[] = []): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel))) {
      const child = rel === '' ? name : `${rel}/${name}`;
      if (name === '.git' || (rel === '' && skip.includes(name))) continue;
      const full = path.join(dir, child);
      const stat = lstatSync(full);
      if (stat.isSymbolicLink()) out.set(child, Buffer.from(`symlink:${readlinkSync(full)}`));
      else if (stat.isDirectory()) walk(child);
      else out.set(child, readFileSync(full));
    }
  };
  walk('');
  return out;
}
