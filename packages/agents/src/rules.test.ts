import { describe, expect, it } from 'vitest';
import { seededRandom, simulate, type Blocker, type RunEvent, type Task, type TaskSpec } from '@guild/core';
import { parseAgentsOptions, type AgentsOptions } from './options.js';
import { AgentRegistry } from './profiles.js';
import { AgentRules } from './rules.js';
import { planOf, taskOf } from './test-support.js';

const OPTIONS: AgentsOptions = {
  profiles: {
    'claude-code': { maxConcurrent: 2 },
    release: { argv: ['release-agent', '{prompt}'], singleton: false },
    deploy: { argv: ['deploy-agent', '{prompt}'], singleton: true },
    reviewer: { extends: 'claude-code', writes: false, maxConcurrent: 3 },
  },
  roles: { tests: 'codex' },
  neverTogether: [['release', '@writers']],
};

function rulesFor(options: AgentsOptions = OPTIONS, now: () => number = Date.now) {
  const registry = new AgentRegistry(parseAgentsOptions(options, 'guild:agents'), '/p');
  return new AgentRules({ resolve: (r) => registry.resolve(r), neverTogether: registry.neverTogether, cooldown: 60, now });
}

const t = (id: string, agent: string): Task => taskOf({ id, agent });
const grant = (rules: AgentRules, task: Task) => rules.tryGrant(task);
const blockers = (r: ReturnType<AgentRules['tryGrant']>): Blocker[] => ('blockers' in r ? r.blockers : []);

describe('AgentRules', () => {
  it('holds an agent to its maximum, counting role aliases as their profile', () => {
    const rules = rulesFor();
    expect(grant(rules, t('a', 'claude-code'))).toEqual({ grant: { taskId: 'a' } });
    expect(grant(rules, t('b', 'backend'))).toEqual({ grant: { taskId: 'b' } });
    expect(grant(rules, t('c', 'claude-code'))).toEqual({ blockers: [{ kind: 'agent', agent: 'claude-code', reason: 'limit' }] });
    expect(rules.running()).toEqual(new Map([['claude-code', 2]]));
    rules.release({ taskId: 'b' });
    expect(grant(rules, t('c', 'claude-code'))).toEqual({ grant: { taskId: 'c' } });
  });

  it('never holds back tasks of other runners', () => {
    const rules = rulesFor();
    grant(rules, t('d', 'deploy'));
    expect(grant(rules, taskOf({ id: 's', agent: 'shell' }))).toEqual({ grant: { taskId: 's' } });
  });

  it('runs a singleton alone among agents', () => {
    const rules = rulesFor();
    grant(rules, t('a', 'codex'));
    expect(blockers(grant(rules, t('d', 'deploy')))).toEqual([{ kind: 'agent', agent: 'deploy', reason: 'singleton', with: 'codex' }]);
    rules.release({ taskId: 'a' });
    expect(grant(rules, t('d', 'deploy'))).toEqual({ grant: { taskId: 'd' } });
    expect(blockers(grant(rules, t('b', 'reviewer')))).toEqual([{ kind: 'agent', agent: 'reviewer', reason: 'singleton', with: 'deploy' }]);
    expect(blockers(grant(rules, t('d2', 'deploy')))).toEqual([{ kind: 'agent', agent: 'deploy', reason: 'singleton', with: 'deploy' }]);
  });

  it('keeps never-together pairs apart: a release agent and any agent that writes code', () => {
    const rules = rulesFor();
    grant(rules, t('a', 'claude-code'));
    grant(rules, t('b', 'codex'));
    expect(blockers(grant(rules, t('r', 'release')))).toEqual([
      { kind: 'agent', agent: 'release', reason: 'never-together', with: 'claude-code' },
      { kind: 'agent', agent: 'release', reason: 'never-together', with: 'codex' },
    ]);
    rules.release({ taskId: 'a' });
    rules.release({ taskId: 'b' });
    grant(rules, t('r', 'release'));
    expect(grant(rules, t('v', 'reviewer'))).toEqual({ grant: { taskId: 'v' } });
    expect(blockers(grant(rules, t('w', 'tests')))).toEqual([{ kind: 'agent', agent: 'codex', reason: 'never-together', with: 'release' }]);
  });

  it('backs off after rate limiting: halves the limit, then raises it by one per cooldown', () => {
    let now = 1_000_000;
    const rules = rulesFor({ profiles: { codex: {} } }, () => now);
    const tasks = ['a', 'b', 'c', 'd'].map((id) => t(id, 'codex'));
    for (const task of tasks) expect('grant' in grant(rules, task)).toBe(true);
    expect(rules.limit('codex')).toBeUndefined();
    rules.rateLimited('codex');
    expect(rules.limit('codex')).toBe(2);
    for (const task of tasks) rules.release({ taskId: task.id });
    expect('grant' in grant(rules, tasks[0]!)).toBe(true);
    expect('grant' in grant(rules, tasks[1]!)).toBe(true);
    expect(grant(rules, tasks[2]!)).toEqual({ blockers: [{ kind: 'agent', agent: 'codex', reason: 'limit' }] });
    now += 60_000;
    expect(rules.limit('codex')).toBe(3);
    expect('grant' in grant(rules, tasks[2]!)).toBe(true);
    rules.rateLimited('codex');
    expect(rules.limit('codex')).toBe(1);
    now += 3 * 60_000;
    expect(rules.limit('codex')).toBeUndefined();
  });

  it('backs off below a configured maximum and returns to it', () => {
    let now = 0;
    const rules = rulesFor({ profiles: { codex: { maxConcurrent: 4 } } }, () => now);
    grant(rules, t('a', 'codex'));
    rules.rateLimited('codex');
    expect(rules.limit('codex')).toBe(1);
    now += 60_000 * 3;
    expect(rules.limit('codex')).toBe(4);
  });

  it('moves a task to a fallback agent only when the rules allow it', () => {
    const rules = rulesFor();
    grant(rules, t('a', 'claude-code'));
    grant(rules, t('b', 'claude-code'));
    grant(rules, t('x', 'codex'));
    expect(rules.switchTo('x', 'claude-code')).toEqual([{ kind: 'agent', agent: 'claude-code', reason: 'limit' }]);
    expect(rules.running()).toEqual(new Map([['claude-code', 2], ['codex', 1]]));
    rules.release({ taskId: 'a' });
    expect(rules.switchTo('x', 'claude-code')).toEqual([]);
    expect(rules.running()).toEqual(new Map([['claude-code', 2]]));
    rules.release({ taskId: 'x' });
    expect(rules.running()).toEqual(new Map([['claude-code', 1]]));
  });

  it('lets a task that waited too long reserve: later tasks in its way must wait for it', () => {
    const rules = rulesFor();
    grant(rules, t('a', 'codex'));
    const deploy = t('d', 'deploy');
    rules.reserve(deploy);
    expect(grant(rules, t('b', 'gemini'))).toEqual({ blockers: [{ kind: 'reserved', key: 'agent:deploy', by: 'd' }] });
    rules.release({ taskId: 'a' });
    expect(grant(rules, deploy)).toEqual({ grant: { taskId: 'd' } });
    rules.unreserve('d');
    rules.release({ taskId: 'd' });
    expect(grant(rules, t('b', 'gemini'))).toEqual({ grant: { taskId: 'b' } });
  });

  it('reports the static conflicts of a plan, leaving out pairs ordered by dependencies', () => {
    const rules = rulesFor();
    const plan = planOf([
      { id: 'w1', agent: 'claude-code' },
      { id: 'w2', agent: 'codex', dependsOn: ['rel'] },
      { id: 'rel', agent: 'release' },
      { id: 'rev', agent: 'reviewer' },
      { id: 'sh', agent: 'shell' },
    ]);
    expect(rules.conflicts(plan)).toEqual([
      { a: 'w1', b: 'rel', key: 'agent:claude-code', reason: 'agents claude-code and release never run together (rule release / @writers)' },
    ]);
  });
});

