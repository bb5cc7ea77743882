import path from 'node:path';
import type { RunSummary } from '@guild/core';
import { git } from './git';
import { resolveRev } from './objects';
import { recordFile } from './run-record';
import type { RunSession } from './session';

/**
 * Closes a run for the workspace plugin and says, in lines for the user, what came of it.
 * With worktree isolation: where the result is (the integration branch), and, when the
 * `fastForward` option allows it and it is safe, the user's branch is fast-forwarded to it.
 * Safe means: every task succeeded and something landed; the tree was clean when the run
 * started (else the integration branch starts with a checkpoint commit of the user's
 * uncommitted changes, which must not become part of their branch); HEAD is on a branch and
 * has not moved; no tracked file has uncommitted changes; and `git merge --ff-only` agrees.
 * Otherwise the lines say why not and how to take the result. Then: kept worktrees,
 * undeclared writes, and how to roll back. `workspace.json` is saved last.
 */
export async function finishRun(session: RunSession, summary: RunSummary): Promise<string[]> {
  const lines: string[] = [];
  const { record, runId } = session;
  if (record.integration) {
    const tip = await resolveRev(session.repo, `refs/heads/${session.integration}`);
    record.integration.tip = tip;
    const landed = Object.values(record.tasks).filter((t) => t.landed).length;
    if (tip === undefined || tip === record.integration.base) {
      lines.push(`nothing landed on ${session.integration}`);
    } else {
      lines.push(`${landed} task${landed === 1 ? '' : 's'} landed on branch ${session.integration}`);
      lines.push(await fastForward(session, summary, tip));
    }
  }
  for (const k of record.kept) {
    lines.push(`kept for inspection: ${k.task} (attempt ${k.attempt}) on branch ${k.branch}, worktree ${k.worktree}: ${k.reason}`);
  }
  if (record.kept.length > 0) lines.push(`"guild worktrees ${runId}" lists them again`);
  const undeclared = Object.entries(record.tasks).filter(([, t]) => t.undeclared.length > 0);
  if (undeclared.length > 0) {
    const which = undeclared.map(([id, t]) => `${id} (${t.undeclared.join(', ')})`).join('; ');
    const where = path.relative(process.cwd(), recordFile(session.runDir));
    lines.push(`${undeclared.length} task${undeclared.length === 1 ? '' : 's'} changed files outside their declared writes: ${which}; see ${where}`);
  }
  lines.push(`"guild rollback ${runId}" puts the working tree back as it was before the run`);
  session.save();
  return lines;
}

async function fastForward(session: RunSession, summary: RunSummary, tip: string): Promise<string> {
  const { checkpoint, repo, integration } = session;
  const take = checkpoint.clean
    ? `git merge ${integration}`
    : `git diff --binary ${checkpoint.ref} ${integration} | git apply`;
  const leave = (why: string) => `your branch was left as it is (${why}); take the result with: ${take}`;
  if (!session.settings.options.fastForward) return leave('the fastForward option is off');
  if (summary.outcome !== 'succeeded') return leave('not every task succeeded');
  if (!checkpoint.clean) return leave('the tree had uncommitted changes when the run started');
  const branch = await git(['symbolic-ref', '--quiet', 'HEAD'], { cwd: repo.top, ok: [1] });
  if (branch.code !== 0) return leave('HEAD is detached');
  if ((await resolveRev(repo, 'HEAD^{commit}')) !== checkpoint.head) return leave('HEAD moved during the run');
  const status = await git(['status', '--porcelain', '-z', '--untracked-files=no'], { cwd: repo.top });
  if (status.stdout !== '') return leave('tracked files have uncommitted changes now');
  const merged = await git(['-c', 'core.hooksPath=/dev/null', 'merge', '--ff-only', '--quiet', integration], { cwd: repo.top, ok: [1, 128] });
  if (merged.code !== 0) return leave(`git merge --ff-only refused: ${merged.stderr.trim().split('\n')[0] ?? ''}`);
  const ref = branch.stdout.trim();
  session.record.fastForward = { ref, from: checkpoint.head!, to: tip };
  return `fast-forwarded ${ref.replace(/^refs\/heads\//, '')} to ${integration}`;
}
