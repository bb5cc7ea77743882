import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { GuildError, type Logger, type SourceContext, type Task, type TaskSource, type TaskSpec } from '@guild/core';
import { formatWarning } from './problems';
import { toTaskSpecs, type MarkdownMeta } from './specs';
import { parseTaskList } from './task-list';
import { tickTask } from './tick';

/** How {@link markdownSource} makes and finishes tasks. */
export interface MarkdownSourceOptions {
  /** Tick a task's box in its file when it succeeds (adds `sink.finished`). */
  updateSource?: boolean;
  /** A shell command every task runs instead of an agent (text only through env). */
  run?: string;
  /** The runner every task uses; default none (agent detection picks one). */
  agent?: string;
  /** Absolute folder tasks run in and their paths are relative to; default the folder `load` is given. */
  root?: string;
}

/** What {@link MarkdownSource.load} returns: the specs, their root and the list's warnings. */
export interface MarkdownLoad {
  specs: TaskSpec[];
  root: string;
  /** Likely mistakes in the list, each `file:line: message` (`guild plan` lists them, `guild run` prints them). */
  warnings: string[];
}

/** The `markdown` task source. */
export interface MarkdownSource extends TaskSource {
  load(ref: string, ctx: SourceContext): Promise<MarkdownLoad>;
}

const MARKDOWN_FILE = /\.(md|markdown)$/i;

/**
 * The task source for markdown task lists: accepts refs ending in `.md` or `.markdown` and
 * loads them with {@link parseTaskList} and {@link toTaskSpecs}. Warnings go into the load
 * result; done tasks are mentioned with `logger.info`. With `updateSource`
 * (the option, or `--update-source`), its sink's `finished` ticks a succeeded task's box ({@link tickTask}), one file
 * update at a time; a box it cannot tick is reported with `logger.warn`, never by failing the run.
 *
 * `load` throws a {@link GuildError}: `PLAN_NOT_FOUND` for a missing file, the list's problems
 * at file:line:column, or `PLAN_EMPTY` when every task is already done.
 */
export function markdownSource(options: MarkdownSourceOptions = {}, logger?: Logger): MarkdownSource {
  let updates: Promise<void> = Promise.resolve();
  // The option, or `--update-source` on the command that loaded the list.
  let tickOnSuccess = options.updateSource === true;
  const tick = async (task: Task): Promise<void> => {
    const meta = markdownMeta(task.spec);
    if (meta === undefined) return;
    const shown = task.spec.origin?.file ?? meta.path;
    try {
      const result = await tickTask(meta.path, task.id);
      if (result === 'not-found') logger?.warn(`${shown}: ${task.id} is no longer an open task in the file; no box ticked`);
    } catch (e) {
      logger?.warn(`${shown}: could not tick ${task.id}: ${(e as Error).message}`);
    }
  };
  return {
    name: 'markdown',
    accepts: (ref) => MARKDOWN_FILE.test(ref),
    async load(ref, ctx) {
      if (ctx.updateSource) tickOnSuccess = true;
      const file = path.resolve(ctx.root, ref);
      const list = parseTaskList(await readTaskList(file, ref), ref);
      const warnings = list.warnings.map((w) => formatWarning(w, ref));
      const specs = toTaskSpecs(list, { file: ref, path: file, run: options.run, agent: options.agent });
      const done = list.tasks.filter((t) => t.done).map((t) => t.id);
      if (specs.length === 0) {
        throw new GuildError('PLAN_EMPTY', `every task is checked off (${done.length} done), so there is nothing to run; untick a box to run its task again`, {
          location: { file: ref },
        });
      }
      if (done.length > 0) logger?.info(`${ref}: ${done.length} task${done.length === 1 ? '' : 's'} already checked off, not run: ${done.join(', ')}`);
      return { specs, root: options.root ?? ctx.root, warnings };
    },
    sink: {
      finished(task: Task, outcome: string): Promise<void> {
        if (!tickOnSuccess || outcome !== 'succeeded') return Promise.resolve();
        updates = updates.then(() => tick(task));
        return updates;
      },
    },
  };
}

async function readTaskList(file: string, ref: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT'
        ? `task list not found: ${ref} (looked for ${file}); check the path`
        : code === 'EISDIR'
          ? `${ref} is a folder, not a task list; pass the markdown file (e.g. specs/001-feature/tasks.md)`
          : `cannot read task list ${ref}: ${(e as Error).message}`;
    throw new GuildError('PLAN_NOT_FOUND', message, { cause: e });
  }
}

function markdownMeta(spec: Readonly<TaskSpec>): MarkdownMeta | undefined {
  const meta = spec.meta?.markdown as Partial<MarkdownMeta> | undefined;
  return typeof meta?.path === 'string' ? (meta as MarkdownMeta) : undefined;
}
