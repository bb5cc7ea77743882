/**
 * Helpers for guild's own tests: throwaway fixture trees, running the built `guild` binary, and
 * shell tasks that record when they really ran so a test can check the schedule from outside.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const created = new Set<string>();

/**
 * Creates a fresh folder in the OS temp folder holding `files` (relative path -> content;
 * parent folders are made as needed) and returns its absolute, symlink-free path. Every folder
 * made here is removed by {@link removeTestdirs}; call that from `afterAll` (or `afterEach`).
 * Set `GUILD_KEEP_TESTDIRS=1` to keep them for a look after a failure.
 */
export async function testdir(files: Record<string, string> = {}): Promise<string> {
  // realpath: on some systems the temp folder is a symlink, and guild prints resolved paths.
  const dir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'guild-test-')));
  created.add(dir);
  await writeFiles(dir, files);
  return dir;
}

/** Writes `files` (relative path -> content) under `dir`, making parent folders as needed. */
export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
}

/** Removes every folder {@link testdir} made so far. Safe to call more than once. */
export async function removeTestdirs(): Promise<void> {
  if (process.env.GUILD_KEEP_TESTDIRS === '1') return;
  const dirs = [...created];
  created.clear();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
}

/**
 * The built CLI entry (`apps/cli/dist/bin.js`), found from this file's place in the repo.
 * `GUILD_TEST_BIN` points the tests at another build instead (e.g. a copy that a concurrent
 * `pnpm build` cannot change under a running test).
 */
export const GUILD_BIN = process.env.GUILD_TEST_BIN || fileURLToPath(new URL('../../../apps/cli/dist/bin.js', import.meta.url));

