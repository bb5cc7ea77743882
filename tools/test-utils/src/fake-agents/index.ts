/**
 * Fake coding-agent CLIs for tests: executable Node scripts that parse their arguments like the
 * real `claude`, `codex`, `gemini` and `aider`, edit files as an agent would, and print the real
 * tools' exact output formats (Claude Code stream-json, Codex `exec --json` events, Gemini
 * stream-json or json, aider's plain text). They are steered by environment variables (see
 * {@link FakeAgentOptions}) or by `fake:write <path> <content>` lines in the prompt.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const script = (name: string) => fileURLToPath(new URL(`./${name}.mjs`, import.meta.url));

/** Absolute paths of the fake CLIs, to use as a profile's command. */
export const FAKE_AGENTS = {
  claude: script('fake-claude'),
  codex: script('fake-codex'),
  gemini: script('fake-gemini'),
  aider: script('fake-aider'),
} as const;

/** What a fake agent does in one attempt. */
export type FakeAgentMode = 'success' | 'fail' | 'error-result' | 'rate-limit' | 'auth' | 'stall' | 'crash';

/** How to steer a fake agent. */
export interface FakeAgentOptions {
  /**
   * `success` (edit the files, report success), `fail` (a structured failure, exit 1),
   * `error-result` (exit 0 with a structured error: Claude's `is_error`, Codex's `turn.failed`,
   * Gemini's `status: "error"`), `rate-limit`, `auth` (what the real CLI prints without a login),
   * `stall` (never ends; the fake Codex keeps printing "Reconnecting..." notices), `crash` (exit 3,
   * nothing structured). A list gives one mode per attempt (`GUILD_ATTEMPT`), the last repeating.
   */
  mode?: FakeAgentMode | FakeAgentMode[];
  /** Files to write, relative to the agent's working directory: path -> content. */
  write?: Record<string, string>;
  /** How long the work takes, milliseconds (default 50). */
  delayMs?: number;
  /** Append one JSON line per call (see {@link FakeCall}) to this file. */
  argvFile?: string;
  /** Append `<task> start|end <ms>` records here, for test-utils' `readRecords`. */
  recordDir?: string;
  /** In mode `stall`, also start a child process that never ends and write its pid here. */
  childPidFile?: string;
}

/** The environment variables for {@link FakeAgentOptions}, to put in a task's or profile's `env`. */
export function fakeAgentEnv(o: FakeAgentOptions): Record<string, string> {
  const env: Record<string, string> = {};
  if (o.mode !== undefined) env.FAKE_AGENT_MODE = ([] as string[]).concat(o.mode).join(',');
  if (o.write) {
    env.FAKE_AGENT_WRITE = Object.entries(o.write)
      .map(([file, content]) => `${file}:${content}`)
      .join('\n');
  }
  if (o.delayMs !== undefined) env.FAKE_AGENT_DELAY_MS = String(o.delayMs);
  if (o.argvFile !== undefined) env.FAKE_AGENT_ARGV_FILE = o.argvFile;
  if (o.recordDir !== undefined) env.FAKE_AGENT_RECORD_DIR = o.recordDir;
  if (o.childPidFile !== undefined) env.FAKE_AGENT_CHILD_PID_FILE = o.childPidFile;
  return env;
}

/** One call of a fake agent, as recorded in its argv file. */
export interface FakeCall {
  agent: 'claude' | 'codex' | 'gemini' | 'aider';
  /** Its arguments exactly as received (without node and the script). */
  argv: string[];
  cwd: string;
  /** The prompt as the fake understood it from its arguments. */
  prompt: string;
  /** GUILD_RUN_ID, GUILD_TASK_ID, GUILD_WORKDIR, GUILD_ATTEMPT and FAKE_AGENT_PROFILE_ENV when set. */
  env: Record<string, string>;
}

/** Every call recorded in an argv file, in order (none if the file does not exist). */
export function readFakeCalls(file: string): FakeCall[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as FakeCall);
}
