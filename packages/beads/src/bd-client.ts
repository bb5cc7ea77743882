import { execFile } from 'node:child_process';
import { type z, GuildError } from '@guild/core';

/** How to run `bd`. */
export interface BdClientOptions {
  /** The `bd` executable (absolute path or a name on PATH). */
  bin: string;
  /** The folder `bd` runs in: it finds the workspace (`.beads/`) from there. */
  cwd: string;
  /** Environment for `bd` (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Tries after the first when the database is locked (default 6). */
  lockRetries?: number;
  /** First back-off delay, ms; doubles per try up to 2 s, with jitter (default 100). */
  retryBaseMs?: number;
  /** A call running longer than this is killed and fails, ms (default 60 000). */
  timeoutMs?: number;
}

/** A `bd` call that failed or printed something guild cannot read. */
export class BdError extends GuildError {
  /** The command as a person would type it. */
  readonly command: string;
  /** `bd`'s exit code, when it ran and failed. */
  readonly exitCode?: number;
  /** What `bd` said about the failure (its JSON `error`, or stderr). */
  readonly detail: string;

  constructor(command: string, message: string, detail: string, exitCode?: number, cause?: unknown) {
    super('PLUGIN_FAILED', message, { cause });
    this.command = command;
    this.exitCode = exitCode;
    this.detail = detail;
  }
}

interface RawResult {
  code: number;
  stdout: string;
  stderr: string;
}

const LOCKED = /database is locked/i;
const SNIPPET = 200;

/** `bd` and its arguments as a person would type them (for messages). */
export function describeCommand(args: readonly string[]): string {
  return ['bd', ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/** The first characters of `text` on one line, for messages. */
export function snippet(text: string): string {
  const flat = text.trim().replace(/\s+/g, ' ');
  return flat.length > SNIPPET ? `${flat.slice(0, SNIPPET)}...` : flat;
}

/**
 * Runs `bd` for guild: one call at a time (bd's database has one writer), always with argument
 * arrays and never through a shell, tried again with back-off while the database is locked.
 * Output is parsed as JSON (a `{"schema_version":1,"data":...}` envelope is unwrapped) and
 * checked against a schema; anything else becomes a {@link BdError} naming the command.
 */
export class BdClient {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly options: BdClientOptions) {}

  /**
   * Runs `bd <args> --json` and returns its output checked against `schema`. Throws a
   * {@link BdError} when bd fails (exit code and bd's own message), prints no JSON, or prints
   * JSON of another shape (with a snippet of what it printed).
   */
  json<S extends z.ZodType>(args: readonly string[], schema: S): Promise<z.output<S>> {
    // Before any `--`, after which everything is an argument.
    const end = args.indexOf('--');
    const full = end < 0 ? [...args, '--json'] : [...args.slice(0, end), '--json', ...args.slice(end)];
    return this.serial(async () => {
      const r = await this.runRetrying(full);
      if (r.code !== 0) throw failure(full, r);
      return parseOutput(full, r.stdout, schema);
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async runRetrying(args: readonly string[]): Promise<RawResult> {
    const retries = this.options.lockRetries ?? 6;
    const base = this.options.retryBaseMs ?? 100;
    for (let attempt = 0; ; attempt++) {
      const r = await this.runOnce(args);
      if (r.code === 0 || !LOCKED.test(r.stderr + r.stdout) || attempt >= retries) return r;
      const ceiling = Math.min(2000, base * 2 ** attempt);
      await new Promise((resolve) => setTimeout(resolve, ceiling / 2 + (Math.random() * ceiling) / 2));
    }
  }

  private runOnce(args: readonly string[]): Promise<RawResult> {
    const { bin, cwd, env, timeoutMs = 60_000 } = this.options;
    return new Promise((resolve, reject) => {
      execFile(
        bin,
        args,
        { cwd, env: env ?? process.env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
        (error, stdout, stderr) => {
          if (!error) return resolve({ code: 0, stdout, stderr });
          const e = error as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
          if (typeof e.code === 'number') return resolve({ code: e.code, stdout, stderr });
          const why = e.killed ? `did not finish within ${timeoutMs / 1000} s and was stopped` : `could not be run (${e.code ?? e.message})`;
          reject(new BdError(describeCommand(args), `${describeCommand(args)} ${why}; check the "bd" option or that bd is installed`, e.message, undefined, error));
        },
      );
    });
  }
}

/** The error for a call that exited non-zero: bd's JSON `error`, else its stderr. */
function failure(args: readonly string[], r: RawResult): BdError {
  const command = describeCommand(args);
  let detail = r.stderr.trim();
  try {
    const out = unwrap(JSON.parse(r.stdout)) as { error?: unknown };
    if (typeof out?.error === 'string') detail = out.error;
  } catch {
    // not JSON: stderr says it
  }
  detail ||= snippet(r.stdout) || '(no output)';
  const locked = LOCKED.test(detail) ? ' (another bd process kept the database locked through every retry)' : '';
  return new BdError(command, `${command} failed with exit code ${r.code}: ${detail.replace(/\s*\n\s*/g, ' ')}${locked}`, detail, r.code);
}

/** Unwraps `{"schema_version":1,"data":...}` (BD_JSON_ENVELOPE=1). */
function unwrap(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 2 && keys.includes('schema_version') && keys.includes('data')) return (value as { data: unknown }).data;
  }
  return value;
}

function parseOutput<S extends z.ZodType>(args: readonly string[], stdout: string, schema: S): z.output<S> {
  const command = describeCommand(args);
  let value: unknown;
  try {
    value = unwrap(JSON.parse(stdout));
  } catch (cause) {
    const what = stdout.trim() === '' ? 'printed nothing' : `printed something that is not JSON: "${snippet(stdout)}"`;
    throw new BdError(command, `${command} ${what}; is bd 1.0 or later installed?`, snippet(stdout), 0, cause);
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const at = issue.path.length > 0 ? ` at ${issue.path.map(String).join('.')}` : '';
  throw new BdError(
    command,
    `${command} printed JSON guild does not understand (${issue.message}${at}): ${snippet(JSON.stringify(value))}; is bd 1.0 or later installed?`,
    snippet(stdout),
    0,
    result.error,
  );
}
