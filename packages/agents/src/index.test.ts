import { describe, expect, it } from 'vitest';
import { createPlan, type AccessControl, type CommandSpec, type Plan, type Runner, type SetupApi, type TaskSpec } from '@guild/core';
import agents, { AgentRules } from './index.js';

/** The parts of SetupApi the plugin uses; anything else it touches fails loudly. */
function fakeApi(root = '/project') {
  const runners = new Map<string, Runner>();
  const controls: AccessControl[] = [];
  const resolvers: Array<(spec: TaskSpec) => string | undefined> = [];
  const commands: CommandSpec[] = [];
  const planHooks: Array<(plan: Plan) => void | Promise<void>> = [];
  const used: Partial<SetupApi> = {
    root,
    addRunner: (r) => void runners.set(r.name, r),
    addAccessControl: (c) => void controls.push(c),
    addRunnerResolver: (r) => void resolvers.push(r),
    addCommand: (c) => void commands.push(c),
    onPlan: (h) => void planHooks.push(h),
  };
  const api = new Proxy(used, {
    get(target, key) {
      if (key in target) return target[key as keyof SetupApi];
      throw new Error(`plugin used api.${String(key)}`);
    },
  }) as SetupApi;
  return { api, runners, controls, resolvers, commands, planHooks };
}

describe('guild:agents plugin', () => {
  it('registers a runner per profile and role, the agent rules, detection and the agents command', async () => {
    const plugin = agents({ profiles: { release: { argv: ['release-agent', '{prompt}'], singleton: true } }, roles: { tests: 'codex' } });
    expect(plugin).toMatchObject({ name: 'guild:agents', apiVersion: 1 });
    const f = fakeApi();
    await plugin.setup!(f.api);
    expect([...f.runners.keys()]).toEqual([
      'claude-code',
      'codex',
      'gemini',
      'aider',
      'release',
      'backend',
      'frontend',
      'tests',
      'database',
      'security',
    ]);
    expect(f.controls).toHaveLength(1);
    expect(f.controls[0]).toBeInstanceOf(AgentRules);
    expect(f.controls[0]!.covers).toEqual(['agents']);
    expect(f.commands.map((c) => c.name)).toEqual(['agents']);
    expect(f.commands[0]!.options?.map((o) => o.flags)).toEqual(['--plan <file>', '--json']);
    const [resolve] = f.resolvers;
    expect(resolve!({ id: 'a', prompt: 'Raise pytest coverage' })).toBe('tests');
    expect(resolve!({ id: 'b', prompt: 'Tidy up' })).toBe('claude-code');
  });

  it('detected tasks run under the rules of the profile their role maps to', async () => {
    const f = fakeApi();
    await agents({ profiles: { codex: { maxConcurrent: 1 } }, roles: { tests: 'codex' } }).setup!(f.api);
    const plan = createPlan(
      [
        { id: 't1', prompt: 'Add unit tests' },
        { id: 't2', agent: 'codex', prompt: 'Refactor' },
      ],
      { root: '/project', runnerFor: f.resolvers[0] },
    );
    for (const hook of f.planHooks) await hook(plan);
    const rules = f.controls[0]!;
    expect(plan.tasks.get('t1')!.runner).toBe('tests');
    expect(rules.tryGrant(plan.tasks.get('t1')!)).toEqual({ grant: { taskId: 't1' } });
    expect(rules.tryGrant(plan.tasks.get('t2')!)).toEqual({ blockers: [{ kind: 'agent', agent: 'codex', reason: 'limit' }] });
  });

  it('rejects bad options when the factory is called, with a GuildError the CLI shows as is', () => {
    expect(() => agents({ profiles: { x: { extends: 'nope' } } })).toThrow(
      /^guild:agents: option "profiles.x.extends" names no profile \(got "nope"\)/,
    );
    let caught: unknown;
    try {
      agents({ concurrency: 3 } as never);
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({ name: 'GuildError', code: 'CONFIG_INVALID', message: expect.stringMatching(/unknown option "concurrency"/) });
  });
});

describe('plan checks', () => {
  async function planHook() {
    const f = fakeApi();
    await agents().setup!(f.api);
    return (specs: TaskSpec[]) => f.planHooks[0]!(createPlan(specs, { root: '/project', runnerFor: f.resolvers[0] }));
  }

  it('an agent task needs a prompt', async () => {
    const check = await planHook();
    expect(() => check([{ id: 'a', agent: 'codex', run: 'make', origin: { source: 'plan', file: 'plan.yaml', line: 4, column: 5 } }])).toThrow(
      'plan.yaml:4:5: task "a" runs the agent codex but has no "prompt:" to give it; add one',
    );
  });

  it('fallbackAgents must name profiles or roles', async () => {
    const check = await planHook();
    expect(() => check([{ id: 'a', agent: 'codex', prompt: 'x', fallbackAgents: ['tests', 'claud'] }])).toThrow(
      'task "a" has fallbackAgents "claud", which is no agent profile or role; profiles: claude-code, codex, gemini, aider',
    );
    expect(() => check([{ id: 'b', agent: 'shell', run: 'true', fallbackAgents: ['whatever'] }, { id: 'c', prompt: 'x', fallbackAgents: ['codex'] }])).not.toThrow();
  });
});
