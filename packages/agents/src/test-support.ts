import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createPlan, realClock, type Plan, type RunContext, type RunResult, type Runner, type Task, type TaskSpec } from '@guild/core';

/*
 * Helpers for this package's tests: plans and tasks built with core's own createPlan, and a
 * RunContext for starting a runner outside the scheduler.
 */

/** A plan over terse specs: agent tasks get a prompt, `agent: 'shell'` tasks a `run`. */
export function planOf(specs: Array<Partial<TaskSpec> & { id: string }>, root = '/tmp/guild-agents-test'): Plan {
  return createPlan(
    specs.map((s) => (s.agent === 'shell' ? { run: 'true', ...s } : { prompt: `do ${s.id}`, ...s })),
    { root },
  );
}

/** One task, as createPlan makes it. */
export function taskOf(spec: Partial<TaskSpec> & { id: string }, root?: string): Task {
  return planOf([spec], root).tasks.get(spec.id)!;
}

/** What a test sees of a runner's context, besides the context itself. */
export interface RecordingContext {
  ctx: RunContext;
  progress: string[];
  lines: string[];
}

/**
 * A RunContext on the real clock whose log file is `<dir>/logs/<task>.log`, with this process's
 * environment plus GUILD_* and `env`. Progress messages and log lines are collected.
 */
export function contextFor(task: Task, dir: string, env: Record<string, string> = {}, attempt = 1): RecordingContext {
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  const progress: string[] = [];
  const lines: string[] = [];
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) base[k] = v;
  const ctx: RunContext = {
    runId: 'test-run',
    attempt,
    workdir: task.cwd,
    env: { ...base, ...task.env, GUILD_RUN_ID: 'test-run', GUILD_TASK_ID: task.id, GUILD_WORKDIR: task.cwd, GUILD_ATTEMPT: String(attempt), ...env },
    logFile: path.join(dir, 'logs', `${task.id}.log`),
    log: (line) => lines.push(line),
    progress: (p) => {
      if (p.message) progress.push(p.message);
    },
    clock: realClock,
    signal: new AbortController().signal,
  };
  return { ctx, progress, lines };
}

/** Starts `task` with `runner` and waits for its result. */
export function runTask(runner: Runner, task: Task, ctx: RunContext): Promise<RunResult> {
  return runner.start(task, ctx).done;
}
