// What every fake agent CLI shares: reading its instructions from the environment (and the
// prompt), editing files as a real agent would, recording how it was called, and waiting.
//
// Environment:
//   FAKE_AGENT_MODE        success | fail | error-result | rate-limit | auth | stall | crash;
//                          a comma list picks by GUILD_ATTEMPT (the last entry repeats)
//   FAKE_AGENT_WRITE       "path:content" entries, one per line (paths relative to the cwd)
//   FAKE_AGENT_DELAY_MS    how long the work takes (default 50)
//   FAKE_AGENT_ARGV_FILE   append one JSON line per call: { agent, argv, cwd, prompt, env }
//   FAKE_AGENT_RECORD_DIR  append "<task> start <ms>" / "<task> end <ms>" to <dir>/<task>.rec
//                          (the format test-utils' readRecords reads)
//   FAKE_AGENT_CHILD_PID_FILE  when stalled, also start a child process (as real agents run
//                          tools) and write its pid here
// A prompt line "fake:write <path> <content>" writes a file too.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { setInterval, setTimeout } from 'node:timers';

/** The mode for this attempt. */
export function mode() {
  const list = (process.env.FAKE_AGENT_MODE || 'success').split(',').map((m) => m.trim());
  const attempt = Math.max(1, Number(process.env.GUILD_ATTEMPT) || 1);
  return list[Math.min(attempt, list.length) - 1];
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long the work takes. */
export const delayMs = () => Number(process.env.FAKE_AGENT_DELAY_MS ?? 50);

/** Records the call (argv exactly as received) when FAKE_AGENT_ARGV_FILE is set. */
export function recordCall(agent, prompt) {
  const file = process.env.FAKE_AGENT_ARGV_FILE;
  if (!file) return;
  const env = {};
  for (const key of ['GUILD_RUN_ID', 'GUILD_TASK_ID', 'GUILD_WORKDIR', 'GUILD_ATTEMPT', 'FAKE_AGENT_PROFILE_ENV']) {
    if (process.env[key] !== undefined) env[key] = process.env[key];
  }
  appendFileSync(file, `${JSON.stringify({ agent, argv: process.argv.slice(2), cwd: process.cwd(), prompt, env })}\n`);
}

/** Appends a start or end record for the task when FAKE_AGENT_RECORD_DIR is set. */
export function record(edge) {
  const dir = process.env.FAKE_AGENT_RECORD_DIR;
  if (!dir) return;
  const task = process.env.GUILD_TASK_ID || 'task';
  mkdirSync(dir, { recursive: true });
  appendFileSync(path.join(dir, `${task}.rec`), `${task} ${edge} ${Date.now()}\n`);
}

/** The edits asked for, from FAKE_AGENT_WRITE and "fake:write" prompt lines: [{ file (absolute), content }]. */
export function plannedWrites(prompt) {
  const out = [];
  for (const entry of (process.env.FAKE_AGENT_WRITE || '').split('\n')) {
    const colon = entry.indexOf(':');
    if (colon > 0) out.push({ file: path.resolve(entry.slice(0, colon)), content: entry.slice(colon + 1) });
  }
  for (const line of (prompt || '').split('\n')) {
    const m = /^fake:write (\S+) (.*)$/.exec(line.trim());
    if (m) out.push({ file: path.resolve(m[1]), content: m[2] });
  }
  return out;
}

/** Writes one planned edit, making folders as needed. */
export function applyWrite(write) {
  mkdirSync(path.dirname(write.file), { recursive: true });
  writeFileSync(write.file, write.content);
}

/** Prints one JSON event on its own line, as the real CLIs' JSONL output does. */
export function emit(event) {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

/** Writes to stderr and exits with `code` once the output is flushed. */
export function die(message, code = 1) {
  process.stderr.write(`${message}\n`, () => process.exit(code));
}

/** Ends once stdout is flushed. */
export function exit(code) {
  process.stdout.write('', () => process.exit(code));
}

/**
 * Never ends on its own (a stalled agent); `tick` runs every `everyMs` if given. With
 * FAKE_AGENT_CHILD_PID_FILE set, a child that never ends either runs in the same process group.
 */
export function hang(tick, everyMs = 200) {
  const pidFile = process.env.FAKE_AGENT_CHILD_PID_FILE;
  if (pidFile) {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    writeFileSync(pidFile, String(child.pid));
  }
  setInterval(() => tick?.(), everyMs);
}

/**
 * Splits argv the way the real CLIs' parsers do: `spec.values` are options taking a value
 * (`--opt v` or `--opt=v`), `spec.flags` options without one; everything after `--` is
 * positional. An unknown option ends the process with the CLI's own complaint.
 */
export function parseArgs(argv, spec, unknown) {
  const options = {};
  const positionals = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const key = spec.aliases?.[name] ?? name;
    if (spec.values.includes(key)) {
      if (eq > 0) options[key] = arg.slice(eq + 1);
      else if (i + 1 < argv.length) options[key] = argv[++i];
      else return unknown(`option '${name}' argument missing`);
    } else if (spec.flags.includes(key) && eq < 0) {
      options[key] = true;
    } else {
      return unknown(`unknown option '${arg}'`);
    }
  }
  return { options, positionals };
}
