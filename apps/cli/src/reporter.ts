import path from 'node:path';
import { GuildError, describeBlocker, formatDuration, logReference, stamp as runClock, summaryLine, type ReporterFactory, type RunEvent, type RunSummary } from '@guild/core';
import type { Context } from './commands.js';

/** The built-in plain reporter: a line per transition, then the summary line. */
export const plainReporter = (write: (text: string) => void): ReporterFactory => ({
  name: 'plain',
  interactive: false,
  create(ctx) {
    // The lines of one turn of the event loop go out in one write (a run of many short tasks
    // would otherwise spend more on writing lines than on anything else it does per task).
    let pending = '';
    const flush = (): void => {
      if (pending === '') return;
      const text = pending;
      pending = '';
      write(text);
    };
    const lines = lineReporter(
      (line) => {
        if (pending === '') queueMicrotask(flush);
        pending += `${line}\n`;
      },
      { logDir: ctx.logDir, cwd: ctx.cwd },
    );
    return {
      onEvent: lines.listener,
      close: (summary) => {
        flush();
        write(`${lines.summary(summary)}\n`);
      },
    };
  },
});

/**
 * `--reporter <name>`, else the live monitor when stdout is a terminal and this is not CI (and
 * a plugin provides one), else the plain reporter.
 */
export function chooseReporter(ctx: Context, name: string | undefined): ReporterFactory {
  const plain = plainReporter(ctx.io.stdout);
  const all = new Map<string, ReporterFactory>([['plain', plain], ...ctx.host.reporters]);
  if (name !== undefined) {
    const chosen = all.get(name);
    if (!chosen) {
      throw new GuildError('USAGE', `--reporter ${name}: no such reporter; choose one of ${[...all.keys()].join(', ')}`);
    }
    if (chosen.interactive && !ctx.io.terminal?.stdout.isTTY) {
      throw new GuildError('USAGE', `--reporter ${name} needs a terminal, and stdout is not one; use --reporter plain`);
    }
    return chosen;
  }
  const env = ctx.io.env ?? process.env;
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
  const tui = all.get('tui');
  if (tui && ctx.io.terminal?.stdout.isTTY && !ci && env.TERM !== 'dumb') return tui;
  return plain;
}

/** Writes one line per task transition; meant for logs, CI and pipes. */
export interface LineReporter {
  listener: (event: RunEvent) => void;
  /** The closing summary lines. */
  summary(summary: RunSummary): string;
}

/**
 * The plain line reporter: `[mm:ss.mmm] <task> started|succeeded|failed|skipped|waiting ...`.
 * Times are since the run started. Waiting lines appear only when what blocks a task changes.
 */
export function lineReporter(write: (line: string) => void, opts: { logDir: string; cwd: string }): LineReporter {
  let t0 = 0;
  const started = new Map<string, number>();
  const stamp = (at: number) => runClock(at - t0);
  const listener = (e: RunEvent) => {
    switch (e.type) {
      case 'run.started':
        t0 = e.at;
        write(
          `guild run ${e.runId}: ${e.tasks} task${e.tasks === 1 ? '' : 's'}, ${e.slots} slot${e.slots === 1 ? '' : 's'}` +
            (e.boost > e.slots ? ` (+${e.boost - e.slots} for priority 0)` : '') +
            `, logs in ${path.relative(opts.cwd, opts.logDir) || '.'}`,
        );
        break;
      case 'task.started':
        started.set(e.id, e.at);
        write(`${stamp(e.at)} ${e.id} started${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''} in slot ${e.slot}`);
        break;
      case 'task.finished': {
        const took = formatDuration((e.at - (started.get(e.id) ?? e.at)) / 1000);
        const exit = e.exitCode !== undefined ? ` (exit ${e.exitCode})` : e.signal ? ` (${e.signal})` : '';
        const verb = e.outcome === 'timed-out' ? 'timed out' : e.outcome;
        const tail = e.outcome === 'succeeded' ? '' : `${e.error ? `: ${e.error}` : ''}; ${logReference(opts.logDir, opts.cwd, e.id)}`;
        write(`${stamp(e.at)} ${e.id} ${verb} in ${took}${exit}${tail}`);
        break;
      }
      case 'task.retrying':
        write(`${stamp(e.at)} ${e.id} will retry (attempt ${e.attempt}) in ${formatDuration(e.delay)}`);
        break;
      case 'task.skipped':
        write(`${stamp(e.at)} ${e.id} ${e.dropped ? 'dropped' : 'skipped'}: ${e.because}`);
        break;
      case 'task.waiting':
        write(`${stamp(e.at)} ${e.id} waiting: ${e.on.map(describeBlocker).join('; ')}`);
        break;
      case 'run.control':
        write(`${stamp(e.at)} run ${e.action}${e.action === 'abort' ? 'ing' : 'd'}`);
        break;
      default:
        break;
    }
  };
  return {
    listener,
    summary: (s) => summaryLine(s),
  };
}
