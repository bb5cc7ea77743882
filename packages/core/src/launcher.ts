import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants as fsc, existsSync, mkdtempSync, openSync, readSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { compiledLauncher } from './launcher-build.js';
import { LAUNCHER_SCRIPT } from './launcher-script.js';
import { isAlive, sleepSync } from './proc.js';
import type { RunResult } from './types.js';

/** One task for the launcher to start. Every field is data: none is read by a shell but `command`. */
export interface LaunchRequest {
  /** Run as `/bin/sh -c <command>`. */
  command: string;
  /** Absolute working directory. */
  cwd: string;
  /** The whole environment of the task. */
  env: Record<string, string>;
  /** Opened for append as the task's stdout and stderr. */
  logFile: string;
  /** Written to the log file before the command runs (include the newline). */
  header: string;
}

/** What {@link Launcher.launch} did. */
export type LaunchReply =
  /**
   * Running: `pid` leads the task's own session and process group; `procStart` is its start
   * time when the launcher read it (see proc.ts `startTimeOf`).
   */
  | { kind: 'started'; pid: number; procStart?: number; done: Promise<RunResult> }
  /** Not started, and the caller should start it some other way (`reason` says why). */
  | { kind: 'fallback'; reason: 'nul' | 'unavailable' }
  /** Not started, and it may not be tried again: the launcher died while starting it. */
  | { kind: 'failed'; error: string };

/** Which launcher program: the compiled one (launcher-c.ts), the perl one, or the first that can be had. */
export type LauncherProgram = 'auto' | 'compiled' | 'perl';

export interface LauncherOptions {
  /** Default `auto`: the compiled launcher, else the perl one. */
  program?: LauncherProgram;
  /** The perl to run (default `perl` on the PATH). */
  perl?: string;
  /** Where the compiled launcher is kept (see launcher-build.ts). */
  cacheDir?: string;
  /** The C compiler that builds it (see launcher-build.ts). */
  compiler?: string;
  /** How long to wait for the launcher to come up before giving up, ms (default 5000). */
  startTimeoutMs?: number;
  /** The most idle children it keeps ready (default 32); 0: it forks for each task while Node waits. */
  maxPool?: number;
}

/** Idle children the launcher starts with, and the most it keeps. */
const INITIAL_POOL = 4;
const MAX_POOL = 32;

interface Pending {
  pid: number;
  resolve: (r: RunResult) => void;
  /** Why its output could not be saved, when that happened. */
  lost?: string;
}

/** Signal names by number; the first name wins (SIGABRT, not SIGIOT), as in Node's own reports. */
const SIGNAL_NAMES = new Map<number, string>();
for (const [name, n] of Object.entries(os.constants.signals)) if (!SIGNAL_NAMES.has(n)) SIGNAL_NAMES.set(n, name);

/** Removes the launcher's start-up folder and its FIFOs, entry by entry. */
function removeLauncherDir(dir: string): void {
  for (const name of ['req', 'rep', 'req.new', 'rep.new']) {
    try {
      unlinkSync(path.join(dir, name));
    } catch {
      // not there
    }
  }
  try {
    rmdirSync(dir);
  } catch {
    // not empty or gone: leave it to the temp folder's cleaning
  }
}

/** This process's environment as it is now, without unset values. */
function snapshotEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return env;
}

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * A persistent fork server: a small process that starts tasks for this Node process, so Node
 * never forks itself. It is a compiled C program (launcher-c.ts, built once per machine by
 * launcher-build.ts) or, without a C compiler, a perl one (launcher-script.ts, which documents
 * the protocol both speak). It keeps a few idle children,
 * each already its own session and process group leader, whose pids Node learns ahead of time:
 * starting a task is then one write of a frame to a FIFO, and its pid is known at once. With no
 * idle child, Node waits for the launcher to fork one (one round trip). Exits arrive later on the
 * launcher's stdout.
 *
 * The launcher never keeps Node alive (its handles are referenced only while tasks run) and
 * exits when Node does (EOF on its stdin). If it dies, the tasks it was running are killed (their
 * exit could no longer be seen) and reported failed, and {@link alive} turns false for good.
 */
