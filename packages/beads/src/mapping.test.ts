import { describe, expect, it } from 'vitest';
import { fakeDep, fakeIssue } from '@guild/test-utils';
import { acceptanceItems, issueToSpec } from './mapping';
import { bdIssue, tasksOf } from './test-support';

const issue = (id: string, fields: Record<string, unknown> = {}) => bdIssue(fakeIssue(id), fields);
const agentTasks = { allowRun: false, claim: true };

describe('issueToSpec', () => {
  it('maps every field of an issue and the guild fields of its metadata', () => {
    const spec = issueToSpec(
      issue('bd-e9f0.1', {
        title: 'Add retry to HTTP client',
        description: 'Wrap fetch with backoff.',
        design: 'Exponential, full jitter.',
        acceptance_criteria: '- [ ] retries 3 times\n* gives up after 10s\n\n1. logs each retry',
        priority: 0,
        issue_type: 'feature',
        labels: ['backend', 'network'],
        estimated_minutes: 45,
        assignee: '',
        dependencies: [fakeDep('bd-e9f0.1', 'bd-e9f0', 'parent-child')],
        metadata: {
          subagent_type: 'backend-dev',
          fallback_agents: ['codex', 'aider'],
          applicable_skills: ['http', 'testing'],
          writes: ['src/http/**'],
          reads: ['src/config.ts'],
          resources: ['network', { name: 'db', shared: true }],
          other_tool: { kept: 'out of guild' },
        },
      }),
      ['bd-c3d4'],
      agentTasks,
    );
    expect(spec).toEqual({
      id: 'bd-e9f0.1',
      title: 'Add retry to HTTP client',
      prompt: 'Add retry to HTTP client',
      description: 'Wrap fetch with backoff.\n\nDesign:\nExponential, full jitter.',
      acceptance: ['retries 3 times', 'gives up after 10s', 'logs each retry'],
      agent: 'backend-dev',
      fallbackAgents: ['codex', 'aider'],
      skills: ['http', 'testing'],
      writes: ['src/http/**'],
      reads: ['src/config.ts'],
      resources: ['network', { name: 'db', shared: true }],
      priority: 0,
      estimate: 2700,
      dependsOn: ['bd-c3d4'],
      meta: { beads: { id: 'bd-e9f0.1', claim: true, status: 'open', type: 'feature', labels: ['backend', 'network'], parent: 'bd-e9f0' } },
      origin: { source: 'beads', ref: 'bd-e9f0.1' },
    });
  });

  it('makes a plain issue an agent task whose prompt is its title, which core accepts with an agent runner', () => {
    const spec = issueToSpec(issue('bd-1', { title: 'Fix login', priority: 3 }), [], { allowRun: false, claim: false });
    expect(spec).toEqual({
      id: 'bd-1',
      title: 'Fix login',
      prompt: 'Fix login',
      priority: 3,
      meta: { beads: { id: 'bd-1', claim: false, status: 'open', type: 'task' } },
      origin: { source: 'beads', ref: 'bd-1' },
    });
    const task = tasksOf([spec]).get('bd-1')!;
    expect(task).toMatchObject({ runner: 'agent', prompt: 'Fix login', priority: 3, estimateFrom: 'default' });
  });

  it('prefers metadata.agent to subagent_type, and takes metadata given as a JSON string', () => {
    const spec = issueToSpec(issue('bd-1', { metadata: '{"agent":"codex","subagent_type":"x"}' }), [], agentTasks);
    expect(spec.agent).toBe('codex');
  });

  it('makes a shell task of metadata.run only when allowRun is on', () => {
    const withRun = issue('bd-2', { metadata: { run: 'make test', writes: ['out/'] } });
    expect(() => issueToSpec(withRun, [], agentTasks)).toThrow(
      /^issue bd-2: metadata.run is a shell command, and guild runs commands taken from a tracker only when the beads plugin has the option allowRun: true/,
    );
    const spec = issueToSpec(withRun, [], { allowRun: true, claim: true });
    expect(spec).toMatchObject({ run: 'make test', writes: ['out/'] });
    expect(spec.prompt).toBeUndefined();
    expect(tasksOf([spec]).get('bd-2')).toMatchObject({ runner: 'shell', run: 'make test' });
  });

  it('rejects bad metadata with a message naming the issue, the field and the value', () => {
    const bad = (metadata: unknown) => () => issueToSpec(issue('bd-7', { metadata }), [], agentTasks);
    expect(bad({ writes: 'src/a.ts' })).toThrow(
      'issue bd-7: metadata.writes must be a list of paths (got "src/a.ts"); fix it with bd update bd-7 --metadata \'{...}\'',
    );
    expect(bad({ fallback_agents: ['codex', 3] })).toThrow('issue bd-7: metadata.fallback_agents.1 must be an agent name (text) (got 3)');
    expect(bad({ resources: [{ name: 'db', exclusive: true }] })).toThrow('issue bd-7: metadata.resources.0 must be a resource name or a { name, shared } object');
    expect(bad({ agent: '' })).toThrow('issue bd-7: metadata.agent must be an agent name (text) (got "")');
    expect(bad(['run'])).toThrow('issue bd-7: its metadata must be a JSON object (got ["run"])');
    expect(bad('{run: x}')).toThrow(/^issue bd-7: its metadata is not JSON/);
    let caught: unknown;
    try {
      bad({ reads: [1] })();
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({ name: 'GuildError', code: 'PLAN_INVALID' });
  });

  it('rejects an id guild cannot use as a task id', () => {
    expect(() => issueToSpec(issue('-bd 1'), [], agentTasks)).toThrow(/^issue "-bd 1": guild task ids hold letters/);
  });

  it('records where a JSONL issue was read', () => {
    expect(issueToSpec(issue('bd-1'), [], agentTasks, { file: '/p/.beads/issues.jsonl', line: 4 }).origin).toEqual({
      source: 'beads',
      ref: 'bd-1',
      file: '/p/.beads/issues.jsonl',
      line: 4,
    });
  });
});

describe('acceptanceItems', () => {
  it('splits criteria into items and drops list markers and checkboxes', () => {
    expect(acceptanceItems('  - [x] done\n+ plus\n2) two\nplain line\n   ')).toEqual(['done', 'plus', 'two', 'plain line']);
    expect(acceptanceItems(undefined)).toEqual([]);
  });
});
