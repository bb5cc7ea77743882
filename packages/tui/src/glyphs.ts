/** The characters the monitor draws with, in a Unicode and an ASCII set. */
export interface Glyphs {
  /** Whether only ASCII may be drawn: other characters (in task output too) become `?`. */
  asciiOnly: boolean;
  running: string;
  succeeded: string;
  waiting: string;
  failed: string;
  retrying: string;
  starting: string;
  skipped: string;
  /** A slot with nothing in it yet. */
  idle: string;
  barFull: string;
  barEmpty: string;
  ellipsis: string;
  /** Between the parts of a line. */
  sep: string;
}

/** Marks for terminals that show Unicode. */
export const UNICODE_GLYPHS: Glyphs = {
  asciiOnly: false,
  running: '▶',
  succeeded: '✓',
  waiting: '⏸',
  failed: '✗',
  retrying: '↻',
  starting: '…',
  skipped: '⊘',
  idle: '·',
  barFull: '█',
  barEmpty: '░',
  ellipsis: '…',
  sep: '·',
};

/** Marks for terminals that cannot show Unicode (a C locale, the Linux console). */
export const ASCII_GLYPHS: Glyphs = {
  asciiOnly: true,
  running: '>',
  succeeded: '+',
  waiting: '=',
  failed: 'x',
  retrying: '~',
  starting: '.',
  skipped: '-',
  idle: ' ',
  barFull: '#',
  barEmpty: '-',
  ellipsis: '...',
  sep: '|',
};

/**
 * Whether the terminal can show the Unicode marks: the locale (the first of `LC_ALL`,
 * `LC_CTYPE`, `LANG` that is set, as the C library picks it) names UTF-8, and `TERM` is not
 * the Linux console, whose font lacks most of them.
 */
export function supportsUnicode(env: NodeJS.ProcessEnv): boolean {
  if (env.TERM === 'linux') return false;
  const locale = [env.LC_ALL, env.LC_CTYPE, env.LANG].find((v) => v !== undefined && v !== '') ?? '';
  return /utf-?8/i.test(locale);
}

/** The glyph set for `ascii` (an option forcing ASCII) and the environment. */
export function pickGlyphs(ascii: boolean, env: NodeJS.ProcessEnv): Glyphs {
  return !ascii && supportsUnicode(env) ? UNICODE_GLYPHS : ASCII_GLYPHS;
}
