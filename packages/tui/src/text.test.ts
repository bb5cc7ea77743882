import { describe, expect, it } from 'vitest';
import { charWidth, pad, sanitizeLine, textWidth, toAscii, truncate } from './text';

describe('sanitizeLine', () => {
  it('strips colours, cursor moves, OSC hyperlinks and titles', () => {
    expect(sanitizeLine('\x1b[32m✓ 112 passed\x1b[0m')).toBe('✓ 112 passed');
    expect(sanitizeLine('\x1b[2K\x1b[1Gbuilding \x1b[1;31mnow')).toBe('building now');
    expect(sanitizeLine('see \x1b]8;;https://x.dev\x07the docs\x1b]8;;\x07 here')).toBe('see the docs here');
    expect(sanitizeLine('\x1b]0;window title\x1b\\done')).toBe('done');
    expect(sanitizeLine('\x1b(Bplain\x1b7\x1b8')).toBe('plain');
  });

  it('keeps the last version of a line redrawn with carriage returns', () => {
    expect(sanitizeLine('10%\r50%\r100%')).toBe('100%');
    expect(sanitizeLine('downloading 3/3\r   \r')).toBe('downloading 3/3');
  });

  it('removes control characters and bidirectional overrides, turns tabs into spaces', () => {
    expect(sanitizeLine('a\x00b\x07c\x7fd\x9be')).toBe('abcde');
    expect(sanitizeLine('name\tvalue')).toBe('name  value');
    expect(sanitizeLine('safe \u202Eevil\u202C text')).toBe('safe evil text');
    expect(sanitizeLine('  padded  ')).toBe('padded');
  });
});

describe('textWidth and charWidth', () => {
  it('counts wide CJK and emoji as two columns, combining marks as none', () => {
    expect(textWidth('abc')).toBe(3);
    expect(textWidth('日本語')).toBe(6);
    expect(textWidth('ok 🚀')).toBe(5);
    expect(textWidth('e\u0301')).toBe(1);
    expect(charWidth('\u200d')).toBe(0);
  });

  it('counts the monitor marks as one column', () => {
    for (const mark of ['▶', '✓', '⏸', '✗', '↻', '…', '⊘', '·', '█', '░']) expect(charWidth(mark)).toBe(1);
  });
});

describe('truncate and pad', () => {
  it('cuts to the width with an ellipsis, only when needed', () => {
    expect(truncate('abcdef', 6, '…')).toBe('abcdef');
    expect(truncate('abcdefg', 6, '…')).toBe('abcde…');
    expect(truncate('abcdefg', 6, '...')).toBe('abc...');
    expect(truncate('abc', 0, '…')).toBe('');
  });

  it('never leaves half a wide character', () => {
    const cut = truncate('日本語テキスト', 6, '…');
    expect(cut).toBe('日本…');
    expect(textWidth(cut)).toBeLessThanOrEqual(6);
  });

  it('pads by display width', () => {
    expect(pad('日本', 6)).toBe('日本  ');
    expect(pad('7s', 5, 'right')).toBe('   7s');
  });
});

describe('toAscii', () => {
  it('replaces what is not printable ASCII, keeping widths', () => {
    expect(toAscii('✓ 112 passed')).toBe('? 112 passed');
    expect(toAscii('日本')).toBe('????');
    expect(toAscii('plain text')).toBe('plain text');
  });
});