export class Launcher {
  /** The launcher process's pid. */
  readonly pid: number;
  /** Which program it is. */
  readonly program: 'compiled' | 'perl';
  private readonly child: ChildProcess;
  private readonly stdout: Readable;
  private readonly stdin: Writable;
  private reqFd: number;
  private repFd: number;
  private dead: string | undefined;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private buffered = '';
  /** Pids of the launcher's idle children, each ready to become a task. */
  private readonly idle: number[] = [];
  /** Their start times, when known. */
  private readonly startOf = new Map<number, number>();
  /** Pids of the tasks in {@link pending}. */
  private readonly runningPids = new Set<number>();
  /** How many idle children the launcher should keep: the most tasks that ran at once, capped. */
  private want: number;
  private readonly maxPool: number;
  private readonly replyBuf = Buffer.allocUnsafe(512);

  /**
   * Starts a launcher and waits (synchronously, blocking this thread for its start-up, some
   * milliseconds) until it can take requests. Undefined when it cannot be had: no perl, or it
   * failed to come up.
   */
  static start(options: LauncherOptions = {}): Launcher | undefined {
    return Launcher.begin(options)?.finish();
  }

  /**
   * Starts a launcher without waiting for it: {@link StartingLauncher.finish} later waits until
   * it takes requests (by then it usually does). Undefined when it cannot be started, or when
   * `ifBuilt` is set and the compiled launcher (program `auto` or `compiled`) would first have
   * to be built.
   */
  static begin(options: LauncherOptions & { ifBuilt?: boolean } = {}): StartingLauncher | undefined {
    let dir: string | undefined;
    let child: ChildProcess | undefined;
    try {
      const maxPool = Math.max(0, Math.min(MAX_POOL, options.maxPool ?? MAX_POOL));
      const pool = String(Math.min(INITIAL_POOL, maxPool));
      const want = options.program ?? 'auto';
      const compiled =
        want === 'perl' ? undefined : compiledLauncher({ cacheDir: options.cacheDir, compiler: options.compiler, build: !options.ifBuilt });
      if ((want === 'compiled' || (want === 'auto' && options.ifBuilt)) && !(compiled && 'path' in compiled)) return undefined;
      dir = mkdtempSync(path.join(os.tmpdir(), 'guild-launcher-'));
      const [program, cmd, args]: [Exclude<LauncherProgram, 'auto'>, string, string[]] =
        compiled && 'path' in compiled ? ['compiled', compiled.path, [dir, pool]] : ['perl', options.perl ?? 'perl', ['-e', LAUNCHER_SCRIPT, dir, pool]];
      // Tasks' environments are sent as changes to the launcher's own, which is then most of
      // them: this process's. Nothing of it reaches perl (PERL5OPT and the like).
      const env: Record<string, string> =
        program === 'compiled' ? snapshotEnv() : { PATH: process.env.PATH ?? '/usr/bin:/bin' };
      child = spawn(cmd, args, {
        argv0: 'guild-launcher',
        // Its own session: a Ctrl-C at the terminal is for guild, which stops tasks its own way.
        detached: true,
        stdio: ['pipe', 'pipe', 'ignore'],
        cwd: '/',
        env,
      });
      child.on('error', () => {});
      if (child.pid === undefined) throw new Error('the launcher could not be started');
      return new StartingLauncher(child, dir, program, env, maxPool, options.startTimeoutMs ?? 5000);
    } catch {
      if (child) abandonChild(child);
      if (dir) removeLauncherDir(dir);
      return undefined;
    }
  }

  /** @internal (used by {@link StartingLauncher}): `early` is what it wrote to stdout so far. */
  static connect(starting: StartingLauncher, reqFd: number, repFd: number, early: string): Launcher {
    starting.child.stdout!.removeAllListeners('data');
    const l = new Launcher(starting.child, reqFd, repFd, starting.maxPool, starting.program, starting.env);
    // Its first idle children, announced while it started: known before the first task starts.
    if (early) l.onData(early);
    return l;
  }

  private constructor(
    child: ChildProcess,
    reqFd: number,
    repFd: number,
    maxPool: number,
    program: 'compiled' | 'perl',
    private readonly baseEnv: Record<string, string>,
  ) {
    this.child = child;
    this.program = program;
    this.maxPool = maxPool;
    this.want = Math.min(INITIAL_POOL, maxPool);
    this.pid = child.pid!;
    this.reqFd = reqFd;
    this.repFd = repFd;
    // Its streams were set up (latin1, errors ignored, unreferenced) by StartingLauncher.
    this.stdin = child.stdin!;
    this.stdout = child.stdout!;
    this.stdout.on('data', (chunk: string) => this.onData(chunk));
    // All exit reports are in once its stdout closes: only then are the tasks left over lost.
    this.stdout.on('close', () => this.die(`exited${this.exitNote()}`));
  }

