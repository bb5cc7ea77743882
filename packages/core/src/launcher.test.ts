import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { compiledLauncher } from './launcher-build.js';
import { Launcher, sharedLauncher } from './launcher.js';
import { createPlan } from './plan.js';
import { isAlive } from './proc.js';
import { runPlan } from './run.js';
import { createShellRunner } from './shell-runner.js';
import type { RunEvent } from './types.js';

const linux = process.platform === 'linux';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

async function tmp(): Promise<string> {
  return realpathSync(await mkdtemp(path.join(os.tmpdir(), 'guild-launcher-test-')));
}

/** Gone means no /proc entry, or a zombie nobody reaped (pid 1 here may never reap orphans). */
function gone(pid: number): boolean {
  return !isAlive(pid);
}

async function waitFor(check: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

/** Live children of `pid` (Linux). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[1]) === pid && f[0] !== 'Z') out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}

const env = (): Record<string, string> => ({ PATH: process.env.PATH ?? '/usr/bin:/bin' });

const started: Launcher[] = [];
function start(options: Parameters<typeof Launcher.start>[0]): Launcher {
  const l = Launcher.start(options);
  if (!l) throw new Error(`no ${options?.program} launcher: is ${options?.program === 'perl' ? 'perl' : 'a C compiler (cc)'} installed?`);
  started.push(l);
  return l;
}
afterEach(() => {
  for (const l of started.splice(0)) l.close();
});

describe('the process launcher', () => {
  test('without perl there is no perl launcher, and the shell runner can do without one', async () => {
    expect(Launcher.start({ program: 'perl', perl: '/nonexistent/perl' })).toBeUndefined();
    expect(Launcher.start({ program: 'perl', perl: '/bin/false' })).toBeUndefined();
    const dir = await tmp();
    const saved = process.env.GUILD_LAUNCHER;
    process.env.GUILD_LAUNCHER = 'spawn';
    try {
      const plan = createPlan([{ id: 'a', run: 'echo "$PPID" > ppid' }], { root: dir });
      const { summary } = await runPlan(plan, { concurrency: 1, store: false });
      expect(summary.tasks[0]!.state).toBe('succeeded');
      expect(Number(readFileSync(path.join(dir, 'ppid'), 'utf8'))).toBe(process.pid);
    } finally {
      if (saved === undefined) delete process.env.GUILD_LAUNCHER;
      else process.env.GUILD_LAUNCHER = saved;
    }
  });

  test('by default, runs go through the shared launcher, the compiled one', async () => {
    const dir = await tmp();
    const plan = createPlan([{ id: 'a', run: 'echo "$PPID" > ppid' }], { root: dir });
    const { summary } = await runPlan(plan, { concurrency: 1, store: false });
    expect(summary.tasks[0]!.state).toBe('succeeded');
    const shared = sharedLauncher();
    expect(shared).toBeDefined();
    expect(shared!.program).toBe('compiled');
    expect(Number(readFileSync(path.join(dir, 'ppid'), 'utf8'))).toBe(shared!.pid);
  });

  test('started ahead of use: begin() returns at once, finish() connects; with ifBuilt, nothing is compiled', async () => {
    const empty = await tmp();
    const cacheDir = path.join(empty, 'cache');
    expect(Launcher.begin({ cacheDir, ifBuilt: true })).toBeUndefined();
    expect(existsSync(cacheDir) ? readdirSync(cacheDir) : [], 'a launcher was built').toEqual([]);
    // ifBuilt is about the compiled launcher: the perl one starts as asked.
    const perl = Launcher.begin({ program: 'perl', cacheDir, ifBuilt: true })?.finish();
    expect(perl?.program).toBe('perl');
    started.push(perl!);
    expect(compiledLauncher()).toHaveProperty('path');
    const starting = Launcher.begin({ ifBuilt: true });
    expect(starting).toBeDefined();
    // While this process does other things, the launcher comes up and forks its idle children.
    expect(await waitFor(() => childrenOf(starting!.child.pid!).length >= 4)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    const l = starting!.finish()!;
    started.push(l);
    expect(l.program).toBe('compiled');
    const dir = await tmp();
    // Started at once, in the same turn: on the children it announced meanwhile, no fork waited for.
    const runs = [0, 1, 2, 3].map((i) =>
      l.launch({ command: 'echo "$PPID" > ppid', cwd: dir, env: { PATH: process.env.PATH ?? '' }, logFile: path.join(dir, `${i}.log`), header: '' }),
    );
    expect(l.stats).toEqual({ pooled: 4, forked: 0 });
    for (const r of runs) {
      expect(r.kind).toBe('started');
      if (r.kind === 'started') expect(await r.done).toMatchObject({ outcome: 'succeeded' });
    }
    expect(Number(readFileSync(path.join(dir, 'ppid'), 'utf8'))).toBe(l.pid);
  });

  test('without a C compiler, the perl launcher', () => {
    const l = start({ cacheDir: path.join(os.tmpdir(), `guild-nocc-${process.pid}`), compiler: '/nonexistent/cc' });
    expect(l.program).toBe('perl');
    expect(Launcher.start({ program: 'compiled', cacheDir: path.join(os.tmpdir(), `guild-nocc-${process.pid}`), compiler: '/nonexistent/cc' })).toBeUndefined();
  });
});

describe.each(['compiled', 'perl'] as const)('the %s launcher', (program) => {
  const launcher = (options?: Parameters<typeof Launcher.start>[0]): Launcher => start({ ...options, program });

  test('is the program asked for', () => {
    expect(launcher().program).toBe(program);
  });

  test.runIf(linux)('runs in its own session, as guild-launcher, with a few idle children ready', async () => {
    const l = launcher();
    const stat = readFileSync(`/proc/${l.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    expect(Number(f[3])).toBe(l.pid); // session
    expect(readFileSync(`/proc/${l.pid}/cmdline`, 'utf8')).toMatch(/^guild-launcher/);
    expect(await waitFor(() => childrenOf(l.pid).length >= 4)).toBe(true);
  });

  test('tasks start on idle children once they are known, with no wait for the launcher', async () => {
    const l = launcher();
    const dir = await tmp();
    await new Promise((r) => setTimeout(r, 300));
    const results = [];
    for (let i = 0; i < 20; i++) {
      const r = l.launch({ command: 'echo $$', cwd: dir, env: env(), logFile: path.join(dir, `${i}.log`), header: '' });
      if (r.kind !== 'started') throw new Error(r.kind);
      const result = await r.done;
      results.push(result);
      expect(Number(readFileSync(path.join(dir, `${i}.log`), 'utf8'))).toBe(r.pid);
    }
    expect(results.every((r) => r.outcome === 'succeeded')).toBe(true);
    expect(l.stats.pooled).toBeGreaterThanOrEqual(15);
  });

  test.runIf(linux)('when the launcher dies mid-run, its running tasks are killed and fail, and later tasks are spawned', async () => {
    const l = launcher();
    const dir = await tmp();
    const specs = [
      ...['a', 'b', 'c'].map((id) => ({ id, run: `echo $$ > ${id}.pid; sleep 30 & echo $! > ${id}.bg; wait` })),
      ...['d', 'e', 'f'].map((id) => ({ id, run: `echo "$PPID" > ${id}.ppid` })),
    ];
    const plan = createPlan(specs, { root: dir });
    const events: RunEvent[] = [];
    const t0 = Date.now();
    const outcome = await runPlan(plan, {
      concurrency: 3,
      store: false,
      runners: new Map([['shell', createShellRunner({ launcher: l })]]),
      listeners: [(e) => events.push(e)],
      onStart: () => {
        const kill = (): void => {
          if (['a', 'b', 'c'].every((id) => existsSync(path.join(dir, `${id}.bg`)))) l.kill('SIGKILL');
          else setTimeout(kill, 20);
        };
        kill();
      },
    });
    expect(Date.now() - t0).toBeLessThan(15_000);
    const byId = new Map(outcome.summary.tasks.map((t) => [t.id, t]));
    for (const id of ['a', 'b', 'c']) {
      expect(byId.get(id)!.state).toBe('failed');
      expect(byId.get(id)!.error).toMatch(
        new RegExp(`^guild's process launcher \\(pid ${l.pid}\\) exited( \\(killed by SIGKILL\\))?, so the task's process group \\d+ was killed$`),
      );
      const pid = Number(readFileSync(path.join(dir, `${id}.pid`), 'utf8'));
      const bg = Number(readFileSync(path.join(dir, `${id}.bg`), 'utf8'));
      expect(await waitFor(() => gone(pid) && gone(bg))).toBe(true);
      const startedEvent = events.find((e) => e.type === 'task.started' && e.id === id);
      expect(startedEvent).toMatchObject({ pid });
    }
    expect(l.alive).toBe(false);
    for (const id of ['d', 'e', 'f']) {
      expect(byId.get(id)!.state).toBe('succeeded');
      expect(Number(readFileSync(path.join(dir, `${id}.ppid`), 'utf8'))).toBe(process.pid);
    }
  });

  test.runIf(linux)('a launcher found dead when starting a task: nothing started, the caller falls back', async () => {
    const l = launcher();
    const dir = await tmp();
    // Its idle children are up (a child in its first moments still holds the launcher's FIFOs).
    expect(await waitFor(() => childrenOf(l.pid).length >= 4)).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    l.kill('SIGKILL');
    // Without letting the event loop run: the launcher's death is not known yet.
    const end = Date.now() + 5000;
    while (isAlive(l.pid) && Date.now() < end) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    const r = l.launch({ command: 'touch ran', cwd: dir, env: env(), logFile: path.join(dir, 'x.log'), header: '' });
    expect(r).toEqual({ kind: 'fallback', reason: 'unavailable' });
    expect(l.alive).toBe(false);
    expect(existsSync(path.join(dir, 'ran'))).toBe(false);
  });

  test.runIf(linux)('idle children exit with the launcher; one killed while idle is never handed a task', async () => {
    const l = launcher();
    const dir = await tmp();
    expect(await waitFor(() => childrenOf(l.pid).length >= 4)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    // Kill the idle children behind the launcher's back; it notices, and so does Node.
    for (const pid of childrenOf(l.pid)) process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    const runs = [];
    for (let i = 0; i < 8; i++) {
      const r = l.launch({ command: `exit ${i}`, cwd: dir, env: env(), logFile: path.join(dir, `${i}.log`), header: '' });
      if (r.kind !== 'started') throw new Error(r.kind);
      runs.push(r.done);
    }
    const results = await Promise.all(runs);
    expect(results.map((r) => r.exitCode)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(await waitFor(() => childrenOf(l.pid).length >= 4)).toBe(true);
    const idle = childrenOf(l.pid);
    l.kill('SIGKILL');
    expect(await waitFor(() => idle.every(gone))).toBe(true);
  });

  // (a devDependency of this package: bundles launcher.ts for a process of its own)
  const esbuild = path.join(ROOT, 'packages', 'core', 'node_modules', '.bin', 'esbuild');
  /** A folder with launcher.ts bundled as ./launcher.mjs and `body` (which imports it) as main.mjs. */
  async function scriptUsingLauncher(body: (dir: string) => string): Promise<{ dir: string; script: string }> {
    const dir = await tmp();
    execFileSync(esbuild, [path.join(ROOT, 'packages/core/src/launcher.ts'), '--bundle', '--platform=node', '--format=esm', `--outfile=${path.join(dir, 'launcher.mjs')}`, '--log-level=warning']);
    const script = path.join(dir, 'main.mjs');
    writeFileSync(script, `import { Launcher } from './launcher.mjs';\n${body(dir)}`);
    return { dir, script };
  }
  if (program === 'compiled')
    test.runIf(linux)(
      'when Node goes away mid-task, the task runs on and its output is still saved; then the launcher exits',
      async () => {
        const { dir, script } = await scriptUsingLauncher(
          (d) => `const l = Launcher.start({ program: 'compiled' });
const r = l.launch({ command: 'echo early; sleep 0.5; echo late', cwd: ${JSON.stringify(d)}, env: { PATH: process.env.PATH }, logFile: ${JSON.stringify(path.join(d, 'task.log'))}, header: '' });
console.log(JSON.stringify({ launcher: l.pid, task: r.pid }));
setTimeout(() => process.exit(0), 100);
`,
        );
        const log = path.join(dir, 'task.log');
        const out = execFileSync(process.execPath, [script], { cwd: dir, encoding: 'utf8' });
        const { launcher: launcherPid, task } = JSON.parse(out.trim()) as { launcher: number; task: number };
        expect(isAlive(task)).toBe(true);
        expect(isAlive(launcherPid)).toBe(true);
        expect(await waitFor(() => existsSync(log) && readFileSync(log, 'utf8') === 'early\nlate\n')).toBe(true);
        expect(await waitFor(() => gone(launcherPid) && gone(task))).toBe(true);
      },
      30_000,
    );

  test.runIf(linux)(
    'it does not keep Node alive, and exits when Node does',
    async () => {
      const { dir, script } = await scriptUsingLauncher(
        (d) => `const l = Launcher.start({ program: ${JSON.stringify(program)} });
const r = l.launch({ command: 'sleep 0.3; echo done', cwd: ${JSON.stringify(d)}, env: { PATH: process.env.PATH }, logFile: ${JSON.stringify(path.join(d, 'task.log'))}, header: '' });
console.log(JSON.stringify({ launcher: l.pid }));
r.done.then((res) => console.log(JSON.stringify(res)));
`,
      );
      const child = spawn(process.execPath, [script], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      expect(code).toBe(0);
      const [first, second] = out.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      // Node waited for the running task (it is referenced while tasks run), then exited.
      expect(second).toEqual({ outcome: 'succeeded', exitCode: 0 });
      expect(readFileSync(path.join(dir, 'task.log'), 'utf8')).toBe('done\n');
      const launcherPid = first!.launcher as number;
      expect(await waitFor(() => gone(launcherPid))).toBe(true);
    },
    30_000,
  );
});
