import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  GuildError,
  countStates,
  driverAlive,
  formatDuration,
  listRuns,
  pickRun,
  readDriver,
  readStoredPlan,
  replayRun,
  runPaths,
  sendControl,
  type ControlAction,
  type RunPaths,
  type RunState,
  type StoredPlan,
  type TaskState,
} from '@guild/core';
import type { Io } from './cli.js';

/** A run as `guild status` and `guild runs` show it. */
export interface RunView {
  runId: string;
  /** `crashed`: the log says running but its driver is gone. */
  state: RunState['state'] | 'crashed';
  driver?: { pid: number; alive: boolean };
  source?: string;
  startedAt?: number;
  endedAt?: number;
  sessions: number;
  paused: boolean;
  serialized: boolean;
  tornLog: boolean;
  counts: Partial<Record<TaskState, number>>;
  tasks: Array<{
    id: string;
    state: TaskState;
    attempts: number;
    startedAt?: number;
    duration?: number;
    exitCode?: number;
    because?: string;
    error?: string;
  }>;
}

/** Reads a run's folder into a {@link RunView}. */
export function viewRun(
  paths: RunPaths,
  stored: StoredPlan = readStoredPlan(paths),
  state: ReturnType<typeof replayRun> = replayRun(paths, stored),
): RunView {
  const driver = readDriver(paths);
  const alive = driver ? driverAlive(paths) : false;
  const counts = Object.fromEntries(Object.entries(countStates(state)).filter(([, n]) => n > 0));
  return {
    runId: stored.runId,
    state: state.state === 'running' && !alive ? 'crashed' : state.state,
    driver: driver ? { pid: driver.pid, alive } : undefined,
    source: stored.source,
    startedAt: state.startedAt,
    endedAt: state.endedAt,
    sessions: state.sessions,
    paused: state.paused,
    serialized: state.serialized,
    tornLog: state.torn,
    counts,
    tasks: [...state.tasks.values()].map((t) => ({
      id: t.id,
      state: t.state,
      attempts: t.attempts,
      startedAt: t.startedAt,
      duration:
        t.startedAt === undefined ? undefined : ((t.endedAt ?? (t.state === 'running' ? Date.now() : t.startedAt)) - t.startedAt) / 1000,
      exitCode: t.exitCode,
      because: t.because,
      error: t.error,
    })),
  };
}

const time = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString().slice(11, 19));

