import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { realClock } from './clock.js';
import { Launcher } from './launcher.js';
import { createPlan } from './plan.js';
import { startTimeOf } from './proc.js';
import { runPlan } from './run.js';
import { createShellRunner } from './shell-runner.js';
import type { RunContext, RunResult, Runner, RunningTask } from './types.js';

const linux = process.platform === 'linux';

async function tmp(): Promise<string> {
  return realpathSync(await mkdtemp(path.join(os.tmpdir(), 'guild-shell-')));
}

/** Gone means no /proc entry, or a zombie nobody reaped (pid 1 here may never reap orphans). */
function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

async function waitFor(check: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

/** The fields of /proc/<pid>/stat after the command name: [state, ppid, pgrp, session, ...]. */
function statOf(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

interface Mode {
  name: string;
  make: () => { runner: Runner; launcher?: Launcher };
}

const launched = (program: 'compiled' | 'perl', maxPool?: number) => (): { runner: Runner; launcher: Launcher } => {
  const launcher = Launcher.start({ program, maxPool });
  if (!launcher) throw new Error(`no ${program} launcher: is ${program === 'perl' ? 'perl' : 'a C compiler (cc)'} installed?`);
  return { runner: createShellRunner({ launcher }), launcher };
};

const modes: Mode[] = [
  { name: 'compiled launcher, idle children', make: launched('compiled') },
  { name: 'compiled launcher, a fork per task', make: launched('compiled', 0) },
  { name: 'perl launcher, idle children', make: launched('perl') },
  { name: 'perl launcher, a fork per task', make: launched('perl', 0) },
  { name: 'spawn', make: () => ({ runner: createShellRunner({ launcher: 'spawn' }) }) },
];

describe.each(modes)('the shell runner ($name)', ({ name, make }) => {
  const lazyLog = name.startsWith('compiled');
  let runner: Runner;
  let launcher: Launcher | undefined;
  let dir: string;
  let seq = 0;

  beforeAll(async () => {
    // Must not reach any task: tasks get exactly the environment they are given.
    process.env.GUILD_TEST_LEAK = 'leaked';
    ({ runner, launcher } = make());
    dir = await tmp();
  });
  afterAll(() => {
    delete process.env.GUILD_TEST_LEAK;
    launcher?.close();
  });

  const baseEnv = (): Record<string, string> => ({ PATH: process.env.PATH ?? '/usr/bin:/bin' });

  function start(
    command: string,
    o: { cwd?: string; env?: Record<string, string>; attempt?: number; logFile?: string } = {},
  ): { running: RunningTask; logFile: string } {
    const id = `t${++seq}`;
    const plan = createPlan([{ id, run: command }], { root: dir });
    const task = plan.tasks.get(id)!;
    const logFile = o.logFile ?? path.join(dir, `${id}.log`);
    const ctx: RunContext = {
      runId: 'r1',
      attempt: o.attempt ?? 1,
      workdir: o.cwd ?? dir,
      env: o.env ?? baseEnv(),
      logFile,
      log: () => {},
      progress: () => {},
      clock: realClock,
      signal: new AbortController().signal,
    };
    return { running: runner.start(task, ctx), logFile };
  }

  async function run(
    command: string,
    o: Parameters<typeof start>[1] = {},
  ): Promise<{ result: RunResult; pid?: number; procStart?: number; log: string; output: string }> {
    const { running, logFile } = start(command, o);
    const result = await running.done;
    // (The compiled launcher creates the log at the first output: none for a silent task.)
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    // The output: what follows the header line (`--- guild: attempt N at <time>: <command>`).
    const prefix = /^--- guild: attempt \d+ at \d{4}-\d\d-\d\dT[\d:.]+Z: /.exec(log)?.[0] ?? '';
    const output = log.startsWith(`${prefix}${command}\n`) ? log.slice(prefix.length + command.length + 1) : log;
    return { result, pid: running.pid, procStart: running.procStart, log, output };
  }

  test('starts tasks the way it says', async () => {
    const { output, result } = await run('echo "$PPID"');
    expect(result).toEqual({ outcome: 'succeeded', exitCode: 0 });
    const parent = Number(output.trim());
    // With the launcher, the task is its child and Node never forks itself.
    expect(parent).toBe(launcher ? launcher.pid : process.pid);
    if (launcher && name.includes('idle')) {
      // Warm: once the launcher's idle children are known, tasks start on them.
      await new Promise((r) => setTimeout(r, 300));
      const before = launcher.stats.pooled;
      await run('true');
      expect(launcher.stats.pooled).toBe(before + 1);
    }
    if (launcher && name.includes('fork')) expect(launcher.stats.pooled).toBe(0);
  });

  test('the log starts with the header, then the output of stdout and stderr', async () => {
    const { log, result } = await run('echo out; echo err >&2', { attempt: 3 });
    expect(result.outcome).toBe('succeeded');
    expect(log).toMatch(/^--- guild: attempt 3 at \d{4}-\d\d-\d\dT[\d:.]+Z: echo out; echo err >&2\nout\nerr\n$/);
  });

  test('a command reaches /bin/sh verbatim: newlines, quotes, $(...), backslashes, any character', async () => {
    const payload = [
      `it's "double" \`backticks\` $(echo not run) \${HOME} $HOME`,
      'back\\slash \\n \\\\ \ttab',
      'ünïcødé ✓ 🎉 \u00ff\u0100',
      'controls \u0001\u0002\u001b[31m\u007f end',
      'EOF',
      '',
    ].join('\n');
    const command = `cat <<'GUILD_END'\n${payload}\nGUILD_END`;
    const { log, result } = await run(command);
    expect(result.outcome).toBe('succeeded');
    const prefix = /^--- guild: attempt 1 at \d{4}-\d\d-\d\dT[\d:.]+Z: /.exec(log)?.[0];
    expect(prefix).toBeDefined();
    expect(log.slice(prefix!.length)).toBe(`${command}\n${payload}\n`);

    // ...and sh does interpret it, as a shell command.
    const evaluated = await run(`x=' a  b '\necho "$(printf '%s' sub)" 'single $(not)' "a\\"b" "[$x]"; echo $x`);
    expect(evaluated.output).toBe('sub single $(not) a"b [ a  b ]\na b\n');
  });

  test('the environment is exactly the given one', async () => {
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      PLAIN: 'x',
      MULTI: 'line one\nline two\n',
      QUOTES: `'"\`$(echo no) \${PATH} \\`,
      EMPTY: '',
      UNICODE: 'é ✓ 🎉',
      LONG: 'y'.repeat(5000),
    };
    const { log, result } = await run('exec env -0', { env });
    expect(result.outcome).toBe('succeeded');
    const body = log.slice(log.indexOf('\n') + 1);
    const seen: Record<string, string> = {};
    for (const entry of body.split('\0').filter((e) => e !== '')) {
      const eq = entry.indexOf('=');
      seen[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    // dash adds PWD.
    expect(seen).toEqual({ ...env, PWD: dir });
    expect(seen.GUILD_TEST_LEAK).toBeUndefined();
  });

  test("an environment like guild's own, with a value changed, one added and one removed", async () => {
    const own = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
    const { HOME: _removed, ...rest } = own;
    const env = { ...rest, GUILD_TEST_LEAK: 'changed', ADDED: 'new' };
    const { log, result } = await run('exec env -0', { env });
    expect(result.outcome).toBe('succeeded');
    const seen: Record<string, string> = {};
    for (const entry of log.slice(log.indexOf('\n') + 1).split('\0').filter((e) => e !== '')) {
      const eq = entry.indexOf('=');
      seen[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    expect(seen).toEqual({ ...env, PWD: dir });
    expect('HOME' in seen).toBe(false);
  });

  test('a large request: a long command and a long environment', async () => {
    const big = 'v'.repeat(120_000);
    const command = `printf '%s\\n' "\${#BIG1}" "\${#BIG2}" # ${'c'.repeat(100_000)}`;
    const { output, result } = await run(command, { env: { ...baseEnv(), BIG1: big, BIG2: big + 'w' } });
    expect(result.outcome).toBe('succeeded');
    expect(output).toBe('120000\n120001\n');
  });

  test('the working directory, whatever its name', async () => {
    const odd = path.join(dir, `we ird 'dir' $x "q"\nline`);
    mkdirSync(odd);
    const { output } = await run('pwd -P', { cwd: odd });
    expect(output).toBe(`${odd}\n`);
  });

  test('a missing working directory fails the task with a clear reason', async () => {
    const missing = path.join(dir, 'nope');
    const { result, log } = await run('touch ran', { cwd: missing });
    expect(result).toMatchObject({ outcome: 'failed', error: `could not start: its working directory ${missing} does not exist` });
    // Nothing ran, so nothing was printed: the compiled launcher makes no log of it.
    if (lazyLog) expect(log).toBe('');
    else expect(log).toMatch(/^--- guild: attempt 1 at .*: touch ran\n/);
    expect(existsSync(path.join(dir, 'ran'))).toBe(false);
  });

  test('a log file that cannot be opened fails the task, naming the file', async () => {
    const logFile = path.join(dir, 'no-such-dir', 'x.log');
    let outcome: RunResult | undefined;
    let thrown: unknown;
    try {
      outcome = await start('echo some output', { logFile }).running.done;
    } catch (e) {
      thrown = e;
    }
    // The spawn path throws from start() (the scheduler reports it); the launcher reports it.
    const text = thrown instanceof Error ? thrown.message : outcome?.error;
    expect(outcome?.outcome ?? 'failed').toBe('failed');
    expect(text).toContain(logFile);
  });

  test('exit codes and signals', async () => {
    expect((await run('exit 0')).result).toEqual({ outcome: 'succeeded', exitCode: 0 });
    expect((await run('exit 3')).result).toEqual({ outcome: 'failed', exitCode: 3 });
    expect((await run('exit 255')).result).toEqual({ outcome: 'failed', exitCode: 255 });
    expect((await run('exit 130')).result).toEqual({ outcome: 'failed', exitCode: 130 });
    expect((await run('kill -TERM $$')).result).toEqual({ outcome: 'failed', signal: 'SIGTERM', error: 'killed by SIGTERM' });
    expect((await run('kill -KILL $$')).result).toEqual({ outcome: 'failed', signal: 'SIGKILL', error: 'killed by SIGKILL' });
    expect((await run('kill -USR1 $$')).result).toEqual({ outcome: 'failed', signal: 'SIGUSR1', error: 'killed by SIGUSR1' });
    expect((await run('sh -c "exit 9"; exit $?')).result).toEqual({ outcome: 'failed', exitCode: 9 });
  });

  // Only the compiled launcher relays output (the others open the log before the task runs).
  if (lazyLog)
    test('a task that prints nothing leaves no log; the first output creates it, header first', async () => {
      const silent = start('true');
      expect((await silent.running.done).outcome).toBe('succeeded');
      expect(existsSync(silent.logFile)).toBe(false);
      const late = await run('sleep 0.2; echo late', { attempt: 2 });
      expect(late.log).toMatch(/^--- guild: attempt 2 at \d{4}-\d\d-\d\dT[\d:.]+Z: sleep 0\.2; echo late\nlate\n$/);
    });

  test('all a task wrote is in its log when its end is reported, however much', async () => {
    const { output, result } = await run("head -c 3000000 /dev/zero | tr '\\0' a; echo; echo end >&2");
    expect(result.outcome).toBe('succeeded');
    expect(output.length).toBe(3_000_000 + 5);
    expect(output.endsWith('a\nend\n')).toBe(true);
  });

  // Only the compiled launcher relays output (the others open the log before the task runs).
  if (lazyLog)
    test('what a task left running still writes to its log after the task ended', async () => {
      const { result, logFile } = await (async () => {
        const s = start('(sleep 0.3; echo from the background) & echo first');
        return { result: await s.running.done, logFile: s.logFile };
      })();
      expect(result.outcome).toBe('succeeded');
      expect(readFileSync(logFile, 'utf8')).toMatch(/\nfirst\n$/);
      expect(await waitFor(() => readFileSync(logFile, 'utf8').endsWith('first\nfrom the background\n'))).toBe(true);
    });

  // Only the compiled launcher relays output (the others open the log before the task runs).
  if (lazyLog)
    test('output that cannot be saved fails the task, saying why and where', async () => {
      const logFile = path.join(dir, 'no-such-dir', 'y.log');
      const result = await start('echo lost; exit 0', { logFile }).running.done;
      expect(result).toEqual({
        outcome: 'failed',
        exitCode: 0,
        error: `its output could not be saved to ${logFile}: cannot open it: No such file or directory`,
      });
    });

  test('SIGPIPE is not ignored: a writer to a closed pipe just ends', async () => {
    const { output, result } = await run('yes | head -c 4; echo " $?"');
    expect(result.outcome).toBe('succeeded');
    expect(output).toBe('y\ny\n 0\n');
  });

  test('stdin is /dev/null', async () => {
    const { output } = await run('cat; echo "cat=$?"; read x; echo "read=$?"; readlink /proc/self/fd/0 || echo /dev/null');
    expect(output).toBe('cat=0\nread=1\n/dev/null\n');
  });

  test.runIf(linux)('the pid leads its own session and process group; procStart is its start time', async () => {
    const { running } = start('echo $$; sleep 5');
    const pid = running.pid!;
    expect(pid).toBeGreaterThan(0);
    const [, , pgrp, session] = statOf(pid);
    expect(Number(pgrp)).toBe(pid);
    expect(Number(session)).toBe(pid);
    expect(running.procStart).toBe(startTimeOf(pid));
    running.stop('now');
    expect(await running.done).toMatchObject({ outcome: 'failed', signal: 'SIGKILL' });
  });

  test('a task stopped the moment it starts ends by the signal that stopped it, every time', async () => {
    // With idle children, the stop can reach the child before the task does.
    const results: RunResult[] = [];
    for (let i = 0; i < 200; i++) {
      const { running } = start('sleep 5');
      running.stop(i % 2 ? 'graceful' : 'now');
      results.push(await running.done);
    }
    const wrong = results.filter((r, i) => r.outcome !== 'failed' || r.signal !== (i % 2 ? 'SIGTERM' : 'SIGKILL'));
    expect(wrong).toEqual([]);
  });

  test.runIf(linux)('nothing of the runner is open in the task; no signal is blocked or ignored', async () => {
    const { running, logFile } = start('exec sleep 5');
    const pid = running.pid!;
    // Asleep in sleep itself: right after exec the loader still has the libraries it maps open.
    const asleep = () =>
      readFileSync(`/proc/${pid}/comm`, 'utf8') === 'sleep\n' &&
      readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('S') === true &&
      // (Where the kernel hides wait channels, wchan reads "0": the state must do.)
      /nanosleep|^0$/.test(readFileSync(`/proc/${pid}/wchan`, 'utf8'));
    expect(await waitFor(asleep)).toBe(true);
    // Beyond stdin, stdout and stderr, only what this process itself inherited without
    // close-on-exec (as a test harness may leave open) and passes on, as spawn does.
    const target = (p: string): string | undefined => {
      try {
        return readlinkSync(p);
      } catch {
        return undefined;
      }
    };
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      if (['0', '1', '2'].includes(fd)) continue;
      expect(target(`/proc/${pid}/fd/${fd}`)).toBe(target(`/proc/self/fd/${fd}`));
    }
    if (lazyLog) {
      // stdout is a pipe whose other end the launcher holds (it writes the log).
      const out = readlinkSync(`/proc/${pid}/fd/1`);
      expect(out).toMatch(/^pipe:\[\d+\]$/);
      expect(readlinkSync(`/proc/${pid}/fd/2`)).toBe(out);
      const held = readdirSync(`/proc/${launcher!.pid}/fd`).map((fd) => target(`/proc/${launcher!.pid}/fd/${fd}`));
      expect(held).toContain(out);
    } else {
      expect(realpathSync(`/proc/${pid}/fd/1`)).toBe(logFile);
    }
    // Read from the process itself: sh blocks signals for a moment whenever it forks.
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    expect(status).toContain('SigBlk:\t0000000000000000\n');
    expect(status).toContain('SigIgn:\t0000000000000000\n');
    running.stop('graceful');
    expect(await running.done).toEqual({ outcome: 'failed', signal: 'SIGTERM', error: 'killed by SIGTERM' });
  });

  test.runIf(linux)('stop() stops the whole process group, grandchildren in the background too', async () => {
    const { running } = start('sleep 30 & echo $! > bg.pid; sleep 30', { cwd: dir });
    await waitFor(() => existsSync(path.join(dir, 'bg.pid')) && readFileSync(path.join(dir, 'bg.pid'), 'utf8').endsWith('\n'));
    const bg = Number(readFileSync(path.join(dir, 'bg.pid'), 'utf8'));
    expect(gone(bg)).toBe(false);
    running.stop('now');
    expect(await running.done).toMatchObject({ outcome: 'failed', signal: 'SIGKILL' });
    expect(await waitFor(() => gone(bg))).toBe(true);
  });

  test('stop() right after start', async () => {
    const { running } = start('sleep 30');
    running.stop('graceful');
    expect(await running.done).toMatchObject({ outcome: 'failed', signal: 'SIGTERM' });
  });

  test('200 tasks at once: each reported with its own pid and exit code', async () => {
    const started = Array.from({ length: 200 }, (_, i) => ({ i, ...start(`echo $$; exit ${i % 7}`) }));
    const results = await Promise.all(started.map((s) => s.running.done));
    const pids = new Set<number>();
    for (const [k, s] of started.entries()) {
      const expected: RunResult = s.i % 7 === 0 ? { outcome: 'succeeded', exitCode: 0 } : { outcome: 'failed', exitCode: s.i % 7 };
      expect(results[k]).toEqual(expected);
      const log = readFileSync(s.logFile, 'utf8');
      expect(Number(log.split('\n')[1])).toBe(s.running.pid);
      pids.add(s.running.pid!);
    }
    expect(pids.size).toBe(200);
  });

  test('a command with a NUL is refused as before', () => {
    expect(() => start('echo a\0b')).toThrow(/null bytes/);
  });

  test('through runPlan: retries append to the same log, env and cwd come from the plan', async () => {
    const root = await tmp();
    mkdirSync(path.join(root, 'sub'));
    const plan = createPlan(
      [
        { id: 'flaky', run: 'n=$(cat n 2>/dev/null || echo 0); echo $((n+1)) > n; echo "try $((n+1)) $GREETING"; test $n -ge 1', retries: 2, env: { GREETING: 'hi there' } },
        { id: 'where', run: 'pwd; echo "$GUILD_TASK_ID $GUILD_ATTEMPT"', cwd: 'sub' },
      ],
      { root },
    );
    const outcome = await runPlan(plan, { concurrency: 2, retry: { base: 0.01 }, runners: new Map([['shell', runner]]) });
    const byId = new Map(outcome.summary.tasks.map((t) => [t.id, t]));
    expect(byId.get('flaky')).toMatchObject({ state: 'succeeded', attempts: 2 });
    expect(byId.get('where')).toMatchObject({ state: 'succeeded', attempts: 1 });
    const flaky = readFileSync(path.join(outcome.runDir, 'logs', 'flaky.log'), 'utf8');
    expect(flaky.match(/^--- guild: attempt \d/gm)).toEqual(['--- guild: attempt 1', '--- guild: attempt 2']);
    expect(flaky).toContain('try 2 hi there');
    const where = readFileSync(path.join(outcome.runDir, 'logs', 'where.log'), 'utf8');
    expect(where).toContain(`${path.join(root, 'sub')}\nwhere 1\n`);
  });
});
