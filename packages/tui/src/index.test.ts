import type { ReporterFactory, SetupApi } from '@guild/core';
import { describe, expect, it } from 'vitest';
import tui, { parseTuiOptions, tuiReporter } from './index';

/** The part of SetupApi the plugin uses; anything else it touches fails loudly. */
function fakeApi(): { api: SetupApi; reporters: ReporterFactory[] } {
  const reporters: ReporterFactory[] = [];
  const api = new Proxy({ addReporter: (r: ReporterFactory) => reporters.push(r) } as Partial<SetupApi>, {
    get(target, key) {
      if (key in target) return target[key as keyof SetupApi];
      throw new Error(`plugin used api.${String(key)}`);
    },
  }) as SetupApi;
  return { api, reporters };
}

describe('guild:tui plugin', () => {
  it('registers the interactive "tui" reporter', async () => {
    const plugin = tui();
    expect(plugin).toMatchObject({ name: 'guild:tui', apiVersion: 1 });
    const { api, reporters } = fakeApi();
    await plugin.setup?.(api);
    expect(reporters).toHaveLength(1);
    expect(reporters[0]).toMatchObject({ name: 'tui', interactive: true });
    expect(typeof reporters[0]!.create).toBe('function');
  });

  it('exports the reporter factory for other drivers', () => {
    expect(tuiReporter({ ascii: true, maxFps: 4 })).toMatchObject({ name: 'tui', interactive: true });
  });

  it('takes ascii and maxFps, with defaults', () => {
    expect(parseTuiOptions(undefined, 'x')).toEqual({ ascii: false, maxFps: 8 });
    expect(parseTuiOptions({ ascii: true, maxFps: 4 }, 'x')).toEqual({ ascii: true, maxFps: 4 });
  });

  it('rejects bad options, naming them and the accepted ones', () => {
    expect(() => tui({ asci: true } as never)).toThrow(
      'guild:tui: unknown option "asci"; accepted options: ascii (boolean), maxFps (a number from 1 to 30)',
    );
    expect(() => tui({ ascii: 'yes' } as never)).toThrow('guild:tui: option "ascii" must be true or false (got "yes")');
    expect(() => tui({ maxFps: 120 })).toThrow('guild:tui: option "maxFps" must be a number from 1 to 30 (got 120)');
    expect(() => tui([] as never)).toThrow(/options must be an object .*got an array/);
    let caught: unknown;
    try {
      tui({ extra: 1 } as never);
    } catch (e) {
      caught = e;
    }
    // A GuildError, so the CLI prints the message alone and exits with code 2.
    expect(caught).toMatchObject({ name: 'GuildError', code: 'CONFIG_INVALID' });
  });
});
