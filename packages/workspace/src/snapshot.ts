import { copyFile } from 'node:fs/promises';
import { git, splitNul } from './git';
import type { Repo } from './repo';
import { Serial } from './serial';

/**
 * Copies the user's index to `to`, so a later `git add -A` on the copy hashes only files that
 * changed (the copy keeps the index's stat data). A repository without an index yet is fine.
 */
export async function copyIndex(repo: Repo, to: string): Promise<void> {
  try {
    await copyFile(repo.indexFile, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** Pathspecs leaving `paths` (repository-relative) out of `git add`. */
const excludeSpecs = (paths: readonly string[]): string[] => paths.map((p) => `:(exclude,top,literal)${p}`);

/**
 * Writes the working tree as it is now (tracked and untracked files, not ignored ones, minus
 * `exclude`, even where the user's index holds them) as a tree object, staging into
 * `indexFile` (a temporary index, never the user's), and returns the tree's id.
 */
export async function writeWorkingTree(repo: Repo, indexFile: string, exclude: readonly string[]): Promise<string> {
  const env = { GIT_INDEX_FILE: indexFile };
  // `git add` refuses a pathspec naming an ignored path, even an excluding one: ignored paths need none.
  const ignored = exclude.length === 0 ? [] : splitNul((await git(['check-ignore', '--no-index', '-z', '--stdin'], { cwd: repo.top, input: `${exclude.join('\0')}\0`, ok: [1] })).stdout);
  const specs = excludeSpecs(exclude.filter((p) => !ignored.includes(p)));
  await git(['add', '--all', '--', '.', ...specs], { cwd: repo.top, env });
  if (exclude.length > 0) {
    const specs = exclude.map((p) => `:(top,literal)${p}`);
    await git(['rm', '-r', '--cached', '--quiet', '--ignore-unmatch', '--', ...specs], { cwd: repo.top, env });
  }
  return (await git(['write-tree'], { cwd: repo.top, env })).stdout.trim();
}

/**
 * Takes trees of the project's working tree, one at a time, through one temporary index kept
 * for a whole run, so each snapshot rehashes only what changed since the last one.
 */
export class Snapshots {
  private readonly serial = new Serial();
  private seeded = false;

  constructor(
    private readonly repo: Repo,
    private readonly indexFile: string,
    private readonly exclude: readonly string[],
  ) {}

  /** The working tree as it is now, as a tree id. */
  take(): Promise<string> {
    return this.serial.run(async () => {
      if (!this.seeded) {
        await copyIndex(this.repo, this.indexFile);
        this.seeded = true;
      }
      return writeWorkingTree(this.repo, this.indexFile, this.exclude);
    });
  }
}
