import { describe, expect, it } from 'vitest';
import { parseAgentsOptions, type AgentsOptions } from './options.js';
import { AgentRegistry, BUILT_IN_PROFILES } from './profiles.js';

const registry = (options: AgentsOptions, root = '/project') => new AgentRegistry(parseAgentsOptions(options, 'guild:agents'), root);

/** The message of the GuildError `fn` throws (failing the test if it throws something else). */
function errorOf(fn: () => unknown): { message: string; code: string; more: readonly string[] } {
  try {
    fn();
  } catch (e) {
    expect(e).toMatchObject({ name: 'GuildError', code: 'CONFIG_INVALID' });
    return e as { message: string; code: string; more: readonly string[] };
  }
  throw new Error('expected a GuildError');
}

describe('built-in profiles', () => {
  it('are claude-code, codex, gemini and aider; shell stays core\'s', () => {
    const r = registry({});
    expect([...r.profiles.keys()]).toEqual(['claude-code', 'codex', 'gemini', 'aider']);
    expect(r.resolve('shell')).toBeUndefined();
    expect(r.profiles.get('claude-code')).toMatchObject({ parser: 'claude', writes: true, singleton: false, stallTimeout: 600 });
  });

  it('map every role to the default agent unless told otherwise', () => {
    const r = registry({ roles: { tests: 'codex' }, defaultAgent: 'gemini' });
    expect(r.resolve('tests')?.name).toBe('codex');
    expect(r.resolve('backend')?.name).toBe('gemini');
    expect(r.runnerNames()).toEqual(['claude-code', 'codex', 'gemini', 'aider', 'backend', 'frontend', 'tests', 'database', 'security']);
  });
});

describe('profiles from options', () => {
  it('extend a built-in: fields win, env merges, the command replaces argv[0] relative to the root', () => {
    const r = registry({
      profiles: {
        'claude-code': { env: { A: '1' }, maxConcurrent: 2 },
        'backend-architect': { extends: 'claude-code', command: './bin/claude', model: 'opus', env: { B: '2' }, match: ['architect'], stallTimeout: '5m' },
      },
    });
    const p = r.profiles.get('backend-architect')!;
    expect(p.argv).toEqual(['/project/bin/claude', ...BUILT_IN_PROFILES['claude-code']!.argv!.slice(1)]);
    expect(p).toMatchObject({ model: 'opus', env: { A: '1', B: '2' }, maxConcurrent: 2, parser: 'claude', stallTimeout: 300 });
    expect(p.match.map(String)).toEqual(['/architect/i']);
    expect(r.profiles.get('claude-code')!.argv[0]).toBe('claude');
  });

  it('follow extends chains and take a new argv', () => {
    const r = registry({
      profiles: {
        mine: { argv: ['my-agent', '--task', '{prompt}'], stallTimeout: false },
        mine2: { extends: 'mine', maxConcurrent: 1, singleton: true, writes: false },
      },
    });
    expect(r.profiles.get('mine2')).toMatchObject({ argv: ['my-agent', '--task', '{prompt}'], parser: 'plain', singleton: true, writes: false });
    expect(r.profiles.get('mine2')!.stallTimeout).toBeUndefined();
  });

  it('turn stall detection off with stallTimeout false or 0 everywhere', () => {
    expect(registry({ stallTimeout: false }).profiles.get('codex')!.stallTimeout).toBeUndefined();
    expect(registry({ stallTimeout: '0s' }).profiles.get('codex')!.stallTimeout).toBeUndefined();
    expect(registry({ stallTimeout: 90 }).profiles.get('codex')!.stallTimeout).toBe(90);
  });

  it('resolve never-together tokens through roles', () => {
    const r = registry({ profiles: { release: { argv: ['rel', '{prompt}'] } }, neverTogether: [['release', '@writers'], ['tests', '*']] });
    expect(r.neverTogether).toEqual([
      ['release', '@writers'],
      ['claude-code', '*'],
    ]);
  });
});

