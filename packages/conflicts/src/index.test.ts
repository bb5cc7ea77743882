import { describe, expect, it } from 'vitest';
import type { AccessControl, SetupApi } from '@guild/core';
import conflicts, { LockTable, accessesConflict, conflictReport } from './index';
import { task, w } from './test-support';

/** The part of SetupApi the plugin uses; anything else it touches fails loudly. */
function fakeApi(): { api: SetupApi; controls: AccessControl[] } {
  const controls: AccessControl[] = [];
  const api = new Proxy({ addAccessControl: (c: AccessControl) => controls.push(c) } as Partial<SetupApi>, {
    get(target, key) {
      if (key in target) return target[key as keyof SetupApi];
      throw new Error(`plugin used api.${String(key)}`);
    },
  }) as SetupApi;
  return { api, controls };
}

describe('guild:conflicts plugin', () => {
  it('registers a strict LockTable by default', async () => {
    const plugin = conflicts();
    expect(plugin).toMatchObject({ name: 'guild:conflicts', apiVersion: 1 });
    const { api, controls } = fakeApi();
    await plugin.setup?.(api);
    expect(controls).toHaveLength(1);
    const control = controls[0] as LockTable;
    expect(control).toBeInstanceOf(LockTable);
    expect(control.mode).toBe('strict');
    control.tryGrant(task('a', [w('src')]));
    expect(control.tryGrant(task('b', [w('src/x.ts')]))).toEqual({
      blockers: [{ kind: 'lock', key: 'src', heldBy: 'a' }],
    });
  });

  it('passes the mode on', async () => {
    const { api, controls } = fakeApi();
    await conflicts({ mode: 'advisory' }).setup?.(api);
    expect((controls[0] as LockTable).mode).toBe('advisory');
  });

  it('rejects an unknown option, naming it and the accepted ones', () => {
    expect(() => conflicts({ mdoe: 'strict' } as never)).toThrow(
      'guild:conflicts: unknown option "mdoe"; accepted options: mode ("strict" | "advisory")',
    );
    expect(() => conflicts({ mode: 'loose' } as never)).toThrow(
      'guild:conflicts: option "mode" must be "strict" or "advisory" (got "loose")',
    );
    expect(() => conflicts('strict' as never)).toThrow(/options must be an object/);
    let caught: unknown;
    try {
      conflicts({ extra: 1 } as never);
    } catch (e) {
      caught = e;
    }
    // A GuildError, so the CLI prints the message alone and exits with code 2.
    expect(caught).toMatchObject({ name: 'GuildError', code: 'CONFIG_INVALID' });
  });

  it('exports the library API', () => {
    expect(typeof conflictReport).toBe('function');
    expect(accessesConflict(w('a'), w('a/b'))).not.toBeNull();
  });
});
