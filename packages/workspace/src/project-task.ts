import type { RunResult } from '@guild/core';
import { undeclaredWrites, writesOf } from './globs';
import { diffTrees } from './objects';
import type { TaskRun } from './task-run';
import { note } from './task-processes';

/**
 * Runs a task in the project itself (shared isolation, or a task that declares no writes) and
 * finds the files it changed by comparing snapshots of the working tree taken just before and
 * just after it. When other tasks ran in the project meanwhile, their changes show up too:
 * files their declared writes cover are then not held against this task, and the attribution
 * is recorded as approximate. Undeclared writes are reported; with `strict` they fail it. Without
 * `checkWrites` (or `strict`) it just runs the task.
 */
export async function runInProject(run: TaskRun): Promise<RunResult> {
  const { session, task, ctx } = run;
  const { checkWrites, strict } = session.settings.options;
  if (!checkWrites && !strict) {
    const result = await run.start({ env: run.env });
    session.setTask(task.id, {
      where: 'project',
      attempt: ctx.attempt,
      changed: [],
      undeclared: [],
      attribution: 'unchecked',
      ...(run.ports.length > 0 ? { ports: [...run.ports] } : {}),
    });
    return result;
  }
  const writes = writesOf(task.access);
  session.enterProject(task.id, writes);
  let result: RunResult;
  let changed: string[];
  let others: ReturnType<typeof session.leaveProject>;
  try {
    const before = await session.snapshots.take();
    result = await run.start({ env: run.env });
    const after = await session.snapshots.take();
    changed = (await diffTrees(session.repo, before, after)).map((c) => c.path);
  } finally {
    others = session.leaveProject(task.id);
  }
  const undeclared = undeclaredWrites(changed, writes, session.planDir).filter((file) => !others.declaredByOthers(file));
  session.setTask(task.id, {
    where: 'project',
    attempt: ctx.attempt,
    changed,
    undeclared,
    attribution: others.alongside.length > 0 ? 'approximate' : 'exact',
    ...(others.alongside.length > 0 ? { alongside: others.alongside } : {}),
    ...(run.ports.length > 0 ? { ports: [...run.ports] } : {}),
  });
  if (undeclared.length === 0) return result;
  const which = undeclared.join(', ');
  const maybe = others.alongside.length > 0 ? ` (or by ${others.alongside.join(', ')}, which ran at the same time)` : '';
  note(ctx, `changed files outside its declared writes${maybe}: ${which}`);
  if (!session.settings.options.strict || result.outcome !== 'succeeded') return result;
  return { ...result, outcome: 'failed', error: `changed files outside its declared writes${maybe}: ${which} (strict mode)` };
}
