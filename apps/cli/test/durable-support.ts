/**
 * Shared bits of the durable-run end-to-end tests (crash and resume, control, timeouts,
 * retries, stress); not a test file itself. Every guild process these tests start carries a
 * tag in its environment, which its tasks inherit, so whatever a failed test leaves behind
 * (a killed driver's tasks, a 60 s ticker) is found and killed afterwards.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { stringify } from 'yaml';
import {
  isAlive,
  killGroup,
  processesWithEnv,
  readEventLog,
  runPaths,
  type RunEvent,
} from '@guild/core';
import { runGuild, shellQuote, startGuild, waitFor, type GuildProcess, type GuildResult } from '@guild/test-utils';
import type { RunView } from '../src/runs-commands.js';

/** This test file's tag: set as GUILD_TEST_TAG on every guild process, inherited by every task. */
export const TEST_TAG = randomUUID();
const env = { GUILD_TEST_TAG: TEST_TAG };

/** Kills every process still carrying this file's tag (call from afterAll). */
export function killTagged(): void {
  for (const pid of processesWithEnv('GUILD_TEST_TAG', TEST_TAG)) {
    killGroup(pid, 'SIGKILL');
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Runs the built guild with this file's tag. */
export function guild(args: readonly string[], cwd: string, timeoutMs = 30_000): Promise<GuildResult> {
  return runGuild(args, { cwd, env, timeoutMs });
}

/** Starts the built guild with this file's tag, for tests that act while it runs. */
export function startTagged(args: readonly string[], cwd: string, timeoutMs = 30_000): GuildProcess {
  return startGuild(args, { cwd, env, timeoutMs });
}

/** A task as written in a plan file, with the fields the durable tests use. */
export interface DurableTask {
  id: string;
  run: string;
  dependsOn?: string[];
  priority?: number;
  timeout?: string | number;
  retries?: number;
  writes?: string[];
}

/** A YAML plan file's text. */
export const planText = (tasks: DurableTask[]): string => stringify({ version: 1, tasks });

/** The run id from the header line `guild run <id>: ...`. */
export function runIdFrom(stdout: string): string {
  const m = /^guild run (\S+): /m.exec(stdout);
  if (!m) throw new Error(`no "guild run <id>:" header in:\n${stdout}`);
  return m[1]!;
}

/** Formats a result for assertion messages. */
export const show = (r: GuildResult): string => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

/** `guild status <id> --json`, checked to exit 0. */
export async function statusJson(cwd: string, runId: string): Promise<RunView> {
  const r = await guild(['status', runId, '--json'], cwd);
  expect(r.code, show(r)).toBe(0);
  return JSON.parse(r.stdout) as RunView;
}

/** One task of a status view. */
export function taskOf(view: RunView, id: string): RunView['tasks'][number] {
  const t = view.tasks.find((x) => x.id === id);
  if (!t) throw new Error(`status has no task ${id}`);
  return t;
}

/** The events of a run's log (a torn last line is left out). */
export function eventsOf(projectRoot: string, runId: string): RunEvent[] {
  return readEventLog(runPaths(projectRoot, runId).events).events;
}

/** Lines of a file, or none if it does not exist. */
export function linesOf(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

/** Waits until every process in `pids` is gone (no /proc entry, or a zombie nobody reaps). */
export async function waitGone(pids: number[], timeoutMs = 3000): Promise<void> {
  await waitFor(`processes ${pids.filter(isAlive).join(', ')} to be gone`, () => pids.every((p) => !isAlive(p)), { timeoutMs });
}

/**
 * A "ticker" task: appends `start <shell pid> <GUILD_ATTEMPT> <ms>` to `file`, then
 * `tick <shell pid> <ms>` every 100 ms, then `end <shell pid> <ms>`. Its first run anywhere
 * ticks for `firstTicks` (long enough to be caught by a crash), later runs for `laterTicks`.
 * The file holds every run, so a test sees from the task's own side what ran when.
 */
export function tickerCmd(file: string, firstTicks = 600, laterTicks = 3): string {
  const f = shellQuote(file);
  return [
    `if [ -e ${f}.ran ]; then n=${laterTicks}; else : > ${f}.ran; n=${firstTicks}; fi`,
    `echo "start $$ $GUILD_ATTEMPT $(date +%s%3N)" >> ${f}`,
    'i=0',
    `while [ $i -lt $n ]; do echo "tick $$ $(date +%s%3N)" >> ${f}; sleep 0.1; i=$((i+1)); done`,
    `echo "end $$ $(date +%s%3N)" >> ${f}`,
  ].join('; ');
}

/**
 * A task that records its start (as `recordCmd` does), waits until `release` exists
 * (at most 20 s), then records its end: it runs exactly as long as the test wants.
 */
export function holdCmd(id: string, dir: string, release: string): string {
  const file = shellQuote(path.join(dir, `${id}.rec`));
  return (
    `mkdir -p ${shellQuote(dir)}; echo ${id} start $(date +%s%3N) >> ${file}; i=0; ` +
    `while [ ! -e ${shellQuote(release)} ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; ` +
    `echo ${id} end $(date +%s%3N) >> ${file}`
  );
}

/** One run of a ticker task, read back from its file. */
export interface TickerRun {
  pid: number;
  attempt: number;
  start: number;
  ticks: number[];
  end?: number;
}

/** Reads a {@link tickerCmd} file: its runs in the order they started. */
export function readTicker(file: string): TickerRun[] {
  const runs = new Map<number, TickerRun>();
  for (const line of linesOf(file)) {
    const [what, pid, a, b] = line.split(' ');
    if (what === 'start') runs.set(Number(pid), { pid: Number(pid), attempt: Number(a), start: Number(b), ticks: [] });
    else if (what === 'tick') runs.get(Number(pid))!.ticks.push(Number(a));
    else if (what === 'end') runs.get(Number(pid))!.end = Number(a);
    else throw new Error(`${file}: cannot read "${line}"`);
  }
  return [...runs.values()].sort((x, y) => x.start - y.start);
}

/** The path of a file under `dir`. */
export const at = (dir: string, ...parts: string[]): string => path.join(dir, ...parts);
