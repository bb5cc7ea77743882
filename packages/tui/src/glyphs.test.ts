import { describe, expect, it } from 'vitest';
import { ASCII_GLYPHS, UNICODE_GLYPHS, pickGlyphs, supportsUnicode } from './glyphs';

describe('supportsUnicode', () => {
  it('follows the locale the C library would use: LC_ALL, then LC_CTYPE, then LANG', () => {
    expect(supportsUnicode({ LANG: 'C.UTF-8', TERM: 'xterm-256color' })).toBe(true);
    expect(supportsUnicode({ LANG: 'en_US.utf8' })).toBe(true);
    expect(supportsUnicode({ LANG: 'C' })).toBe(false);
    expect(supportsUnicode({})).toBe(false);
    expect(supportsUnicode({ LC_ALL: 'C', LANG: 'en_US.UTF-8' })).toBe(false);
    expect(supportsUnicode({ LC_CTYPE: 'de_DE.UTF-8', LANG: 'C' })).toBe(true);
    expect(supportsUnicode({ LC_ALL: '', LC_CTYPE: '', LANG: 'C.UTF-8' })).toBe(true);
  });

  it('says no on the Linux console, whatever the locale', () => {
    expect(supportsUnicode({ LANG: 'C.UTF-8', TERM: 'linux' })).toBe(false);
  });
});

describe('pickGlyphs', () => {
  it('uses Unicode marks where they show, ASCII otherwise or when asked', () => {
    expect(pickGlyphs(false, { LANG: 'C.UTF-8' })).toBe(UNICODE_GLYPHS);
    expect(pickGlyphs(false, { LANG: 'C' })).toBe(ASCII_GLYPHS);
    expect(pickGlyphs(true, { LANG: 'C.UTF-8' })).toBe(ASCII_GLYPHS);
  });

  it('has the documented marks, and an ASCII set that is all ASCII', () => {
    const { running, succeeded, waiting, failed, retrying, starting } = UNICODE_GLYPHS;
    expect([running, succeeded, waiting, failed, retrying, starting]).toEqual(['▶', '✓', '⏸', '✗', '↻', '…']);
    const ascii = ASCII_GLYPHS;
    expect([ascii.running, ascii.succeeded, ascii.waiting, ascii.failed, ascii.retrying, ascii.starting]).toEqual([
      '>',
      '+',
      '=',
      'x',
      '~',
      '.',
    ]);
    expect([ascii.barFull, ascii.barEmpty]).toEqual(['#', '-']);
    for (const value of Object.values(ASCII_GLYPHS)) {
      if (typeof value === 'string') expect(value).toMatch(/^[\x20-\x7e]*$/);
    }
  });
});
