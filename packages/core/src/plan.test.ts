import { describe, expect, test } from 'vitest';
import { GuildError } from './errors.js';
import { createPlan, normalisePath } from './plan.js';
import { planOf } from './test-plans.js';
import type { TaskSpec } from './types.js';

const at = (id: string, line: number, extra: Partial<TaskSpec> = {}): TaskSpec => ({
  id,
  run: 'true',
  origin: { source: 'plan', file: 'plan.yaml', line, column: 5 },
  ...extra,
});

function planError(specs: TaskSpec[]): GuildError {
  try {
    createPlan(specs, { root: '/repo' });
  } catch (e) {
    expect(e).toBeInstanceOf(GuildError);
    return e as GuildError;
  }
  throw new Error('expected a GuildError');
}

describe('createPlan validation', () => {
  test('duplicate ids name both places', () => {
    const e = planError([at('a', 3), at('b', 5), at('a', 7)]);
    expect(e.code).toBe('PLAN_DUPLICATE_ID');
    expect(e.message).toBe(
      'plan.yaml:7:5: duplicate task id "a": it is already used by the task at plan.yaml:3:5; give each task its own id',
    );
  });

  test('an unknown dependency names both tasks', () => {
    const e = planError([at('a', 3), at('b', 5, { dependsOn: ['c'] })]);
    expect(e.code).toBe('PLAN_UNKNOWN_DEPENDENCY');
    expect(e.message).toContain('plan.yaml:5:5: task "b" depends on "c", which is not a task in this plan');
  });

  test('a cycle is printed as a -> b -> c -> a', () => {
    const e = planError([
      at('a', 3, { dependsOn: ['b'] }),
      at('b', 5, { dependsOn: ['c'] }),
      at('c', 7, { dependsOn: ['a'] }),
      at('d', 9, { dependsOn: ['a'] }),
    ]);
    expect(e.code).toBe('PLAN_CYCLE');
    expect(e.message).toContain('dependency cycle: a -> b -> c -> a');
  });

  test('a task depending on itself is a cycle', () => {
    expect(planError([at('a', 3, { dependsOn: ['a'] })]).message).toContain('task "a" depends on itself');
  });

  test('a write outside the plan folder is refused; a read is allowed', () => {
    const e = planError([at('a', 3, { writes: ['../elsewhere/x'] })]);
    expect(e.code).toBe('PLAN_PATH_ESCAPES');
    expect(e.message).toContain('writes "../elsewhere/x", which is outside the plan\'s folder /repo');
    expect(() => createPlan([at('a', 3, { reads: ['../shared/lib'] })], { root: '/repo' })).not.toThrow();
  });

  test('a task with nothing to run is refused', () => {
    expect(planError([{ id: 'a', origin: { source: 'plan', file: 'p.yaml', line: 2 } }]).message).toBe(
      'p.yaml:2: task "a" has nothing to do; give it a "run:" command',
    );
  });

  test('an empty plan is refused', () => {
    expect(planError([]).code).toBe('PLAN_EMPTY');
  });
});

describe('normalisation', () => {
  test('durations become seconds, defaults fill in, paths are relative POSIX', () => {
    const plan = planOf(
      [
        {
          id: 'a',
          estimate: '2m',
          timeout: '1h',
          writes: ['./src/api/', '/tmp/guild-test-root/dist'],
          reads: ['src/**/*.ts'],
          resources: ['db', 'cache:shared', { name: 'port', shared: false }],
          cwd: 'web',
        },
        { id: 'b' },
      ],
      '/tmp/guild-test-root',
    );
    const a = plan.tasks.get('a')!;
    expect(a).toMatchObject({ estimate: 120, estimateFrom: 'plan', timeout: 3600, priority: 2, retries: 0, runner: 'shell' });
    expect(a.cwd).toBe('/tmp/guild-test-root/web');
    expect(a.access).toEqual([
      { kind: 'path', path: 'src/api', mode: 'write', glob: false },
      { kind: 'path', path: 'dist', mode: 'write', glob: false },
      { kind: 'path', path: 'src/**/*.ts', mode: 'read', glob: true },
      { kind: 'resource', name: 'db', shared: false },
      { kind: 'resource', name: 'cache', shared: true },
      { kind: 'resource', name: 'port', shared: false },
    ]);
    const b = plan.tasks.get('b')!;
    expect(b).toMatchObject({ estimate: 60, estimateFrom: 'default', cwd: '/tmp/guild-test-root', title: 'b' });
  });

  test('history fills estimates the plan leaves out', () => {
    const plan = createPlan(
      [
        { id: 'a', run: 'x' },
        { id: 'b', run: 'y', estimate: 3 },
      ],
      { root: '/r', history: () => 42 },
    );
    expect(plan.tasks.get('a')).toMatchObject({ estimate: 42, estimateFrom: 'history' });
    expect(plan.tasks.get('b')).toMatchObject({ estimate: 3, estimateFrom: 'plan' });
  });

  test.each([
    ['.', '.'],
    ['./', '.'],
    ['a//b/../c/', 'a/c'],
    ['a\\b', 'a/b'],
    ['/r/x/y', 'x/y'],
    ['/r', '.'],
    ['../up', '../up'],
  ])('normalisePath(%j) is %j', (raw, expected) => {
    expect(normalisePath(raw, '/r')).toBe(expected);
  });
});

describe('runners for prompt-only tasks', () => {
  test('runnerFor picks the runner of a task with a prompt and no agent; agent and run win over it', () => {
    const runnerFor = (spec: TaskSpec) => (/api/i.test(spec.prompt ?? '') ? 'backend' : undefined);
    const plan = createPlan(
      [
        { id: 'a', prompt: 'Build the login API' },
        { id: 'b', prompt: 'Build the login API', agent: 'codex' },
        { id: 'c', prompt: 'Build the login API', run: 'make api' },
      ],
      { root: '/repo', runnerFor },
    );
    expect([...plan.tasks.values()].map((t) => t.runner)).toEqual(['backend', 'codex', 'shell']);
    expect(() => createPlan([{ id: 'd', prompt: 'Tidy up' }], { root: '/repo', runnerFor })).toThrow(/has a prompt but no agent/);
  });
});