describe('bad options', () => {
  it('name an unknown option and the accepted ones', () => {
    expect(errorOf(() => registry({ profile: {} } as never)).message).toBe(
      'guild:agents: unknown option "profile"; accepted: profiles, roles, defaultAgent, neverTogether, stallTimeout, backoff',
    );
    expect(errorOf(() => registry({ profiles: { x: { extends: 'codex', maxConcurent: 2 } } } as never)).message).toMatch(
      /^guild:agents: unknown option "maxConcurent" in "profiles.x"; accepted: extends, command, argv, env, model, maxConcurrent,/,
    );
  });

  it('name the option, the value and what is expected', () => {
    expect(errorOf(() => registry({ profiles: { x: { extends: 'codex', maxConcurrent: 0 } } })).message).toBe(
      'guild:agents: option "profiles.x.maxConcurrent" must be at least 1 (got 0)',
    );
    expect(errorOf(() => registry({ profiles: { x: { argv: 'claude -p {prompt}' as never } } })).message).toBe(
      'guild:agents: option "profiles.x.argv" must be a list of strings such as ["claude", "-p", "{prompt}"], never one shell string (got "claude -p {prompt}")',
    );
    expect(errorOf(() => registry({ stallTimeout: 'ten minutes' })).message).toMatch(/option "stallTimeout" .*must be a duration or false.*\(got "ten minutes"\)/);
    expect(errorOf(() => registry({ profiles: { x: { extends: 'codex', match: ['('] } } })).message).toBe(
      'guild:agents: option "profiles.x.match" must hold valid regular expressions (got ["("])',
    );
    expect(errorOf(() => registry('claude' as never)).message).toMatch(/options must be an object/);
  });

  it('report every problem, not just the first', () => {
    const e = errorOf(() => registry({ defaultAgent: 3, neverTogether: [['a']] } as never));
    expect(e.more).toHaveLength(1);
  });

  it('catch profiles that cannot be resolved', () => {
    expect(errorOf(() => registry({ profiles: { x: { extends: 'claud-code' } } })).message).toMatch(
      /^guild:agents: option "profiles.x.extends" names no profile \(got "claud-code"\); profiles: claude-code, codex/,
    );
    expect(errorOf(() => registry({ profiles: { a: { extends: 'b' }, b: { extends: 'a' } } })).message).toBe(
      'guild:agents: profiles extend each other in a circle: a -> b -> a',
    );
    expect(errorOf(() => registry({ profiles: { x: { model: 'm' } } })).message).toMatch(/profile "x" has no argv; give "argv"/);
    expect(errorOf(() => registry({ profiles: { x: { argv: ['x', '--go'] } } })).message).toBe(
      'guild:agents: option "profiles.x.argv" never passes the task\'s {prompt}',
    );
    expect(errorOf(() => registry({ profiles: { shell: { extends: 'codex' } } })).message).toMatch(/cannot be called "shell"/);
    expect(errorOf(() => registry({ profiles: { backend: { extends: 'codex' } } })).message).toMatch(/a role's name; map the role instead/);
    expect(errorOf(() => registry({ roles: { tests: 'nope' } })).message).toMatch(/option "roles.tests" names no profile \(got "nope"\)/);
    expect(errorOf(() => registry({ defaultAgent: 'nope' })).message).toMatch(/option "defaultAgent" names no profile/);
    expect(errorOf(() => registry({ profiles: { x: { extends: 'codex', fallbacks: ['nope'] } } })).message).toMatch(
      /option "profiles.x.fallbacks.0" names no profile or role \(got "nope"\)/,
    );
    expect(errorOf(() => registry({ neverTogether: [['codex', 'nope']] })).message).toMatch(/option "neverTogether.0.1" names no profile or role/);
  });

  it('reject an unknown role', () => {
    expect(errorOf(() => registry({ roles: { bakend: 'codex' } } as never)).message).toMatch(/roles/);
  });
});
