/**
 * Text as a terminal shows it: task output made safe to print inside the monitor, display
 * widths (wide CJK and emoji take two columns, combining marks none) and truncation to a width.
 */

// CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), DCS/SOS/PM/APC strings (ESC P|X|^|_ ... ST),
// then any other escape (ESC, optional intermediates, one final byte).
const ESCAPES =
  // eslint-disable-next-line no-control-regex
  /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[PX^_][^\x1b]*(?:\x1b\\)?|\x1b[ -/]*[0-~]?/g;
// C0 and C1 controls (tab and carriage return are handled before), DEL, and the bidirectional
// overrides and isolates, which would reorder the rest of the monitor's line.
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

/**
 * One line of a task's output as it would look in a terminal, safe to draw: escape sequences
 * and control characters removed, tabs turned into spaces, and for a line redrawn with carriage
 * returns (progress bars) only its last non-empty version. Returns the result trimmed.
 */
export function sanitizeLine(raw: string): string {
  const noEscapes = raw.replace(ESCAPES, '');
  const versions = noEscapes.split('\r');
  let text = '';
  for (let i = versions.length - 1; i >= 0; i--) {
    if (versions[i]!.trim() !== '') {
      text = versions[i]!;
      break;
    }
  }
  return text.replace(/\t/g, '  ').replace(CONTROLS, '').trim();
}

// Ranges of East Asian Wide and Fullwidth characters and of emoji shown two columns wide.
const WIDE: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x23e9, 0x23ec],
  [0x23f0, 0x23f0],
  [0x23f3, 0x23f3],
  [0x25fd, 0x25fe],
  [0x2614, 0x2615],
  [0x2648, 0x2653],
  [0x267f, 0x267f],
  [0x2693, 0x2693],
  [0x26a1, 0x26a1],
  [0x26aa, 0x26ab],
  [0x26bd, 0x26be],
  [0x26c4, 0x26c5],
  [0x26ce, 0x26ce],
  [0x26d4, 0x26d4],
  [0x26ea, 0x26ea],
  [0x26f2, 0x26f3],
  [0x26f5, 0x26f5],
  [0x26fa, 0x26fa],
  [0x26fd, 0x26fd],
  [0x2705, 0x2705],
  [0x270a, 0x270b],
  [0x2728, 0x2728],
  [0x274c, 0x274c],
  [0x274e, 0x274e],
  [0x2753, 0x2755],
  [0x2757, 0x2757],
  [0x2795, 0x2797],
  [0x27b0, 0x27b0],
  [0x27bf, 0x27bf],
  [0x2b1b, 0x2b1c],
  [0x2b50, 0x2b50],
  [0x2b55, 0x2b55],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f004, 0x1f004],
  [0x1f0cf, 0x1f0cf],
  [0x1f18e, 0x1f18e],
  [0x1f191, 0x1f19a],
  [0x1f200, 0x1f251],
  [0x1f300, 0x1f64f],
  [0x1f680, 0x1f6ff],
  [0x1f7e0, 0x1f7eb],
  [0x1f90c, 0x1f9ff],
  [0x1fa70, 0x1faff],
  [0x20000, 0x2fffd],
  [0x30000, 0x3fffd],
];

const COMBINING = /^[\p{Mn}\p{Me}]$/u;

/** Zero-width spaces and joiners, directional marks, word joiners and variation selectors. */
const isFormat = (cp: number) =>
  (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef);

/** Columns one code point takes: 0 (combining marks, joiners, variation selectors), 1 or 2. */
export function charWidth(char: string): 0 | 1 | 2 {
  const cp = char.codePointAt(0) ?? 0;
  if (cp < 0x300) return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ? 0 : 1;
  if (isFormat(cp) || COMBINING.test(char)) return 0;
  let lo = 0;
  let hi = WIDE.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [from, to] = WIDE[mid]!;
    if (cp < from) hi = mid - 1;
    else if (cp > to) lo = mid + 1;
    else return 2;
  }
  return 1;
}

/** Columns `text` takes in a terminal. */
export function textWidth(text: string): number {
  let width = 0;
  for (const char of text) width += charWidth(char);
  return width;
}

/**
 * `text` cut to at most `width` columns, ending in `ellipsis` when something was cut. Never
 * splits a wide character: a cut that would leave half of one drops it.
 */
export function truncate(text: string, width: number, ellipsis: string): string {
  if (textWidth(text) <= width) return text;
  const room = width - textWidth(ellipsis);
  if (room < 0) return ellipsis.slice(0, Math.max(0, width));
  let out = '';
  let used = 0;
  for (const char of text) {
    const w = charWidth(char);
    if (used + w > room) break;
    out += char;
    used += w;
  }
  return out + ellipsis;
}

/** `text` padded with spaces on the right (or left, for `align: 'right'`) to `width` columns. */
export function pad(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const fill = ' '.repeat(Math.max(0, width - textWidth(text)));
  return align === 'left' ? text + fill : fill + text;
}

/** `text` with every character outside printable ASCII replaced by `?` (wide ones by `??`, keeping widths). */
export function toAscii(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code >= 0x20 && code < 0x7f) out += char;
    else out += '?'.repeat(charWidth(char));
  }
  return out;
}