/** Intervals [start, end) of every attempt, from a simulation's events. */
function intervals(events: RunEvent[]): Array<{ id: string; start: number; end: number }> {
  const open = new Map<string, number>();
  const out: Array<{ id: string; start: number; end: number }> = [];
  for (const e of events) {
    if (e.type === 'task.started') open.set(e.id, e.at);
    if (e.type === 'task.finished') out.push({ id: e.id, start: open.get(e.id)!, end: e.at });
  }
  return out;
}

describe('AgentRules under random plans (core scheduler, virtual clock)', () => {
  const agents = ['claude-code', 'backend', 'codex', 'release', 'deploy', 'reviewer', 'shell'];

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('seed %i: no forbidden overlap, limits held, every task runs', async (seed) => {
    const rnd = seededRandom(seed);
    const specs: Array<Partial<TaskSpec> & { id: string }> = [];
    const n = 20 + Math.floor(rnd() * 40);
    for (let i = 0; i < n; i++) {
      const deps = i > 0 && rnd() < 0.3 ? [`t${Math.floor(rnd() * i)}`] : [];
      specs.push({ id: `t${i}`, agent: agents[Math.floor(rnd() * agents.length)]!, dependsOn: deps, estimate: 1 + Math.floor(rnd() * 30) });
    }
    const plan = planOf(specs);
    const registry = new AgentRegistry(parseAgentsOptions(OPTIONS, 'guild:agents'), '/p');
    const rules = new AgentRules({ resolve: (r) => registry.resolve(r), neverTogether: registry.neverTogether });
    const sim = await simulate(plan, { concurrency: 6, access: [rules], recordEvents: true });
    expect(sim.summary.counts.succeeded).toBe(n);

    const profileOf = (id: string) => registry.resolve(plan.tasks.get(id)!.runner)?.name;
    const runs = intervals(sim.events);
    for (const a of runs) {
      const pa = profileOf(a.id);
      if (!pa) continue;
      const overlapping = runs.filter((b) => b !== a && b.start < a.end && a.start < b.end && profileOf(b.id) !== undefined);
      for (const b of overlapping) {
        const pb = profileOf(b.id)!;
        if (pa === 'deploy') throw new Error(`singleton ${a.id} overlapped ${b.id} (${pb})`);
        if (pa === 'release' && registry.profiles.get(pb)!.writes) throw new Error(`release ${a.id} overlapped writer ${b.id} (${pb})`);
      }
      // Sweep: at a's start, how many of its own agent run (it included)?
      const same = runs.filter((b) => profileOf(b.id) === pa && b.start <= a.start && a.start < b.end).length;
      const max = registry.profiles.get(pa)!.maxConcurrent;
      if (max !== undefined) expect(same).toBeLessThanOrEqual(max);
    }
  });
});
