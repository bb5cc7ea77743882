import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { formatDuration, killGroup, startTimeOf, type Clock, type Seconds } from '@guild/core';
import type { AgentVerdict, LineReport, OutputParser } from './parsers/index.js';

/** What {@link startAgentProcess} needs. */
export interface AgentProcessOptions {
  /** The rendered argv: command first. Spawned as is, never through a shell. */
  argv: readonly string[];
  cwd: string;
  env: Record<string, string>;
  /** An open file descriptor the output is appended to. */
  logFd: number;
  parser: OutputParser;
  clock: Clock;
  /** Seconds without activity before the process group is killed as stalled; undefined: never. */
  stallTimeout?: Seconds;
  /** Each line of output and what the parser made of it. */
  onLine(text: string, stream: 'stdout' | 'stderr', report: LineReport): void;
}

/** How an agent process ended. */
export type AgentEnd =
  /** The command does not exist (ENOENT): the CLI is not installed. */
  | { kind: 'missing' }
  | { kind: 'unstartable'; message: string }
  | {
      kind: 'exited';
      code: number | null;
      signal: NodeJS.Signals | null;
      /** Set when stall detection killed it. */
      stalled?: string;
      verdict: AgentVerdict;
    };

/** A started agent process. */
export interface AgentProcess {
  /** Leader of its own process group. */
  readonly pid?: number;
  readonly procStart?: number;
  readonly ended: Promise<AgentEnd>;
  /** `graceful`: SIGTERM to the group; `now`: SIGKILL. */
  kill(how: 'graceful' | 'now'): void;
}

/** How long to wait for the output pipes to drain after the leader exits, when a grandchild holds them open. */
const DRAIN_MS = 5000;
/** Between SIGTERM and SIGKILL for a stalled agent's process group. */
const STALL_KILL_GRACE_MS = 3000;

/**
 * Starts one agent CLI: `child_process.spawn` without a shell, detached into its own process
 * group, stdin from /dev/null, stdout and stderr appended to the log and fed to the parser line
 * by line. When `stallTimeout` passes without a line the parser counts as activity, the whole
 * group is stopped (SIGTERM, then SIGKILL) and the end carries `stalled`.
 */
export function startAgentProcess(o: AgentProcessOptions): AgentProcess {
  let child: ChildProcess;
  try {
    child = spawn(o.argv[0]!, o.argv.slice(1), {
      cwd: o.cwd,
      env: o.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    return { ended: Promise.resolve(startFailure(error as NodeJS.ErrnoException, o.cwd)), kill() {} };
  }
  const pid = child.pid;
  const kill = (how: 'graceful' | 'now') => {
    if (pid !== undefined) killGroup(pid, how === 'graceful' ? 'SIGTERM' : 'SIGKILL');
  };
  const stall = watchStall(o, () => {
    kill('graceful');
    o.clock.after(STALL_KILL_GRACE_MS, () => kill('now'));
  });
  const pump = (stream: NodeJS.ReadableStream, name: 'stdout' | 'stderr') => {
    const decoder = new StringDecoder('utf8');
    let partial = '';
    const take = (text: string) => {
      const report = o.parser.line(text, name);
      if (report.activity) stall.active();
      o.onLine(text, name, report);
    };
    stream.on('data', (chunk: Buffer) => {
      writeSync(o.logFd, chunk);
      const lines = (partial + decoder.write(chunk)).split('\n');
      partial = lines.pop()!;
      for (const line of lines) take(line.replace(/\r$/, ''));
    });
    stream.on('end', () => {
      const rest = partial + decoder.end();
      if (rest !== '') take(rest);
    });
  };
  pump(child.stdout!, 'stdout');
  pump(child.stderr!, 'stderr');
  const ended = new Promise<AgentEnd>((resolve) => {
    let settled = false;
    const settle = (end: AgentEnd) => {
      if (settled) return;
      settled = true;
      stall.stop();
      resolve(end);
    };
    child.once('error', (error: NodeJS.ErrnoException) => settle(startFailure(error, o.cwd)));
    child.once('exit', (code, signal) => {
      const finish = () => settle({ kind: 'exited', code, signal, stalled: stall.reason, verdict: o.parser.end({ code, signal }) });
      // 'close' comes once both pipes are drained; a grandchild that keeps them open must not hold the task.
      const cancel = o.clock.after(DRAIN_MS, () => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish();
      });
      child.once('close', () => {
        cancel();
        finish();
      });
    });
  });
  return { pid, procStart: pid !== undefined ? startTimeOf(pid) : undefined, ended, kill };
}

/** Stall detection: one timer, re-armed for the time left since the last activity. */
function watchStall(o: AgentProcessOptions, onStall: () => void) {
  let last = o.clock.now();
  let reason: string | undefined;
  let cancel: (() => void) | undefined;
  const limitMs = (o.stallTimeout ?? 0) * 1000;
  const arm = (ms: number) => {
    cancel = o.clock.after(ms, () => {
      const idle = o.clock.now() - last;
      if (idle < limitMs) return arm(limitMs - idle);
      reason = `no progress for ${formatDuration(limitMs / 1000)}`;
      onStall();
    });
  };
  if (limitMs > 0) arm(limitMs);
  return {
    active: () => {
      last = o.clock.now();
    },
    stop: () => cancel?.(),
    get reason() {
      return reason;
    },
  };
}

/** Why an agent process could not start, from spawn's error (thrown, or emitted). */
function startFailure(error: NodeJS.ErrnoException, cwd: string): AgentEnd {
  if (error.code === 'ENOENT' && !existsSync(cwd)) return { kind: 'unstartable', message: `its working directory ${cwd} does not exist` };
  if (error.code === 'ENOENT') return { kind: 'missing' };
  if (error.code === 'E2BIG') {
    return { kind: 'unstartable', message: 'its command line is too long for the system (E2BIG): its arguments and environment together are more than it takes' };
  }
  return { kind: 'unstartable', message: error.message };
}
