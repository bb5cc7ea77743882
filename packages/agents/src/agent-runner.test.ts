import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive, type RunResult } from '@guild/core';
import { FAKE_AGENTS, fakeAgentEnv, readFakeCalls, removeTestdirs, testdir, waitFor, type FakeAgentOptions } from '@guild/test-utils';
import { createAgentRunner } from './agent-runner.js';
import { parseAgentsOptions, type AgentsOptions } from './options.js';
import { AgentRegistry } from './profiles.js';
import { AgentRules } from './rules.js';
import { contextFor, runTask, taskOf } from './test-support.js';
import type { TaskSpec } from '@guild/core';

afterAll(removeTestdirs);

const FAKES: AgentsOptions['profiles'] = {
  'claude-code': { command: FAKE_AGENTS.claude },
  codex: { command: FAKE_AGENTS.codex },
  gemini: { command: FAKE_AGENTS.gemini },
  aider: { command: FAKE_AGENTS.aider },
};

/** Runners over the fake CLIs, sharing one set of agent rules. */
function setup(extra: AgentsOptions = {}) {
  const registry = new AgentRegistry(parseAgentsOptions({ ...extra, profiles: { ...FAKES, ...extra.profiles } }, 'guild:agents'), '/');
  const rules = new AgentRules({ resolve: (r) => registry.resolve(r), neverTogether: registry.neverTogether, cooldown: 3600 });
  const runner = (name: string) => createAgentRunner(name, { resolve: (n) => registry.resolve(n), rules });
  return { registry, rules, runner };
}

/** Runs one task in a fresh folder with the fake steered by `fake`; returns the result and what is left to look at. */
async function run(agent: string, spec: Partial<TaskSpec>, fake: FakeAgentOptions = {}, s = setup()) {
  const dir = await testdir();
  const argvFile = path.join(dir, 'calls.jsonl');
  const work = path.join(dir, 'work');
  mkdirSync(work);
  const task = taskOf({ id: 't1', agent, ...spec }, work);
  const rc = contextFor(task, dir, fakeAgentEnv({ argvFile, ...fake }));
  s.rules.tryGrant(task);
  const result = await runTask(s.runner(agent), task, rc.ctx);
  const log = readFileSync(rc.ctx.logFile, 'utf8');
  return { result, log, work, calls: readFakeCalls(argvFile), progress: rc.progress, lines: rc.lines, ...s };
}

