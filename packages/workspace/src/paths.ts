import { realpathSync } from 'node:fs';
import path from 'node:path';
import type { Repo } from './repo';

/** A folder as git names it (symlinks resolved), or as given when it does not exist. */
const realPath = (p: string): string => {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
};

/** `to` relative to `from` with `/` separators, or `undefined` when `to` is not inside `from`. */
export function inside(from: string, to: string): string | undefined {
  const rel = path.relative(realPath(from), realPath(to));
  if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return undefined;
  return rel.split(path.sep).join('/');
}

/** guild's run store, relative to the repository, when it is inside it: never captured nor committed. */
export function storeExclude(repo: Repo, projectRoot: string): string[] {
  const rel = inside(repo.top, projectRoot);
  return rel === undefined ? [] : [rel === '' ? '.guild' : `${rel}/.guild`];
}
