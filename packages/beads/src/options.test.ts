import { describe, expect, it } from 'vitest';
import beads from './index';
import { parseBeadsOptions } from './options';

describe('plugin options', () => {
  it('fills in the defaults', () => {
    expect(parseBeadsOptions(undefined)).toEqual({ actor: 'guild', allOpen: false, allowRun: false, writeBack: 'always', lockRetries: 6 });
    expect(parseBeadsOptions({ labels: ['backend'], types: ['bug', 'task'], assignee: 'alice', writeBack: 'never' })).toMatchObject({
      labels: ['backend'],
      types: ['bug', 'task'],
      assignee: 'alice',
      writeBack: 'never',
    });
  });

  it('rejects unknown options and bad values, naming them, as CONFIG_INVALID', () => {
    expect(() => beads({ lables: ['x'] } as never)).toThrow(/guild:beads: unknown option "lables"; accepted options: bd, actor, labels,/);
    expect(() => beads({ actor: 'two words' })).toThrow('guild:beads: option "actor" must be a name (text without spaces) (got "two words")');
    expect(() => beads({ labels: ['ok', 5] } as never)).toThrow('guild:beads: option "labels.1" must be a name (text without spaces) (got 5)');
    expect(() => beads({ writeBack: 'sometimes' } as never)).toThrow('option "writeBack" must be "always", "with-flag" or "never" (got "sometimes")');
    expect(() => beads({ lockRetries: 99 })).toThrow('option "lockRetries" must be a whole number from 0 to 20 (got 99)');
    expect(() => beads({ allOpen: 'yes' } as never)).toThrow('option "allOpen" must be true or false (got "yes")');
    expect(() => beads('beads' as never)).toThrow(/options must be an object/);
    let caught: unknown;
    try {
      beads({ bd: '' });
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({ name: 'GuildError', code: 'CONFIG_INVALID', message: 'guild:beads: option "bd" must be a path or a command name (got "")' });
  });

  it('makes a plugin named guild:beads', () => {
    expect(beads()).toMatchObject({ name: 'guild:beads', apiVersion: 1 });
  });
});
