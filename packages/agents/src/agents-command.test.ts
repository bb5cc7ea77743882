import { afterAll, describe, expect, it } from 'vitest';
import { FAKE_AGENTS, removeTestdirs, testdir } from '@guild/test-utils';
import { agentsCommand, type ProfileReport } from './agents-command.js';
import { createDetector } from './detect.js';
import { parseAgentsOptions } from './options.js';
import { AgentRegistry } from './profiles.js';

afterAll(removeTestdirs);

const PLAN = `
version: 1
tasks:
  - id: schema
    run: echo migrate
  - id: api
    prompt: Implement POST /login in the API server
  - id: ui
    prompt: Build the login form React component
  - id: cover
    prompt: Raise pytest coverage
    agent: codex
  - id: docs
    prompt: Tidy the README
`;

async function setup() {
  const dir = await testdir({ 'plan.yaml': PLAN });
  const registry = new AgentRegistry(
    parseAgentsOptions(
      {
        profiles: {
          'claude-code': { command: FAKE_AGENTS.claude, maxConcurrent: 2, fallbacks: ['gemini'] },
          codex: { command: '/nonexistent/codex' },
          gemini: { command: FAKE_AGENTS.gemini },
          aider: { command: FAKE_AGENTS.aider },
          ui: { extends: 'gemini', match: ['\\bform\\b'] },
        },
        roles: { backend: 'claude-code' },
        defaultAgent: 'aider',
      },
      'guild:agents',
    ),
    dir,
  );
  const detect = createDetector({ matchers: [...registry.profiles.values()].filter((p) => p.match.length > 0), defaultAgent: registry.defaultAgent });
  let out = '';
  const command = agentsCommand(registry, detect, { stdout: (t) => void (out += t), cwd: () => dir });
  return { command, output: () => out };
}

describe('guild agents', () => {
  it('--json lists profiles, whether each CLI is installed with its version, and with --plan the tasks each would take', async () => {
    const { command, output } = await setup();
    expect(await command.action([], { json: true, plan: 'plan.yaml' })).toBe(0);
    const out = JSON.parse(output()) as { profiles: ProfileReport[]; defaultAgent: string; otherTasks: unknown[] };
    const byName = new Map(out.profiles.map((p) => [p.name, p]));
    expect(byName.get('claude-code')).toMatchObject({
      path: FAKE_AGENTS.claude,
      version: '2.0.54 (Claude Code)',
      roles: ['backend'],
      maxConcurrent: 2,
      fallbacks: ['gemini'],
      tasks: [{ id: 'api', runner: 'backend' }],
    });
    expect(byName.get('codex')).toMatchObject({ path: null, version: null, tasks: [{ id: 'cover', runner: 'codex' }] });
    expect(byName.get('gemini')).toMatchObject({ version: '0.61.0', tasks: [] });
    expect(byName.get('ui')).toMatchObject({ version: '0.61.0', tasks: [{ id: 'ui', runner: 'ui' }] });
    expect(byName.get('aider')).toMatchObject({
      version: 'aider 0.86.1',
      roles: ['frontend', 'tests', 'database', 'security'],
      tasks: [{ id: 'docs', runner: 'aider' }],
    });
    expect(out.defaultAgent).toBe('aider');
    expect(out.otherTasks).toEqual([{ id: 'schema', runner: 'shell' }]);
  });

  it('prints a line per profile for people', async () => {
    const { command, output } = await setup();
    await command.action([], { plan: 'plan.yaml' });
    const lines = output().split('\n');
    expect(lines).toContain('claude-code  installed (2.0.54 (Claude Code)) · roles: backend · max 2 · fallbacks: gemini');
    expect(lines).toContain('               tasks: api (as backend)');
    expect(lines).toContain('codex        not installed ("/nonexistent/codex" not found)');
    expect(lines).toContain('default agent for prompts nothing is detected in: aider');
    expect(lines).toContain('plan.yaml: 1 other task: schema (shell)');
  });

  it('a plan that does not load is the plan loader\'s error', async () => {
    const { command } = await setup();
    await expect(command.action([], { plan: 'missing.yaml' })).rejects.toMatchObject({ name: 'GuildError', code: 'PLAN_NOT_FOUND' });
  });
});