  /** ` (killed by SIGKILL)`, ` (exit code 0)`, or nothing while not known yet. */
  private exitNote(): string {
    const { signalCode, exitCode } = this.child;
    return signalCode ? ` (killed by ${signalCode})` : exitCode !== null ? ` (exit code ${exitCode})` : '';
  }

  /** Whether it still takes requests. */
  get alive(): boolean {
    return this.dead === undefined;
  }

  /** Tasks started on an idle child (`pooled`) and by a fork while Node waited (`forked`). */
  readonly stats = { pooled: 0, forked: 0 };

  /** Tasks started and not yet reported ended. */
  get running(): number {
    return this.pending.size;
  }

  /**
   * Starts a task and returns its pid. When the launcher has an idle child ready (the usual
   * case once it has been used a little) this is one write to a pipe; otherwise it waits for the
   * launcher to fork (a round trip, well under a millisecond on an idle machine).
   */
  launch(req: LaunchRequest): LaunchReply {
    if (this.dead !== undefined) return { kind: 'fallback', reason: 'unavailable' };
    const id = ++this.seq;
    const zygote = this.idle.pop();
    this.want = Math.min(this.maxPool, Math.max(this.want, 2 * (this.pending.size + 1)));
    const fields = [zygote !== undefined ? 'J' : 'S', String(this.want), String(id), String(zygote ?? ''), req.cwd, req.logFile, req.header, req.command];
    // The environment as a change to the launcher's: names to remove, then names to set.
    const base = this.baseEnv;
    const unset: string[] = [];
    for (const k in base) if (!Object.hasOwn(req.env, k)) unset.push(k);
    fields.push(String(unset.length), ...unset);
    for (const k in req.env) {
      const v = req.env[k]!;
      if (base[k] !== v || !Object.hasOwn(base, k)) fields.push(k, v);
    }
    // NUL cannot reach exec; the spawn path rejects such a task with Node's own error.
    for (const f of fields) {
      if (f.includes('\0')) {
        if (zygote !== undefined) this.idle.push(zygote);
        return { kind: 'fallback', reason: 'nul' };
      }
    }
    const payload = Buffer.from(fields.join('\0'), 'utf8');
    const frame = Buffer.allocUnsafe(4 + payload.length);
    frame.writeUInt32BE(payload.length, 0);
    payload.copy(frame, 4);
    try {
      let off = 0;
      while (off < frame.length) off += writeSync(this.reqFd, frame, off);
    } catch (e) {
      // EPIPE: nobody reads requests any more. Nothing was started.
      this.die(`stopped taking requests (${errnoCode(e) ?? String(e)})`);
      return { kind: 'fallback', reason: 'unavailable' };
    }
    let pid: number;
    let procStart: number | undefined;
    if (zygote !== undefined) {
      pid = zygote;
      procStart = this.startOf.get(pid);
      this.startOf.delete(pid);
      this.stats.pooled++;
    } else {
      this.stats.forked++;
      const line = this.readReply();
      if (line === undefined) {
        this.die('died while starting a task');
        return { kind: 'failed', error: `could not start: guild's process launcher (pid ${this.pid}) died while starting it` };
      }
      const [rid, what, arg] = line.split(' ');
      if (Number(rid) !== id) {
        this.die(`answered out of turn (${line.slice(0, 80)})`);
        return { kind: 'failed', error: `could not start: guild's process launcher (pid ${this.pid}) answered out of turn` };
      }
      if (what === 'E') return { kind: 'failed', error: `could not start: ${Buffer.from(arg ?? '', 'hex').toString()}` };
      pid = Number(what);
      if (arg) procStart = Number(arg);
      // It may be an idle child this side has not heard of yet, or has.
      const i = this.idle.indexOf(pid);
      if (i >= 0) this.idle.splice(i, 1);
      this.startOf.delete(pid);
    }
    let resolve!: (r: RunResult) => void;
    const done = new Promise<RunResult>((r) => (resolve = r));
    if (this.pending.size === 0) refStream(this.stdout);
    this.pending.set(id, { pid, resolve });
    this.runningPids.add(pid);
    return { kind: 'started', pid, procStart, done };
  }