/** How a `guild` process ended. */
export interface GuildResult {
  /** Exit code, or `null` if the process was killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options for {@link runGuild} and {@link startGuild}. */
export interface RunGuildOptions {
  /** Folder the CLI runs in. */
  cwd: string;
  /** Added to (and overriding) this process's environment. */
  env?: Record<string, string>;
  /** Kill the CLI (SIGKILL) after this long; the test then fails with its output (default 20 s). */
  timeoutMs?: number;
}

/** A running `guild` process. */
export interface GuildProcess {
  child: ChildProcess;
  /** Resolves when the process has exited and its output is complete. */
  result: Promise<GuildResult>;
  /** Resolves with the first stdout line matching `pattern` (rejects if the process exits first). */
  waitForLine(pattern: RegExp): Promise<string>;
}

/**
 * Starts the built `guild` binary with `node` and `args` (no shell involved) and returns the
 * process while it runs, for tests that must act mid-run (send a signal, wait for a line).
 * Throws if the CLI has not been built.
 */
export function startGuild(args: readonly string[], opts: RunGuildOptions): GuildProcess {
  if (!existsSync(GUILD_BIN)) {
    throw new Error(`${GUILD_BIN} does not exist; build the CLI first (pnpm build)`);
  }
  const child = spawn(process.execPath, [GUILD_BIN, ...args], {
    cwd: opts.cwd,
    // NO_COLOR and a non-TTY stdout keep the output plain, as in CI.
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void; reject: (e: Error) => void }> = [];
  const checkWaiters = () => {
    const lines = stdout.split('\n');
    for (const w of [...waiters]) {
      const hit = lines.find((l) => w.pattern.test(l));
      if (hit !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(hit);
      }
    }
  };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    checkWaiters();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const timeoutMs = opts.timeoutMs ?? 20_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const result = new Promise<GuildResult>((resolve, reject) => {
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    // 'close' (not 'exit'): the output streams are complete only then.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      for (const w of waiters.splice(0)) {
        w.reject(new Error(`guild exited (code ${code}) before printing a line matching ${w.pattern}\n${stdout}${stderr}`));
      }
      if (timedOut) {
        reject(new Error(`guild ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        return;
      }
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    result,
    waitForLine(pattern) {
      return new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve, reject });
        checkWaiters();
      });
    },
  };
}

/**
 * Runs the built `guild` binary with `args` in `opts.cwd` and resolves with its exit code and
 * output. Rejects if it runs longer than `opts.timeoutMs` or cannot be started.
 */
export function runGuild(args: readonly string[], opts: RunGuildOptions): Promise<GuildResult> {
  return startGuild(args, opts).result;
}

/** Quotes `text` for a POSIX shell command line: the shell sees it as one literal word. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * A POSIX `sh` command for a plan's `run:` that makes `dir` if needed, appends `<id> start <ms-epoch>` to
 * `<dir>/<id>.rec`, sleeps `seconds`, then appends `<id> end <ms-epoch>`. The times are taken
 * inside the task's own process, so the recorded interval lies within the time guild really
 * ran it: two recorded intervals that overlap prove the tasks overlapped. Needs GNU `date`
 * (`%N`). Pass `exitCode` to make the task fail after recording its end.
 */
export function recordCmd(id: string, seconds: number, dir: string, exitCode = 0): string {
  const file = shellQuote(path.join(dir, `${id}.rec`));
  const tag = shellQuote(id);
  const fail = exitCode === 0 ? '' : `; exit ${exitCode}`;
  const mkdir = `mkdir -p ${shellQuote(dir)}`;
  return `${mkdir}; echo ${tag} start $(date +%s%3N) >> ${file}; sleep ${seconds}; echo ${tag} end $(date +%s%3N) >> ${file}${fail}`;
}

/** One recorded run of a task, in milliseconds since the epoch. `end` is missing if it never got there. */
export interface Interval {
  start: number;
  end?: number;
}

/**
 * Reads what {@link recordCmd} tasks wrote to `dir`: every run of each task, in the order they
 * started. A task that ran twice has two intervals; one that never ran has no entry.
 * Throws on a line it does not understand.
 */
export async function readRecords(dir: string): Promise<Map<string, Interval[]>> {
  const records = new Map<string, Interval[]>();
  const names = existsSync(dir) ? await readdir(dir) : [];
  for (const name of names.filter((n) => n.endsWith('.rec')).sort()) {
    const text = await readFile(path.join(dir, name), 'utf8');
    for (const line of text.split('\n').filter(Boolean)) {
      const m = /^(\S+) (start|end) (\d+)$/.exec(line);
      if (!m) throw new Error(`${name}: cannot read record line "${line}" (is GNU date installed?)`);
      const [, id, what, ms] = m as unknown as [string, string, 'start' | 'end', string];
      let list = records.get(id);
      if (!list) records.set(id, (list = []));
      if (what === 'start') list.push({ start: Number(ms) });
      else {
        const open = list.at(-1);
        if (!open || open.end !== undefined) throw new Error(`${name}: "${line}" has no start before it`);
        open.end = Number(ms);
      }
    }
  }
  return records;
}

/** Whether two finished intervals share any moment (touching ends do not count). */
export function overlaps(a: Interval, b: Interval): boolean {
  return a.start < (b.end ?? Infinity) && b.start < (a.end ?? Infinity);
}

/**
 * The largest number of intervals running at one moment. Ends sort before starts at equal
 * times, so a task that starts the millisecond another ends is not counted as overlapping it.
 */
export function peakConcurrency(intervals: readonly Interval[]): number {
  const points: Array<[number, number]> = [];
  for (const i of intervals) {
    points.push([i.start, 1], [i.end ?? Infinity, -1]);
  }
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let peak = 0;
  for (const [, delta] of points) {
    now += delta;
    peak = Math.max(peak, now);
  }
  return peak;
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` every `intervalMs` until it returns a truthy value, and resolves with that
 * value. Rejects after `timeoutMs` with a message naming `what`, so a test that waits for a
 * side effect fails with a reason instead of hanging.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${opts.timeoutMs ?? 10_000} ms waiting for ${what}`);
    await sleep(opts.intervalMs ?? 20);
  }
}

export { GIT_TEST_ENV, isolateGit, git, gitRepo, readTree } from './git.js';
export * from './fake-agents/index.js';
export { TmuxSession, type TmuxOptions, type CaptureOptions } from './tmux.js';
export * from './fake-bd/index.js';
