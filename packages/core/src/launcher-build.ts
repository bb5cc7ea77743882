import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LAUNCHER_C } from './launcher-c.js';

export interface CompiledLauncherOptions {
  /** Where compiled launchers are kept (default {@link launcherCacheDir}). */
  cacheDir?: string;
  /** The C compiler to run (default `$CC`, else `cc`); a program, never a shell command. */
  compiler?: string;
  /** Build it when it is not in the cache yet (default `true`); `false` answers with an error instead. */
  build?: boolean;
}

/** Where it was, or why there is none. */
export type CompiledLauncher = { path: string } | { error: string };

/** `$GUILD_CACHE_DIR`, else `$XDG_CACHE_HOME/guild`, else `~/.cache/guild`. */
export function launcherCacheDir(): string {
  if (process.env.GUILD_CACHE_DIR) return path.resolve(process.env.GUILD_CACHE_DIR);
  const xdg = process.env.XDG_CACHE_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache'), 'guild');
}

/** The file name of this version's compiled launcher: the hash covers its source and the platform. */
export function compiledLauncherName(): string {
  const hash = createHash('sha256').update(`${process.platform} ${process.arch}\n${LAUNCHER_C}`).digest('hex').slice(0, 16);
  return `guild-launcher-${hash}`;
}

/** Ours, and nobody else may write it. */
function safe(file: string, uid: number | undefined): boolean {
  const st = lstatSync(file);
  return (uid === undefined || st.uid === uid) && (st.mode & 0o022) === 0;
}

/**
 * The compiled launcher (launcher-c.ts), built once per machine and version with the system's C
 * compiler into the cache folder, then reused. Only a file this user owns, in a folder only this
 * user can write, is ever run; anything else there is replaced. A compiler that fails leaves a
 * note (`<name>.failed`) so later runs do not try again; no compiler at all is checked each time
 * (cheap), so installing one later is enough.
 */
export function compiledLauncher(options: CompiledLauncherOptions = {}): CompiledLauncher {
  if (process.platform === 'win32') return { error: 'not on Windows' };
  const dir = options.cacheDir ?? launcherCacheDir();
  const uid = process.getuid?.();
  const name = compiledLauncherName();
  const bin = path.join(dir, name);
  const failed = `${bin}.failed`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!safe(dir, uid)) return { error: `${dir} may be written by other users, so nothing in it is run` };
    if (existsSync(bin)) {
      const st = lstatSync(bin);
      if (st.isFile() && (st.mode & 0o100) !== 0 && safe(bin, uid)) return { path: bin };
      unlinkSync(bin);
    }
    if (existsSync(failed)) return { error: readFileSync(failed, 'utf8').trim() };
    if (options.build === false) return { error: 'not built yet' };
  } catch (e) {
    return { error: `cannot use ${dir}: ${(e as Error).message}` };
  }
  const compiler = options.compiler ?? (process.env.CC && !/\s/.test(process.env.CC) ? process.env.CC : 'cc');
  let work: string | undefined;
  try {
    work = mkdtempSync(path.join(dir, '.build-'));
    const src = path.join(work, 'launcher.c');
    const out = path.join(work, name);
    writeFileSync(src, LAUNCHER_C);
    const r = spawnSync(compiler, ['-O2', '-o', out, src], { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    if (r.error) {
      const code = (r.error as NodeJS.ErrnoException).code;
      return { error: code === 'ENOENT' ? `no C compiler (${compiler})` : `${compiler}: ${r.error.message}` };
    }
    if (r.status !== 0 || !existsSync(out)) {
      const why = `${compiler} could not build the launcher (exit ${r.status ?? r.signal}): ${(r.stderr || r.stdout).trim().slice(0, 2000)}`;
      const note = `${why}\n(delete ${failed} to try again)`;
      writeFileSync(failed, `${note}\n`, { mode: 0o600 });
      return { error: note };
    }
    chmodSync(out, 0o755);
    // Atomic: a run racing this one sees the whole file or none.
    renameSync(out, bin);
    return { path: bin };
  } catch (e) {
    return { error: `cannot build the launcher in ${dir}: ${(e as Error).message}` };
  } finally {
    if (work) rmSync(work, { recursive: true, force: true });
  }
}
