import { describe, expect, it } from 'vitest';
import { interpretKey, splitKeys, type KeyMode } from './keys';

/** Feeds `keys` from the normal mode; returns the actions and the mode at the end. */
function press(keys: string[]) {
  let mode: KeyMode = 'normal';
  const actions: string[] = [];
  for (const key of keys) {
    const r = interpretKey(mode, key);
    mode = r.mode;
    if (r.action) actions.push(r.action);
  }
  return { mode, actions };
}

describe('interpretKey', () => {
  it('maps p, r and s to pause, resume and serialize', () => {
    expect(press(['p', 'r', 's'])).toEqual({ mode: 'normal', actions: ['pause', 'resume', 'serialize'] });
  });

  it('asks before aborting: y confirms, anything else declines', () => {
    expect(press(['a'])).toEqual({ mode: 'confirm-abort', actions: [] });
    expect(press(['a', 'y'])).toEqual({ mode: 'normal', actions: ['abort'] });
    expect(press(['a', 'Y'])).toEqual({ mode: 'normal', actions: ['abort'] });
    expect(press(['a', 'n'])).toEqual({ mode: 'normal', actions: [] });
    expect(press(['a', 'p'])).toEqual({ mode: 'normal', actions: [] });
  });

  it('opens the help with ? and closes it with any key, acting on action keys', () => {
    expect(press(['?'])).toEqual({ mode: 'help', actions: [] });
    expect(press(['?', '?'])).toEqual({ mode: 'normal', actions: [] });
    expect(press(['?', '\x1b'])).toEqual({ mode: 'normal', actions: [] });
    expect(press(['?', 'p'])).toEqual({ mode: 'normal', actions: ['pause'] });
    expect(press(['h', 'x'])).toEqual({ mode: 'normal', actions: [] });
  });

  it('always turns Ctrl-C into an interrupt, even mid-question', () => {
    expect(press(['\x03'])).toEqual({ mode: 'normal', actions: ['interrupt'] });
    expect(press(['a', '\x03'])).toEqual({ mode: 'normal', actions: ['interrupt'] });
    expect(press(['?', '\x03'])).toEqual({ mode: 'normal', actions: ['interrupt'] });
  });
});

describe('splitKeys', () => {
  it('keeps escape sequences whole so their letters are not taken for keys', () => {
    expect(splitKeys('pr')).toEqual(['p', 'r']);
    expect(splitKeys('\x1b[A\x1b[1;5Cs')).toEqual(['\x1b[A', '\x1b[1;5C', 's']);
    expect(splitKeys('\x1bOPa')).toEqual(['\x1bOP', 'a']);
    expect(splitKeys('\x1b')).toEqual(['\x1b']);
    expect(press(splitKeys('\x1b[A\x1b[B')).actions).toEqual([]);
  });
});