describe('agent runner with fake CLIs', () => {
  it.each(['claude-code', 'codex', 'gemini', 'aider'])('%s: edits files, succeeds, logs the output and reports progress', async (agent) => {
    const r = await run(agent, { prompt: 'Add the greeting' }, { write: { 'src/hello.txt': 'hello', 'b.txt': 'bee' } });
    expect(r.result).toEqual({ outcome: 'succeeded', exitCode: 0 });
    expect(readFileSync(path.join(r.work, 'src/hello.txt'), 'utf8')).toBe('hello');
    expect(readFileSync(path.join(r.work, 'b.txt'), 'utf8')).toBe('bee');
    expect(r.log).toMatch(new RegExp(`^--- guild: attempt 1 at .*: ${agent}: `));
    expect(r.log).toMatch(new RegExp(`--- guild: ${agent} succeeded`));
    expect(r.progress[0]).toBe(`${agent} started`);
    if (agent !== 'aider') expect(r.progress.some((p) => p.includes(path.join(r.work, 'src/hello.txt')))).toBe(true);
    expect(r.calls).toHaveLength(1);
    expect(r.calls[0]!.env).toMatchObject({ GUILD_TASK_ID: 't1', GUILD_RUN_ID: 'test-run', GUILD_WORKDIR: r.work });
  });

  it('reports turns and cost from Claude Code\'s result', async () => {
    const r = await run('claude-code', { prompt: 'x' }, { write: { 'a.txt': 'a' } });
    expect(r.log).toContain('--- guild: claude-code succeeded (2 turns, $0.0123)');
    expect(r.progress).toContain('claude-code succeeded (2 turns, $0.0123)');
  });

  const NASTY = `$(touch pwned); rm -rf x; \`id\` "quotes" 'single' \n newlines & | > out.txt; echo {workdir} -- --help`;

  it.each(['claude-code', 'codex', 'gemini', 'aider'])('%s: a prompt full of shell metacharacters arrives verbatim and runs nothing', async (agent) => {
    const dir = await testdir({ 'work/x/keep.txt': 'still here' });
    const argvFile = path.join(dir, 'calls.jsonl');
    const work = path.join(dir, 'work');
    const s = setup();
    const task = taskOf({ id: 'nasty', agent, prompt: NASTY }, work);
    const rc = contextFor(task, dir, fakeAgentEnv({ argvFile }));
    const result = await runTask(s.runner(agent), task, rc.ctx);
    expect(result.outcome).toBe('succeeded');
    const [call] = readFakeCalls(argvFile);
    expect(call!.prompt).toBe(NASTY);
    expect(call!.argv.filter((a) => a.includes(NASTY))).toHaveLength(1);
    expect(readdirSync(work).sort()).toEqual(['x']);
    expect(readFileSync(path.join(work, 'x/keep.txt'), 'utf8')).toBe('still here');
    expect(existsSync(path.join(dir, 'pwned'))).toBe(false);
  });

  it('builds the prompt from title, prompt, description, acceptance criteria and files, and passes {files} to aider', async () => {
    const r = await run('aider', {
      title: 'Login form',
      prompt: 'Add a login form.',
      description: 'Use the design tokens.',
      acceptance: ['submits on Enter', 'shows errors'],
      writes: ['src/login.tsx', 'src/styles/**'],
      reads: ['src/tokens.ts'],
    });
    const call = r.calls[0]!;
    expect(call.prompt).toBe(
      'Login form\n\nAdd a login form.\n\nUse the design tokens.\n\nAcceptance criteria:\n- submits on Enter\n- shows errors\n\n' +
        'Files you may change:\n- src/login.tsx\n- src/styles/**\n\nFiles to read:\n- src/tokens.ts',
    );
    expect(call.argv).toEqual(['--yes-always', `--message=${call.prompt}`, 'src/login.tsx']);
  });

  it('adds the profile\'s env to the task\'s and fills {model}', async () => {
    const s = setup({ profiles: { 'claude-code': { command: FAKE_AGENTS.claude, env: { FAKE_AGENT_PROFILE_ENV: 'from-profile' }, model: 'opus' } } });
    const r = await run('claude-code', { prompt: 'x' }, {}, s);
    expect(r.calls[0]!.env.FAKE_AGENT_PROFILE_ENV).toBe('from-profile');
    expect(r.calls[0]!.argv).toEqual(['-p', '--output-format', 'stream-json', '--verbose', '--permission-mode', 'acceptEdits', '--model', 'opus', '--', 'x']);
  });

  it.each([
    ['claude-code', /^claude-code: API Error: 500 .*Internal server error/],
    ['codex', /^codex: stream disconnected before completion: the fake agent reports an error$/],
    ['gemini', /^gemini: Model stream ended with empty response text\.$/],
  ])('%s: exit code 0 with an error reported fails with the agent\'s own message', async (agent, message) => {
    const r = await run(agent, { prompt: 'x' }, { mode: 'error-result' });
    expect(r.result.outcome).toBe('failed');
    expect(r.result.exitCode).toBe(0);
    expect(r.result.error).toMatch(message);
  });

  it('gemini without auth: exit code 41 and the message it printed', async () => {
    const r = await run('gemini', { prompt: 'x' }, { mode: 'auth' });
    expect(r.result).toMatchObject({ outcome: 'failed', exitCode: 41 });
    expect(r.result.error).toMatch(/^gemini: Please set an Auth method in your .*GEMINI_API_KEY/);
  });

  it('a missing CLI falls back to the task\'s fallbackAgents', async () => {
    const s = setup({ profiles: { codex: { command: '/nonexistent/codex' } } });
    const r = await run('codex', { prompt: 'x', fallbackAgents: ['claude-code'] }, { write: { 'done.txt': 'yes' } }, s);
    expect(r.result).toEqual({ outcome: 'succeeded', exitCode: 0 });
    expect(r.calls.map((c) => c.agent)).toEqual(['claude']);
    expect(r.log).toContain('--- guild: codex is not installed');
    expect(r.log).toContain('--- guild: falling back to claude-code');
    expect(existsSync(path.join(r.work, 'done.txt'))).toBe(true);
    expect(r.rules.running()).toEqual(new Map([['claude-code', 1]]));
  });

  it('a missing CLI falls back to the profile\'s fallbacks; with none left it fails naming the command', async () => {
    const s = setup({ profiles: { codex: { command: '/nonexistent/codex', fallbacks: ['gemini'] }, gemini: { command: '/nonexistent/gemini' } } });
    const r = await run('codex', { prompt: 'x' }, {}, s);
    expect(r.result.outcome).toBe('failed');
    expect(r.result.error).toBe(
      'codex: command "/nonexistent/codex" not found (install it, or set profiles.codex.command); ' +
        'gemini: command "/nonexistent/gemini" not found (install it, or set profiles.gemini.command)',
    );
  });

  it('a rate-limited agent fails as rate-limited and lowers its limit', async () => {
    const s = setup();
    const dir = await testdir();
    const tasks = ['a', 'b', 'c'].map((id) => taskOf({ id, agent: 'claude-code', prompt: 'x' }, dir));
    for (const t of tasks) expect('grant' in s.rules.tryGrant(t)).toBe(true);
    // All three hold their grants until released below, whenever their processes end.
    const start = (t: (typeof tasks)[number], mode: 'rate-limit' | 'success') =>
      runTask(s.runner('claude-code'), t, contextFor(t, dir, fakeAgentEnv({ mode })).ctx);
    const [ra, rb, rc] = await Promise.all([start(tasks[0]!, 'rate-limit'), start(tasks[1]!, 'success'), start(tasks[2]!, 'success')]);
    expect(ra).toMatchObject({ outcome: 'failed', exitCode: 1, error: 'claude-code is rate-limited: API Error: Rate limit reached' });
    // Worth another attempt once the limit may have lifted, whatever the task's retries.
    expect(ra.retryAfter).toBe(60);
    expect(rb.retryAfter).toBeUndefined();
    expect([rb.outcome, rc.outcome]).toEqual(['succeeded', 'succeeded']);
    expect(s.rules.limit('claude-code')).toBe(1);
    for (const t of tasks) s.rules.release({ taskId: t.id });
    expect('grant' in s.rules.tryGrant(taskOf({ id: 'd', agent: 'claude-code' }))).toBe(true);
    expect(s.rules.tryGrant(taskOf({ id: 'e', agent: 'backend' }))).toEqual({ blockers: [{ kind: 'agent', agent: 'claude-code', reason: 'limit' }] });
  });

  it('a rate-limited agent falls back to the next agent', async () => {
    const s = setup({ profiles: { gemini: { command: FAKE_AGENTS.gemini, env: { FAKE_AGENT_MODE: 'success' } } } });
    const r = await run('codex', { prompt: 'x', fallbackAgents: ['gemini'] }, { mode: 'rate-limit', write: { 'g.txt': 'g' } }, s);
    expect(r.result).toEqual({ outcome: 'succeeded', exitCode: 0 });
    expect(r.calls.map((c) => c.agent)).toEqual(['codex', 'gemini']);
    expect(r.log).toMatch(/--- guild: falling back to gemini \(codex is rate-limited: You've hit your usage limit/);
    expect(readFileSync(path.join(r.work, 'g.txt'), 'utf8')).toBe('g');
    expect(r.rules.running()).toEqual(new Map([['gemini', 1]]));
  });

  it('with every fallback rate-limited too, the notes say what each agent said, in order', async () => {
    const r = await run('codex', { prompt: 'x', fallbackAgents: ['gemini'] }, { mode: 'rate-limit' });
    expect(r.result.outcome).toBe('failed');
    expect(r.result.error).toMatch(/^codex is rate-limited: You've hit your usage limit.*; gemini is rate-limited: \[API Error: You have exhausted/);
    expect(r.result.retryAfter).toBe(60);
  });

  it('a fallback is skipped while the agent rules refuse it', async () => {
    const s = setup({ profiles: { gemini: { command: FAKE_AGENTS.gemini, maxConcurrent: 1 } } });
    expect('grant' in s.rules.tryGrant(taskOf({ id: 'other', agent: 'gemini' }))).toBe(true);
    const r = await run('codex', { prompt: 'x', fallbackAgents: ['gemini'] }, { mode: 'rate-limit' }, s);
    expect(r.result.error).toMatch(/; gemini not tried: limit$/);
    expect(r.calls.map((c) => c.agent)).toEqual(['codex']);
  });
});

describe('stall detection', () => {
  /** Whether /proc says the process is gone (no entry, or a zombie: pid 1 here never reaps). */
  const gone = (pid: number) => !isAlive(pid);

  it.each([
    ['claude-code', 'silent after its init event'],
    ['codex', 'printing "Reconnecting..." notices forever, as the real one does offline'],
  ])('%s %s: the process group is killed and the task fails as stalled', async (agent) => {
    const s = setup({ profiles: { [agent]: { command: agent === 'codex' ? FAKE_AGENTS.codex : FAKE_AGENTS.claude, stallTimeout: 3 } } });
    const dir = await testdir();
    const childPidFile = path.join(dir, 'child.pid');
    const task = taskOf({ id: 'st', agent, prompt: 'x' }, dir);
    const rc = contextFor(task, dir, fakeAgentEnv({ mode: 'stall', childPidFile }));
    const running = s.runner(agent).start(task, rc.ctx);
    const pid = running.pid!;
    expect(isAlive(pid)).toBe(true);
    const result: RunResult = await running.done;
    expect(result.outcome).toBe('failed');
    expect(result.error).toBe(`${agent} stalled: no progress for 3.0s; stopped it`);
    expect(result.signal).toBe('SIGTERM');
    // The agent and the tool it started (same process group) are both gone.
    const child = Number(readFileSync(childPidFile, 'utf8'));
    await waitFor(`processes ${pid} and ${child} to be gone`, () => gone(pid) && gone(child), { timeoutMs: 15_000 });
    expect(readFileSync(rc.ctx.logFile, 'utf8')).toContain(`--- guild: ${agent} stalled`);
  });

  it('stop() kills the whole process group', async () => {
    const s = setup({ stallTimeout: false });
    const dir = await testdir();
    const childPidFile = path.join(dir, 'child.pid');
    const task = taskOf({ id: 'stop', agent: 'aider', prompt: 'x' }, dir);
    const running = s.runner('aider').start(task, contextFor(task, dir, fakeAgentEnv({ mode: 'stall', childPidFile })).ctx);
    const pid = running.pid!;
    const child = Number(await waitFor('the fake to start its child', () => existsSync(childPidFile) && readFileSync(childPidFile, 'utf8'), { timeoutMs: 15_000 }));
    running.stop('now');
    expect(await running.done).toMatchObject({ outcome: 'failed', signal: 'SIGKILL' });
    await waitFor(`processes ${pid} and ${child} to be gone`, () => gone(pid) && gone(child), { timeoutMs: 15_000 });
  });
});

describe('start failures', () => {
  it('a prompt too long for one command-line argument fails the task saying so, and no agent runs', async () => {
    const r = await run('claude-code', { prompt: `Rewrite this:\n${'x'.repeat(200 * 1024)}` });
    expect(r.result.outcome).toBe('failed');
    expect(r.result.error).toMatch(
      /^claude-code could not start: its command line is too long for the system \(E2BIG\): the prompt is 200 KiB; Linux takes at most 128 KiB in one argument\. Put the long part in a file the task can read and have the prompt point to it$/,
    );
    expect(r.calls).toHaveLength(0);
  });

  it('arguments and environment too large together (E2BIG from the system) fail the task saying so', async () => {
    // 40 variables of 100 KiB: each fits in one argument, together they are over ARG_MAX.
    const env = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`BIG_${i}`, 'y'.repeat(100 * 1024)]));
    const s = setup({ profiles: { 'claude-code': { command: FAKE_AGENTS.claude, env } } });
    const r = await run('claude-code', { prompt: 'x' }, {}, s);
    expect(r.result).toEqual({
      outcome: 'failed',
      error: 'claude-code could not start: its command line is too long for the system (E2BIG): its arguments and environment together are more than it takes',
    });
    expect(r.calls).toHaveLength(0);
  });

  it('a missing working directory is named', async () => {
    const s = setup();
    const dir = await testdir();
    const task = taskOf({ id: 'nowhere', agent: 'claude-code', prompt: 'x', cwd: 'missing' }, dir);
    const result = await runTask(s.runner('claude-code'), task, contextFor(task, dir).ctx);
    expect(result).toEqual({ outcome: 'failed', error: `claude-code could not start: its working directory ${path.join(dir, 'missing')} does not exist` });
  });
});
