import { closeSync, openSync, writeSync } from 'node:fs';
import type { Blocker, RunContext, RunResult, Runner, RunningTask, Task } from '@guild/core';
import { startAgentProcess, type AgentEnd, type AgentProcess } from './agent-process.js';
import { argvTooLong, renderArgv } from './argv.js';
import { PARSERS } from './parsers/index.js';
import type { AgentProfile } from './profiles.js';
import { buildPrompt, declaredFiles } from './prompt.js';

/** What an agent runner works with. */
export interface AgentRunnerDeps {
  /** The profile a runner name stands for (a profile's name or a role). */
  resolve(name: string): AgentProfile | undefined;
  /** The agent rules, told about fallbacks and rate limits (absent: no rules apply). */
  rules?: {
    switchTo(taskId: string, runner: string): Blocker[];
    rateLimited(runner: string): void;
  };
  /** The current plan's root, which declared paths are relative to (default: the task's folder). */
  planRoot?: () => string | undefined;
  /** Seconds after which a task every agent refused for rate limits is tried again (default 60). */
  retryAfter?: number;
}

/**
 * A runner for one agent profile (or role). It renders the profile's argv for the task (the
 * prompt as one argument), spawns it in its own process group with `ctx.env` plus the profile's
 * env, appends its output to the task's log, reports progress from its structured output, and
 * judges success by what the agent says. When the CLI is not installed or reports rate
 * limiting, it goes on with the task's `fallbackAgents` (else the profile's `fallbacks`) that the
 * agent rules allow right now; rate limiting also lowers the agent's limit.
 */
export function createAgentRunner(name: string, deps: AgentRunnerDeps): Runner {
  return {
    name,
    start(task: Task, ctx: RunContext): RunningTask {
      const first = deps.resolve(name);
      if (!first) throw new Error(`no agent profile "${name}"`);
      const chain = [first, ...(task.spec.fallbackAgents ?? first.fallbacks).flatMap((f) => deps.resolve(f) ?? [])];
      const candidates = chain.filter((p, i) => chain.findIndex((q) => q.name === p.name) === i);
      const fd = openSync(ctx.logFile, 'a');
      const prompt = buildPrompt(task);
      const files = declaredFiles(task, deps.planRoot?.());
      let current: AgentProcess | undefined;
      let stopped = false;

      const launch = (profile: AgentProfile): AgentProcess => {
        const argv = renderArgv(profile.argv, { prompt, files, workdir: ctx.workdir, model: profile.model, task: task.id });
        const shown = argv.map((a) => (a.includes(prompt) && prompt.length > 60 ? `<prompt, ${prompt.length} chars>` : JSON.stringify(a)));
        writeSync(fd, `--- guild: attempt ${ctx.attempt} at ${new Date().toISOString()}: ${profile.name}: ${shown.join(' ')}\n`);
        const tooLong = argvTooLong(argv, prompt);
        if (tooLong !== undefined) return { ended: Promise.resolve({ kind: 'unstartable', message: tooLong }), kill() {} };
        ctx.progress({ message: `${profile.name} started` });
        return startAgentProcess({
          argv,
          cwd: ctx.workdir,
          env: { ...ctx.env, ...profile.env },
          logFd: fd,
          parser: PARSERS[profile.parser](),
          clock: ctx.clock,
          stallTimeout: profile.stallTimeout,
          onLine(text, stream, report) {
            if (report.progress) ctx.progress({ message: report.progress });
            if (report.progress || profile.parser === 'plain') ctx.log(report.progress ?? text, stream);
          },
        });
      };

      const run = async (): Promise<RunResult> => {
        const notes: string[] = [];
        let last: RunResult | undefined;
        let limited = false;
        for (const [i, profile] of candidates.entries()) {
          if (stopped) break;
          if (i > 0) {
            const blockers = deps.rules?.switchTo(task.id, profile.name) ?? [];
            if (blockers.length > 0) {
              notes.push(`${profile.name} not tried: ${blockers.map(describe).join(', ')}`);
              continue;
            }
            writeSync(fd, `--- guild: falling back to ${profile.name} (${notes.at(-1)})\n`);
          }
          current = launch(profile);
          const judged = judge(profile, await current.ended);
          writeSync(fd, `--- guild: ${profile.name} ${judged.note}\n`);
          if (judged.result.outcome === 'succeeded') ctx.progress({ message: `${profile.name} ${judged.note}` });
          if (judged.rateLimited) deps.rules?.rateLimited(profile.name);
          if (!judged.fallBack || stopped) return judged.result;
          last = judged.result;
          limited ||= judged.rateLimited;
          notes.push(judged.result.error!);
        }
        // Rate-limited to the end: worth another attempt once the limit has had time to lift.
        return { ...last, outcome: 'failed', error: notes.join('; '), ...(limited && !stopped ? { retryAfter: deps.retryAfter ?? 60 } : {}) };
      };

      // run() launches the first agent before its first await, so `pid` is known on return.
      const done = run().finally(() => closeSync(fd));
      return {
        get pid() {
          return current?.pid;
        },
        get procStart() {
          return current?.procStart;
        },
        done,
        stop(how) {
          stopped = true;
          current?.kill(how);
        },
      };
    },
  };
}

interface Judged {
  result: RunResult;
  /** Try the next agent in the fallback chain. */
  fallBack: boolean;
  rateLimited: boolean;
  /** What happened, after the agent's name, for the log: `succeeded (3 turns, $0.0123)`. */
  note: string;
}

/** Turns a process end into the task's result, in the agent's own words. */
function judge(profile: AgentProfile, end: AgentEnd): Judged {
  const name = profile.name;
  const failed = (note: string, more: Partial<Judged> & { error?: string; exit?: Partial<RunResult> } = {}): Judged => ({
    result: { outcome: 'failed', ...more.exit, error: more.error ?? `${name} ${note}` },
    fallBack: more.fallBack ?? false,
    rateLimited: more.rateLimited ?? false,
    note,
  });
  if (end.kind === 'missing') {
    return failed('is not installed', {
      fallBack: true,
      error: `${name}: command "${profile.argv[0]}" not found (install it, or set profiles.${name}.command)`,
    });
  }
  if (end.kind === 'unstartable') return failed(`could not start: ${end.message}`);
  const exit = { ...(end.code !== null ? { exitCode: end.code } : {}), ...(end.signal ? { signal: end.signal } : {}) };
  const usage = end.verdict.usage ? ` (${end.verdict.usage})` : '';
  if (end.stalled) return failed(`stalled: ${end.stalled}; stopped it`, { exit });
  if (end.verdict.ok) return { result: { outcome: 'succeeded', ...exit }, fallBack: false, rateLimited: false, note: `succeeded${usage}` };
  const said = end.verdict.message ?? 'reported a failure';
  if (end.verdict.rateLimited) return failed(`is rate-limited: ${said}`, { exit, fallBack: true, rateLimited: true });
  return failed(`failed${usage}: ${said}`, { exit, error: `${name}: ${said}` });
}

function describe(b: Blocker): string {
  return b.kind === 'agent' ? `${b.reason}${b.with ? ` (with ${b.with})` : ''}` : b.kind;
}
