import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTestdirs, testdir } from '@guild/test-utils';
import { createAgentRunner } from './agent-runner.js';
import { parseAgentsOptions } from './options.js';
import { AgentRegistry, BUILT_IN_PROFILES } from './profiles.js';
import { contextFor, runTask, taskOf } from './test-support.js';

/*
 * The real CLIs, installed as dev dependencies: every flag our built-in templates use must be
 * one the installed CLI documents, and the real Claude Code, run without a login, must fail the
 * task with its own words.
 */

afterAll(removeTestdirs);

const BIN = fileURLToPath(new URL('../node_modules/.bin/', import.meta.url));
const real = (command: string) => path.join(BIN, command);

/** An environment without credentials: a fresh HOME, no API keys. */
async function bareEnv(): Promise<Record<string, string>> {
  const home = await testdir();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/API_KEY|TOKEN|ANTHROPIC|OPENAI|GEMINI|GOOGLE/i.test(k)) env[k] = v;
  }
  return { ...env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), CODEX_HOME: path.join(home, '.codex') };
}

function helpOf(argv: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(argv[0]!, argv.slice(1), { env, timeout: 60_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error && !stdout) reject(new Error(`${argv.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Options a template passes, with the value right after each (when it is a literal). */
function optionsOf(argv: readonly string[]): Array<{ flag: string; value?: string }> {
  const out: Array<{ flag: string; value?: string }> = [];
  argv.forEach((a, i) => {
    if (!a.startsWith('-') || a === '--') return;
    const [flag, inline] = a.split('=', 2) as [string, string | undefined];
    const next = argv[i + 1];
    const value = inline ?? (next !== undefined && !next.startsWith('-') && !next.includes('{') ? next : undefined);
    out.push({ flag, ...(value !== undefined && !value.includes('{') ? { value } : {}) });
  });
  return out;
}

/** Every `-x` / `--long-name` a help text documents. */
const documented = (help: string) => new Set(help.match(/(?<![\w-])--?[A-Za-z][\w-]*/g) ?? []);

describe('built-in templates against the installed CLIs', () => {
  it.each([
    ['claude-code', ['--help']],
    ['codex', ['exec', '--help']],
    ['gemini', ['--help']],
  ])('%s: every option (and literal value) is in the real --help', async (name, helpArgs) => {
    const template = BUILT_IN_PROFILES[name]!.argv!;
    const help = await helpOf([real(template[0]!), ...helpArgs], await bareEnv());
    const flags = documented(help);
    const used = optionsOf(template.slice(template[0] === 'codex' ? 2 : 1));
    expect(used.length).toBeGreaterThan(2);
    for (const { flag, value } of used) {
      expect(flags, `${name}: ${flag}`).toContain(flag);
      if (value !== undefined) expect(help, `${name}: ${flag} ${value}`).toContain(value);
    }
  }, 120_000);

  it('aider (not installable here): every option is in the documented unattended use', () => {
    // From the reference on agent CLIs: aider's documented unattended invocation.
    const reference = 'aider --yes-always --message "<prompt>" <files…>';
    const flags = documented(reference);
    const used = optionsOf(BUILT_IN_PROFILES.aider!.argv!);
    expect(used.map((u) => u.flag)).toEqual(['--yes-always', '--message']);
    for (const { flag } of used) expect(flags).toContain(flag);
  });
});

describe('the real Claude Code, without a login', () => {
  it('fails the task with its own structured message', async () => {
    const dir = await testdir();
    const registry = new AgentRegistry(parseAgentsOptions({ profiles: { 'claude-code': { command: real('claude') } } }, 'guild:agents'), '/');
    const runner = createAgentRunner('claude-code', { resolve: (n) => registry.resolve(n) });
    const task = taskOf({ id: 'real-claude', agent: 'claude-code', prompt: 'Say hello. $(touch pwned)' }, dir);
    const rc = contextFor(task, dir);
    // contextFor copies this process's environment: replace it with one that has no credentials.
    rc.ctx.env = { ...(await bareEnv()), GUILD_TASK_ID: task.id };
    const result = await runTask(runner, task, rc.ctx);
    expect(result.outcome).toBe('failed');
    expect(result.exitCode).toBe(1);
    // 2.0.54 says "Invalid API key · Please run /login"; newer ones "Not logged in · Please run /login".
    expect(result.error).toMatch(/^claude-code: .*Please run \/login$/);
    const log = readFileSync(rc.ctx.logFile, 'utf8');
    expect(log).toContain('"type":"result"');
    expect(log).toContain('"is_error":true');
    expect(log).toMatch(/--- guild: claude-code failed.*Please run \/login/);
  }, 180_000);
});

describe('the real Gemini CLI, with a key that is no key', () => {
  it('receives a prompt full of metacharacters verbatim through --prompt=, and the task fails', async () => {
    const dir = await testdir();
    const registry = new AgentRegistry(
      parseAgentsOptions({ profiles: { gemini: { command: real('gemini'), stallTimeout: 25 } } }, 'guild:agents'),
      '/',
    );
    const runner = createAgentRunner('gemini', { resolve: (n) => registry.resolve(n) });
    const prompt = `--help $(touch pwned); rm -rf x; \`id\` "quotes" 'single'\nsecond line`;
    const task = taskOf({ id: 'real-gemini', agent: 'gemini', prompt }, dir);
    const rc = contextFor(task, dir);
    rc.ctx.env = { ...(await bareEnv()), GEMINI_API_KEY: 'not-a-key', GUILD_TASK_ID: task.id };
    const result = await runTask(runner, task, rc.ctx);
    // Offline it retries until stall detection stops it; online the key is refused.
    expect(result.outcome).toBe('failed');
    const events = readFileSync(rc.ctx.logFile, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { type: string; role?: string; content?: string });
    expect(events.find((e) => e.type === 'message' && e.role === 'user')?.content).toBe(prompt);
    expect(readFileSync(rc.ctx.logFile, 'utf8')).not.toContain('Usage: gemini');
  }, 180_000);
});
