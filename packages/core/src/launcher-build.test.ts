import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { compiledLauncher, compiledLauncherName, launcherCacheDir } from './launcher-build.js';

const dirs: string[] = [];
async function tmp(): Promise<string> {
  const d = realpathSync(await mkdtemp(path.join(os.tmpdir(), 'guild-build-test-')));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('building the compiled launcher', () => {
  test('compiled once into the cache folder, then reused as it is', async () => {
    const cache = path.join(await tmp(), 'cache');
    const first = compiledLauncher({ cacheDir: cache });
    if (!('path' in first)) throw new Error(first.error);
    expect(first.path).toBe(path.join(cache, compiledLauncherName()));
    const st = statSync(first.path);
    expect(st.mode & 0o777).toBe(0o755);
    expect(statSync(cache).mode & 0o777).toBe(0o700);
    // Nothing left of the build but the program.
    expect(readdirSync(cache)).toEqual([compiledLauncherName()]);
    // A real program: with no arguments it says how to use it, exit 2.
    let usage = '';
    try {
      execFileSync(first.path, [], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      usage = String((e as { stderr: Buffer }).stderr);
      expect((e as { status: number }).status).toBe(2);
    }
    expect(usage).toMatch(/usage: guild-launcher <dir>/);
    const again = compiledLauncher({ cacheDir: cache, compiler: '/nonexistent/cc' });
    expect(again).toEqual({ path: first.path });
    expect(statSync(first.path).ino).toBe(st.ino);
  });

  test('a launcher file others may write is never run: it is built again', async () => {
    const cache = path.join(await tmp(), 'cache');
    const first = compiledLauncher({ cacheDir: cache });
    if (!('path' in first)) throw new Error(first.error);
    writeFileSync(first.path, '#!/bin/sh\ntouch "$HOME/owned"\n');
    chmodSync(first.path, 0o777);
    const again = compiledLauncher({ cacheDir: cache });
    if (!('path' in again)) throw new Error(again.error);
    expect(statSync(again.path).mode & 0o777).toBe(0o755);
    expect(readFileSync(again.path).subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46])); // ELF
  });

  test('a cache folder others may write is refused', async () => {
    const cache = path.join(await tmp(), 'shared');
    mkdirSync(cache);
    chmodSync(cache, 0o777);
    const r = compiledLauncher({ cacheDir: cache });
    expect(r).toEqual({ error: `${cache} may be written by other users, so nothing in it is run` });
    expect(readdirSync(cache)).toEqual([]);
  });

  test('no compiler: an answer saying so, and nothing written, so a compiler installed later is used', async () => {
    const cache = path.join(await tmp(), 'cache');
    expect(compiledLauncher({ cacheDir: cache, compiler: '/nonexistent/cc' })).toEqual({ error: 'no C compiler (/nonexistent/cc)' });
    expect(readdirSync(cache)).toEqual([]);
    expect('path' in compiledLauncher({ cacheDir: cache })).toBe(true);
  });

  test('a compiler that fails leaves a note, and is not tried again until the note is deleted', async () => {
    const dir = await tmp();
    const cache = path.join(dir, 'cache');
    const badcc = path.join(dir, 'badcc');
    writeFileSync(badcc, `#!/bin/sh\necho "badcc: no such target" >&2\necho run >> ${JSON.stringify(path.join(dir, 'runs'))}\nexit 1\n`, { mode: 0o755 });
    const r = compiledLauncher({ cacheDir: cache, compiler: badcc });
    const note = path.join(cache, `${compiledLauncherName()}.failed`);
    expect(r).toEqual({ error: `${badcc} could not build the launcher (exit 1): badcc: no such target\n(delete ${note} to try again)` });
    expect(readFileSync(note, 'utf8')).toBe(`${(r as { error: string }).error}\n`);
    expect(compiledLauncher({ cacheDir: cache, compiler: badcc })).toEqual(r);
    expect(readFileSync(path.join(dir, 'runs'), 'utf8')).toBe('run\n');
  });

  test('$CC is the compiler when it names a program', async () => {
    const dir = await tmp();
    const cc = path.join(dir, 'mycc');
    const real = execFileSync('sh', ['-c', 'command -v cc'], { encoding: 'utf8' }).trim();
    writeFileSync(cc, `#!/bin/sh\necho used >> ${JSON.stringify(path.join(dir, 'used'))}\nexec ${real} "$@"\n`, { mode: 0o755 });
    const r = withEnv({ CC: cc }, () => compiledLauncher({ cacheDir: path.join(dir, 'cache') }));
    expect('path' in r).toBe(true);
    expect(existsSync(path.join(dir, 'used'))).toBe(true);
  });

  test('the cache folder: $GUILD_CACHE_DIR, else $XDG_CACHE_HOME/guild, else ~/.cache/guild', () => {
    expect(withEnv({ GUILD_CACHE_DIR: '/x/y', XDG_CACHE_HOME: '/a' }, launcherCacheDir)).toBe('/x/y');
    expect(withEnv({ GUILD_CACHE_DIR: undefined, XDG_CACHE_HOME: '/a' }, launcherCacheDir)).toBe('/a/guild');
    // A relative XDG_CACHE_HOME is invalid by the spec and ignored.
    expect(withEnv({ GUILD_CACHE_DIR: undefined, XDG_CACHE_HOME: 'rel' }, launcherCacheDir)).toBe(path.join(os.homedir(), '.cache', 'guild'));
  });
});
