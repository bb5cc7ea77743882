import { describe, expect, it } from 'vitest';
import { createPlan } from '@guild/core';
import { toTaskSpecs } from './specs';
import { parseTaskList } from './task-list';
import { fixture, md } from './test-support';

const list = () => parseTaskList(fixture('web-auth.tasks.md'), 'specs/004-user-auth/tasks.md');
const options = { file: 'specs/004-user-auth/tasks.md', path: '/repo/specs/004-user-auth/tasks.md' };

describe('toTaskSpecs', () => {
  it('makes agent tasks: a prompt with the task and its context, no run, no agent', () => {
    const spec = toTaskSpecs(list(), options).find((s) => s.id === 'T013')!;
    expect(spec.run).toBeUndefined();
    expect(spec.agent).toBeUndefined();
    expect(spec.title).toBe('Implement AuthService in backend/src/services/auth.ts');
    expect(spec.prompt).toBe(
      [
        'Implement AuthService in backend/src/services/auth.ts',
        '',
        'This is task T013 of the task list specs/004-user-auth/tasks.md (line 56) for "User Authentication".',
        '- Phase: Phase 3: User Story 1 - Sign up and log in (Priority: P1) 🎯 MVP',
        '- Goal: A visitor can create an account with email and password and log in',
        '- Section: Implementation for User Story 1',
        '- User story: US1',
        '',
        'Notes:',
        '- Use the helpers from `backend/src/lib/hash.ts`; never log passwords.',
      ].join('\n'),
    );
    expect(spec.writes).toEqual(['backend/src/services/auth.ts']);
    expect(spec.group).toBe('US1');
    expect(spec.priority).toBe(1);
    expect(spec.meta).toEqual({
      markdown: {
        path: '/repo/specs/004-user-auth/tasks.md',
        line: 56,
        phase: 'Phase 3: User Story 1 - Sign up and log in (Priority: P1) 🎯 MVP',
        section: 'Implementation for User Story 1',
        story: 'US1',
      },
    });
    expect(spec.origin).toEqual({ source: 'markdown', file: 'specs/004-user-auth/tasks.md', line: 56, column: 7 });
  });

  it('gives the text to a run command only through env, never in the command', () => {
    const text = md('- [ ] T001 [P:Group-x] Say "$(touch pwned)" and `rm -rf /` in src/a.ts');
    const [spec] = toTaskSpecs(parseTaskList(text, 'tasks.md'), { file: 'tasks.md', path: '/r/tasks.md', run: 'sh record.sh' });
    expect(spec!.run).toBe('sh record.sh');
    expect(spec!.env).toEqual({
      GUILD_TASK_TITLE: 'Say "$(touch pwned)" and `rm -rf /` in src/a.ts',
      GUILD_TASK_PROMPT: spec!.prompt,
      GUILD_TASK_FILE: '/r/tasks.md',
      GUILD_TASK_LINE: '1',
      GUILD_TASK_GROUP: 'x',
    });
  });

  it('sets the agent when one is configured', () => {
    const specs = toTaskSpecs(list(), { ...options, agent: 'claude-code' });
    expect(new Set(specs.map((s) => s.agent))).toEqual(new Set(['claude-code']));
  });

  it('leaves done tasks out', () => {
    const ids = toTaskSpecs(list(), options).map((s) => s.id);
    expect(ids).not.toContain('T001');
    expect(ids).not.toContain('T002');
    expect(ids[0]).toBe('T003');
    expect(ids).toHaveLength(22);
  });

  it('makes specs core accepts; prompt-only tasks take the runner agent detection picks', () => {
    const specs = toTaskSpecs(list(), options);
    const plan = createPlan(specs, { root: '/repo', file: options.file, runnerFor: (s) => (/test/i.test(s.title ?? '') ? 'tests-agent' : 'coder') });
    expect(plan.tasks.get('T009')!.runner).toBe('tests-agent');
    expect(plan.tasks.get('T013')!.runner).toBe('coder');
    expect(plan.tasks.get('T013')!.prompt).toContain('User story: US1');
  });
});
