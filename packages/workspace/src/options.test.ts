import { describe, expect, it } from 'vitest';
import workspace from './index';
import { parseWorkspaceOptions } from './options';

describe('options', () => {
  it('have defaults', () => {
    expect(parseWorkspaceOptions(undefined)).toEqual({ include: [], strict: false, checkWrites: false, fastForward: true });
    expect(parseWorkspaceOptions({ include: ['.env'], setup: ['pnpm', 'install'], strict: true, fastForward: false })).toEqual({
      include: ['.env'],
      setup: ['pnpm', 'install'],
      strict: true,
      checkWrites: false,
      fastForward: false,
    });
  });

  it('are checked when the factory is called, with a GuildError naming the option, the value and what was expected', () => {
    expect(() => workspace({ strcit: true } as never)).toThrow(
      'guild:workspace: unknown option "strcit"; accepted options: include, setup, strict, checkWrites, fastForward',
    );
    expect(() => workspace({ setup: 'pnpm install' } as never)).toThrow(
      'guild:workspace: option "setup" must be a non-empty array of strings (a command and its arguments) such as ["pnpm", "install"] (got "pnpm install")',
    );
    expect(() => workspace({ setup: [] })).toThrow('option "setup" must be a non-empty array of strings');
    expect(() => workspace({ include: '.env' } as never)).toThrow('option "include" must be an array of paths or globs such as [".env"] (got ".env")');
    expect(() => workspace({ strict: 'yes' } as never)).toThrow('option "strict" must be true or false (got "yes")');
    expect(() => workspace(['.env'] as never)).toThrow('guild:workspace: options must be an object such as { strict: true } (got an array)');
    let caught: unknown;
    try {
      workspace({ fastForward: 1 } as never);
    } catch (e) {
      caught = e;
    }
    // A GuildError, so the CLI prints the message alone and exits with code 2.
    expect(caught).toMatchObject({ name: 'GuildError', code: 'CONFIG_INVALID' });
  });

  it('make a plugin object', () => {
    expect(workspace()).toMatchObject({ name: 'guild:workspace', apiVersion: 1 });
  });
});
