import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Variables that point git at a particular repository, index or object store. A guild process
 * started from a git hook inherits them; they must not steer guild's own git calls, nor the
 * git a task runs in its worktree.
 */
const REPO_VARIABLES = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_COMMON_DIR',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_NAMESPACE',
  'GIT_PREFIX',
] as const;

/** Who guild's own commits (checkpoints, task commits, merges) are by. */
export const GUILD_IDENTITY = {
  GIT_AUTHOR_NAME: 'guild',
  GIT_AUTHOR_EMAIL: 'guild@localhost',
  GIT_COMMITTER_NAME: 'guild',
  GIT_COMMITTER_EMAIL: 'guild@localhost',
} as const;

/** A git command that failed, or git that could not be started. */
export class GitError extends Error {
  /** The exit code, or `undefined` when git could not be started. */
  readonly exitCode: number | undefined;
  /** git is not installed (or not on PATH). */
  readonly missing: boolean;

  constructor(message: string, options: { exitCode?: number; missing?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'GitError';
    this.exitCode = options.exitCode;
    this.missing = options.missing ?? false;
  }
}

/** Options of one {@link git} call. */
export interface GitOptions {
  /** Folder git runs in. */
  cwd: string;
  /** Added to the environment (e.g. `GIT_INDEX_FILE` for a temporary index). */
  env?: Record<string, string>;
  /** Written to git's stdin. */
  input?: string;
  /** Exit codes that are answers rather than failures (e.g. 1 from `merge-tree` on a conflict). */
  ok?: readonly number[];
}

/** What a git call printed, and how it ended. */
export interface GitOutput {
  stdout: string;
  stderr: string;
  code: number;
}

/** `env` without the variables that point git at a repository (see {@link REPO_VARIABLES}). */
export function withoutRepoVariables(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && !(REPO_VARIABLES as readonly string[]).includes(key)) out[key] = value;
  }
  return out;
}

/**
 * Runs `git <args>` (an argument array, never through a shell) in `options.cwd`. Never prompts
 * and never takes optional locks, so it cannot touch the user's index by reading status.
 * Resolves with the output when the exit code is 0 or listed in `options.ok`.
 *
 * @throws {@link GitError} naming the command, the folder, the exit code and git's own message;
 *   with `missing` set when git is not installed.
 */
export function git(args: readonly string[], options: GitOptions): Promise<GitOutput> {
  const env = {
    ...withoutRepoVariables(process.env),
    GIT_TERMINAL_PROMPT: '0',
    GIT_OPTIONAL_LOCKS: '0',
    ...options.env,
  };
  const command = `git ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' && !existsSync(options.cwd)) {
        reject(new GitError(`cannot run "${command}": the folder ${options.cwd} does not exist`, { cause: error }));
      } else if (error.code === 'ENOENT') {
        reject(new GitError(`git was not found on PATH (needed to run "${command}"); install git`, { missing: true, cause: error }));
      } else {
        reject(new GitError(`could not run "${command}" in ${options.cwd}: ${error.message}`, { cause: error }));
      }
    });
    child.once('close', (code) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      const exit = code ?? -1;
      if (exit === 0 || options.ok?.includes(exit)) {
        resolve({ stdout, stderr, code: exit });
        return;
      }
      const said = stderr.trim().split('\n').slice(-3).join(' / ') || 'no message';
      reject(new GitError(`"${command}" failed in ${options.cwd} (exit ${exit}): ${said}`, { exitCode: exit }));
    });
    // A git that exits before reading its input closes the pipe; its exit code tells what happened.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** The entries of `-z` output (NUL-separated), without empty ones. */
export function splitNul(text: string): string[] {
  return text.split('\0').filter((entry) => entry !== '');
}
