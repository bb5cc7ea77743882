/**
 * A fake beads CLI (`bd`) for tests: an executable Node script that keeps its tracker in a JSON
 * file and prints the real `bd --json` formats (see fake-bd.mjs). {@link installFakeBd} puts it
 * on a PATH in a folder of the test's own, with a state of the test's choosing.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the fake `bd` script. */
export const FAKE_BD_SCRIPT = fileURLToPath(new URL('./fake-bd.mjs', import.meta.url));

/** A dependency record, as bd stores and prints it: `issue_id` depends on `depends_on_id`. */
export interface FakeBdDependency {
  issue_id: string;
  depends_on_id: string;
  type: string;
  created_at: string;
  created_by?: string;
  /** A JSON string, `"{}"` when empty. */
  metadata: string;
}

/** A comment on an issue. */
export interface FakeBdComment {
  id: number;
  issue_id: string;
  author: string;
  text: string;
  created_at: string;
}

/** An issue in bd's own field names (the fake prints them in bd's order, empty ones left out). */
export interface FakeBdIssue {
  id: string;
  title: string;
  description?: string;
  design?: string;
  acceptance_criteria?: string;
  notes?: string;
  status: string;
  priority: number;
  issue_type: string;
  assignee?: string;
  owner?: string;
  estimated_minutes?: number;
  created_at: string;
  created_by?: string;
  updated_at: string;
  started_at?: string;
  closed_at?: string;
  close_reason?: string;
  defer_until?: string;
  external_ref?: string;
  ephemeral?: boolean;
  metadata?: Record<string, unknown>;
  labels?: string[];
  dependencies?: FakeBdDependency[];
  comments?: FakeBdComment[];
}

/** How the next matching calls fail. */
export interface FakeBdFault {
  /** A bd command (`ready`, `update`, ...) or `*`. */
  command: string;
  /** Only calls naming this issue id. */
  id?: string;
  /**
   * `locked`: "database is locked", exit 1; `not-json`: a start-up notice and cut JSON, exit 0;
   * `wrong-shape`: a JSON object where an array belongs, exit 0; `crash`: a Go panic, exit 2.
   */
  kind: 'locked' | 'not-json' | 'wrong-shape' | 'crash';
  /** How many calls fail (default 1). */
  times?: number;
}

/** One call the fake received. */
export interface FakeBdCall {
  argv: string[];
  /** The actor it resolved (`--actor`, BEADS_ACTOR, BD_ACTOR, USER). */
  actor: string;
}

/** The fake's whole state file. */
export interface FakeBdState {
  issues: FakeBdIssue[];
  faults?: FakeBdFault[];
  calls?: FakeBdCall[];
  /** Prefix for `bd create` ids (default `bd`). */
  prefix?: string;
  /** `ready` and `list` print dependency counts without the records, as bd before 1.0 did. */
  legacyOutput?: boolean;
}

/** A fake `bd` installed for one test. */
export interface FakeBd {
  /** Folder holding the `bd` executable: put it first on PATH. */
  binDir: string;
  /** The `bd` executable. */
  bin: string;
  /** The state file. */
  statePath: string;
  /** PATH (fake first) and FAKE_BD_STATE, to pass to processes that should use this fake. */
  env: Record<string, string>;
  read(): Promise<FakeBdState>;
  write(state: FakeBdState): Promise<void>;
  /** The issue with `id`, as stored now; throws if there is none. */
  issue(id: string): Promise<FakeBdIssue>;
  /** The calls made so far, optionally only those whose first word is `command` (`update`, ...). */
  calls(command?: string): Promise<FakeBdCall[]>;
}

/** RFC 3339 UTC with whole seconds, as bd prints timestamps. */
export const bdTime = (ms = Date.now()): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * An open task issue with `id`, a title and timestamps, plus `fields`. Issues made in order
 * get increasing `created_at`, so bd's sort (priority, then oldest) keeps their order.
 */
export function fakeIssue(id: string, fields: Partial<FakeBdIssue> = {}): FakeBdIssue {
  const at = bdTime(Date.UTC(2026, 4, 30, 9, 0, 0) + ++issueCounter * 1000);
  return { id, title: `Issue ${id}`, status: 'open', priority: 2, issue_type: 'task', created_at: at, created_by: 'Alice Doe', updated_at: at, ...fields };
}
let issueCounter = 0;

/** A dependency record: `from` depends on `to` with `type` (default `blocks`). */
export function fakeDep(from: string, to: string, type = 'blocks'): FakeBdDependency {
  return { issue_id: from, depends_on_id: to, type, created_at: bdTime(Date.UTC(2026, 4, 30, 9, 30, 0)), created_by: 'Alice Doe', metadata: '{}' };
}

/**
 * Installs the fake `bd` in `dir` (its `bin/bd` is a two-line sh wrapper that runs the script
 * with this Node) with `state` in `dir/.beads/fake-bd.json`, and returns how to use it.
 */
export async function installFakeBd(dir: string, state: FakeBdState = { issues: [] }): Promise<FakeBd> {
  const binDir = path.join(dir, 'bin');
  const bin = path.join(binDir, 'bd');
  const statePath = path.join(dir, '.beads', 'fake-bd.json');
  await mkdir(binDir, { recursive: true });
  await mkdir(path.dirname(statePath), { recursive: true });
  const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
  await writeFile(bin, `#!/bin/sh\nexec ${quote(process.execPath)} ${quote(FAKE_BD_SCRIPT)} "$@"\n`);
  await chmod(bin, 0o755);
  const read = async (): Promise<FakeBdState> => JSON.parse(await readFile(statePath, 'utf8')) as FakeBdState;
  const write = (s: FakeBdState) => writeFile(statePath, `${JSON.stringify(s, null, 2)}\n`);
  await write(state);
  return {
    binDir,
    bin,
    statePath,
    env: { PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ''}`, FAKE_BD_STATE: statePath },
    read,
    write,
    async issue(id) {
      const found = (await read()).issues.find((i) => i.id === id);
      if (!found) throw new Error(`fake bd: no issue ${id} in ${statePath}`);
      return found;
    },
    async calls(command) {
      const calls = (await read()).calls ?? [];
      return command === undefined ? calls : calls.filter((c) => c.argv.find((a) => !a.startsWith('-')) === command);
    },
  };
}