function describeState(v: RunView): string {
  switch (v.state) {
    case 'crashed':
      return `crashed (its driver, process ${v.driver?.pid ?? '?'}, is gone; "guild run --resume ${v.runId}" continues it)`;
    case 'running':
      return `running (process ${v.driver?.pid}${v.paused ? ', paused' : ''}${v.serialized ? ', one task at a time' : ''})`;
    default:
      return v.state;
  }
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

/** `guild status [run-id] [--json]`. */
export function statusCommand(io: Io, projectRoot: string, ref: string | undefined, o: { json?: boolean }): number {
  const runId = pickRun(projectRoot, ref);
  const v = viewRun(runPaths(projectRoot, runId));
  if (o.json) {
    io.stdout(`${JSON.stringify(v, null, 2)}\n`);
    return 0;
  }
  const elapsed = v.startedAt === undefined ? '' : ` · ${formatDuration(((v.endedAt ?? Date.now()) - v.startedAt) / 1000)}`;
  const counts = Object.entries(v.counts)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  const lines = [
    `run ${v.runId}: ${describeState(v)}`,
    `started ${v.startedAt ? new Date(v.startedAt).toISOString() : '-'}${elapsed}${v.sessions > 1 ? ` · resumed ${v.sessions - 1}x` : ''}`,
    `${v.source ?? 'plan'}: ${v.tasks.length} tasks: ${counts}`,
  ];
  if (v.tornLog) lines.push('note: the last line of its event log was cut short (a crash mid-write) and is ignored');
  lines.push('');
  const rows = [['TASK', 'STATE', 'ATTEMPT', 'START', 'DURATION', 'EXIT', 'NOTE']];
  for (const t of v.tasks) {
    rows.push([
      t.id,
      t.state,
      String(t.attempts),
      time(t.startedAt),
      t.duration === undefined ? '-' : formatDuration(t.duration),
      t.exitCode === undefined ? '-' : String(t.exitCode),
      t.because ?? t.error ?? '',
    ]);
  }
  lines.push(...table(rows));
  io.stdout(`${lines.join('\n')}\n`);
  return 0;
}

/** `guild runs [--json]`: every run of the project, newest last. */
export function runsCommand(io: Io, projectRoot: string, o: { json?: boolean }): number {
  const views = listRuns(projectRoot).map((id) => viewRun(runPaths(projectRoot, id)));
  if (o.json) {
    io.stdout(`${JSON.stringify(views.map(({ tasks: _tasks, ...rest }) => rest), null, 2)}\n`);
    return 0;
  }
  if (views.length === 0) {
    io.stdout('no runs yet; start one with "guild run <plan>"\n');
    return 0;
  }
  const rows = [['RUN', 'STATE', 'STARTED', 'TASKS', 'DONE', 'FAILED', 'SOURCE']];
  for (const v of views) {
    const failed = (v.counts.failed ?? 0) + (v.counts['timed-out'] ?? 0);
    rows.push([
      v.runId,
      v.state,
      v.startedAt ? new Date(v.startedAt).toISOString().replace('T', ' ').slice(0, 19) : '-',
      String(v.tasks.length),
      String(v.counts.succeeded ?? 0),
      String(failed),
      v.source ?? '',
    ]);
  }
  io.stdout(`${table(rows).join('\n')}\n`);
  return 0;
}

/** `guild logs <run-id> <task-id> [--follow]`. */
export async function logsCommand(
  io: Io,
  projectRoot: string,
  ref: string,
  taskId: string,
  o: { follow?: boolean },
): Promise<number> {
  const runId = pickRun(projectRoot, ref);
  const paths = runPaths(projectRoot, runId);
  const stored = readStoredPlan(paths);
  if (!stored.specs.some((s) => s.id === taskId)) {
    throw new GuildError('RUN_NOT_FOUND', `run ${runId} has no task "${taskId}"; "guild status ${runId}" lists its tasks`);
  }
  const file = path.join(paths.logs, `${taskId}.log`);
  let offset = 0;
  const drain = () => {
    if (!existsSync(file)) return;
    const size = statSync(file).size;
    if (size <= offset) return;
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(size - offset);
      readSync(fd, buf, 0, buf.length, offset);
      offset = size;
      io.stdout(buf.toString('utf8'));
    } finally {
      closeSync(fd);
    }
  };
  const settledIn = (state: ReturnType<typeof replayRun>): boolean =>
    !['pending', 'ready', 'waiting', 'running', 'retrying'].includes(state.tasks.get(taskId)!.state);
  drain();
  if (!o.follow) {
    if (offset === 0) {
      // A task that printed nothing has no log (guild makes it at the first output).
      const ended = settledIn(replayRun(paths, stored));
      io.stderr(`guild: task ${taskId} of run ${runId} ${ended ? 'printed nothing' : 'has no output yet'}\n`);
    }
    return 0;
  }
  for (;;) {
    const state = replayRun(paths, stored);
    const settled = settledIn(state);
    const stopped = state.state !== 'running' || !driverAlive(paths);
    drain();
    if (settled || stopped) return 0;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** `guild pause|resume|serialize|abort [run-id]`: asks the running driver over its control socket. */
export async function controlCommand(io: Io, projectRoot: string, action: ControlAction, ref: string | undefined): Promise<number> {
  const runId = pickRun(projectRoot, ref);
  const paths = runPaths(projectRoot, runId);
  if (!driverAlive(paths)) {
    const v = viewRun(paths);
    throw new GuildError('RUN_NOT_RUNNING', `run ${runId} is not running (it is ${v.state}); nothing to ${action}`);
  }
  const reply = await sendControl(paths.dir, action);
  if (!reply.ok) throw new GuildError('RUN_NOT_RUNNING', `the driver refused: ${reply.error ?? 'no reason given'}`);
  const what: Record<string, string> = {
    pause: 'paused: no new task starts; running tasks go on ("guild resume" to continue)',
    resume: 'resumed',
    serialize: 'now runs one task at a time',
    abort: 'aborting: running tasks are being stopped',
  };
  io.stdout(`run ${runId} ${what[action] ?? action}\n`);
  return 0;
}