  /**
   * Lets the launcher go: it exits once it reads EOF. Meant for when no task runs: any still
   * running are then handled as when the launcher dies (killed, reported failed).
   */
  close(): void {
    if (this.dead === undefined) this.dead = 'was closed';
    this.closeFds();
    this.stdin.end();
  }

  /** Kills the launcher process (for tests of what happens when it dies). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    try {
      process.kill(this.pid, signal);
    } catch {
      // already gone
    }
  }

  /** Reads one reply line from the reply FIFO, blocking; undefined at EOF (the launcher died). */
  private readReply(): string | undefined {
    let text = '';
    for (;;) {
      let n: number;
      try {
        n = readSync(this.repFd, this.replyBuf, 0, this.replyBuf.length, null);
      } catch (e) {
        const code = errnoCode(e);
        if (code === 'EAGAIN' || code === 'EINTR') continue;
        return undefined;
      }
      if (n === 0) return undefined;
      text += this.replyBuf.toString('latin1', 0, n);
      const nl = text.indexOf('\n');
      if (nl >= 0) return text.slice(0, nl);
    }
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      const [kind, a, b, hex] = line.split(' ');
      if (kind === 'Z') {
        const pid = Number(a);
        // Late news of a child already handed a task (through an `S` answer): not idle.
        if (this.runningPids.has(pid)) continue;
        this.idle.push(pid);
        if (b) this.startOf.set(pid, Number(b));
      } else if (kind === 'D') {
        const pid = Number(a);
        const i = this.idle.indexOf(pid);
        if (i >= 0) this.idle.splice(i, 1);
        this.startOf.delete(pid);
      } else if (kind === 'W') {
        // The task's output could not be saved (compiled launcher): its X line follows.
        const p = this.pending.get(Number(a));
        if (p && b) p.lost = Buffer.from(b, 'hex').toString();
      } else if (kind === 'X') {
        const id = Number(a);
        const p = this.pending.get(id);
        if (!p) continue;
        this.pending.delete(id);
        this.runningPids.delete(p.pid);
        if (this.pending.size === 0) unrefStream(this.stdout);
        const result = resultOf(Number(b), hex);
        // Output that could not be saved fails the task, whatever its exit: it is lost.
        p.resolve(p.lost === undefined ? result : { ...result, outcome: 'failed', error: p.lost });
      }
    }
  }

  /** It can no longer be used: see to the tasks it was running, whose end can no longer be seen. */
  private die(why: string): void {
    if (this.dead === undefined) this.dead = why;
    this.closeFds();
    try {
      this.child.kill('SIGKILL');
    } catch {
      // gone
    }
    const lost = [...this.pending.values()];
    this.pending.clear();
    this.runningPids.clear();
    this.idle.length = 0;
    this.startOf.clear();
    unrefStream(this.stdout);
    for (const p of lost) {
      try {
        process.kill(-p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      p.resolve({
        outcome: 'failed',
        error: `guild's process launcher (pid ${this.pid}) ${this.dead}, so the task's process group ${p.pid} was killed`,
      });
    }
  }

  private closeFds(): void {
    for (const fd of [this.reqFd, this.repFd]) {
      if (fd < 0) continue;
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
    this.reqFd = this.repFd = -1;
  }
}

/**
 * A RunResult from a raw wait status, and the launcher's message when the task never ran its
 * command: it failed before exec, or its idle child died before the task reached it — killed by
 * a signal when the task was stopped first, which is then what the task ended by.
 */
function resultOf(status: number, hex: string | undefined): RunResult {
  const sig = status & 0x7f;
  if (hex !== undefined && sig === 0)
    return { outcome: 'failed', error: `could not start: ${Buffer.from(hex, 'hex').toString()}` };
  if (sig !== 0) {
    const signal = SIGNAL_NAMES.get(sig) ?? `SIG${sig}`;
    return { outcome: 'failed', signal, error: `killed by ${signal}` };
  }
  const code = (status >> 8) & 0xff;
  return code === 0 ? { outcome: 'succeeded', exitCode: 0 } : { outcome: 'failed', exitCode: code };
}

function refStream(s: Readable | Writable): void {
  (s as unknown as { ref?: () => void }).ref?.();
}

function unrefStream(s: Readable | Writable): void {
  (s as unknown as { unref?: () => void }).unref?.();
}

/** Kills a launcher that will not be used, without waiting for it. */
function abandonChild(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    child.kill('SIGKILL');
  } catch {
    // gone
  }
  child.unref();
}

/** A launcher started by {@link Launcher.begin}, not yet taking requests. */
export class StartingLauncher {
  private done = false;
  /** What the launcher wrote to its stdout before {@link finish}: news of its first idle children. */
  private early = '';

  /** @internal */
  constructor(
    readonly child: ChildProcess,
    private readonly dir: string,
    readonly program: 'compiled' | 'perl',
    readonly env: Record<string, string>,
    readonly maxPool: number,
    private readonly timeoutMs: number,
  ) {
    const stdout = child.stdout!;
    child.stdin!.on('error', () => {});
    stdout.on('error', () => {});
    stdout.setEncoding('latin1');
    stdout.on('data', (chunk: string) => {
      this.early += chunk;
    });
    // Never what keeps this process alive.
    child.unref();
    unrefStream(stdout);
    unrefStream(child.stdin!);
  }

  /**
   * Waits (synchronously) until the launcher takes requests and connects to it. Undefined when
   * it failed to come up; call it once.
   */
  finish(): Launcher | undefined {
    if (this.done) throw new Error('StartingLauncher.finish() was called twice');
    this.done = true;
    const { child, dir } = this;
    const fds: number[] = [];
    try {
      const pid = child.pid!;
      const req = path.join(dir, 'req');
      const deadline = Date.now() + this.timeoutMs;
      while (!existsSync(req)) {
        if (Date.now() > deadline || !isAlive(pid)) throw new Error('the launcher did not start');
        sleepSync(1);
      }
      // Opened so that no open can block, whatever the launcher does meanwhile: a blocking open
      // of a FIFO waits for the other end, so hold the other end ourselves for a moment.
      const rep = path.join(dir, 'rep');
      const open = (file: string, flags: number): number => {
        const fd = openSync(file, flags);
        fds.push(fd);
        return fd;
      };
      const close = (fd: number): void => {
        fds.splice(fds.indexOf(fd), 1);
        closeSync(fd);
      };
      const repOther = open(rep, fsc.O_RDONLY | fsc.O_NONBLOCK);
      const repHold = open(rep, fsc.O_WRONLY | fsc.O_NONBLOCK);
      const repFd = open(rep, fsc.O_RDONLY);
      const reqHold = open(req, fsc.O_RDONLY | fsc.O_NONBLOCK);
      const reqFd = open(req, fsc.O_WRONLY);
      close(repOther);
      close(repHold);
      close(reqHold);
      // Not rmSync(dir, { recursive: true }): on Node 20 its last stat (of a FIFO) can poison
      // fs.realpathSync's cache, and a later import() through a symlink then fails.
      removeLauncherDir(dir);
      return Launcher.connect(this, reqFd, repFd, this.early);
    } catch {
      for (const fd of fds) {
        try {
          closeSync(fd);
        } catch {
          // already closed
        }
      }
      abandonChild(child);
      removeLauncherDir(dir);
      return undefined;
    }
  }
}

let shared: Launcher | null | undefined;

/** A shared launcher started ahead of its first use by {@link prepareSharedLauncher}. */
let starting: StartingLauncher | undefined;

/** The launcher program GUILD_LAUNCHER asks for (=spawn is the shell runner's business). */
function programFromEnv(): LauncherProgram {
  const env = process.env.GUILD_LAUNCHER;
  return env === 'perl' || env === 'compiled' ? env : 'auto';
}

/**
 * Starts the process-wide launcher now, without waiting for it, so that it is up by the time the
 * first task starts (a command calls this before loading its plan). Does nothing when it is
 * started already, when GUILD_LAUNCHER=spawn, or when the compiled launcher is not built yet
 * (building it is left to the first task, which needs it).
 */
export function prepareSharedLauncher(): void {
  if (shared !== undefined || starting !== undefined || process.env.GUILD_LAUNCHER === 'spawn') return;
  starting = Launcher.begin({ program: programFromEnv(), ifBuilt: true });
}

/**
 * The process-wide launcher, started at first use; undefined when none can be had (no perl, or
 * it failed to start, or it died: then it is not tried again in this process).
 */
export function sharedLauncher(): Launcher | undefined {
  if (shared === undefined) {
    // GUILD_LAUNCHER=perl or =compiled picks one (and only that one); =spawn is the shell runner's.
    const early = starting;
    starting = undefined;
    shared = early?.finish() ?? Launcher.start({ program: programFromEnv() }) ?? null;
  }
  if (shared && !shared.alive) shared = null;
  return shared ?? undefined;
}
