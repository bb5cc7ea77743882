import { GUILD_IDENTITY, git, splitNul } from './git';
import type { Repo } from './repo';

/**
 * The commit (or tree, with `^{tree}`) `rev` names, or `undefined` when it names nothing.
 *
 * @throws {@link GitError} when git fails for another reason
 */
export async function resolveRev(repo: Repo, rev: string): Promise<string | undefined> {
  const r = await git(['rev-parse', '--verify', '--quiet', rev], { cwd: repo.top, ok: [1] });
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/**
 * Makes a commit of `tree` with `parents` and `message`, by guild, without hooks or signing,
 * and returns its id. No ref moves.
 */
export async function commitTree(repo: Repo, tree: string, parents: readonly string[], message: string): Promise<string> {
  const args = ['-c', 'commit.gpgSign=false', 'commit-tree', tree, ...parents.flatMap((p) => ['-p', p])];
  const r = await git(args, { cwd: repo.top, env: { ...GUILD_IDENTITY }, input: message });
  return r.stdout.trim();
}

/**
 * Points `ref` at `value`. `expected` is the value it must hold now (compare-and-swap), or
 * `null` when it must not exist yet; without it the ref is set whatever it holds.
 *
 * @throws {@link GitError} when the ref does not hold `expected`
 */
export async function updateRef(repo: Repo, ref: string, value: string, expected?: string | null): Promise<void> {
  const args = ['update-ref', '-m', 'guild', ref, value];
  if (expected !== undefined) args.push(expected ?? '');
  await git(args, { cwd: repo.top });
}

/** Deletes `ref` (a branch is `refs/heads/<name>`); a ref that is already gone is fine. */
export async function deleteRef(repo: Repo, ref: string): Promise<void> {
  if ((await resolveRev(repo, ref)) === undefined) return;
  await git(['update-ref', '-d', ref], { cwd: repo.top });
}

/** Whether `ancestor` is `descendant` or one of its ancestors. */
export async function isAncestor(repo: Repo, ancestor: string, descendant: string): Promise<boolean> {
  const r = await git(['merge-base', '--is-ancestor', ancestor, descendant], { cwd: repo.top, ok: [1] });
  return r.code === 0;
}

/** Refs below `prefix` (e.g. `refs/guild/checkpoints/`), with the object each points at. */
export async function listRefs(repo: Repo, prefix: string): Promise<Array<{ ref: string; object: string }>> {
  const r = await git(['for-each-ref', '--format=%(refname)%00%(objectname)%00', prefix], { cwd: repo.top });
  const parts = splitNul(r.stdout.replace(/\n/g, ''));
  const out: Array<{ ref: string; object: string }> = [];
  for (let i = 0; i + 1 < parts.length; i += 2) out.push({ ref: parts[i]!, object: parts[i + 1]! });
  return out;
}

/** One path that differs between two trees, as `git diff-tree --raw` reports it. */
export interface TreeChange {
  /** Repository-relative, `/`-separated. */
  path: string;
  /** `A` only in the second tree, `D` only in the first, `M` content, `T` type changed. */
  status: 'A' | 'D' | 'M' | 'T';
  /** Mode in the first and second tree (`000000` where absent; `160000` is a submodule). */
  fromMode: string;
  toMode: string;
}

/** Every file that differs between trees (or commits) `a` and `b`, renames as delete + add. */
export async function diffTrees(repo: Repo, a: string, b: string): Promise<TreeChange[]> {
  const r = await git(['diff-tree', '-r', '-z', '--no-renames', '--raw', a, b], { cwd: repo.top });
  const parts = splitNul(r.stdout);
  const out: TreeChange[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    // ":<from mode> <to mode> <from id> <to id> <status>"
    const [fromMode, toMode, , , status] = parts[i]!.slice(1).split(' ') as [string, string, string, string, string];
    out.push({ path: parts[i + 1]!, status: status.charAt(0) as TreeChange['status'], fromMode, toMode });
  }
  return out;
}
