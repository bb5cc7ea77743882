/** What the key line shows: the usual hints, the help overlay, or the abort question. */
export type KeyMode = 'normal' | 'help' | 'confirm-abort';

/** What a key asks the run to do. `interrupt` is Ctrl-C: guild's own SIGINT handling. */
export type KeyAction = 'pause' | 'resume' | 'serialize' | 'abort' | 'interrupt';

/** The result of one key: the next mode and, maybe, an action. */
export interface KeyResult {
  mode: KeyMode;
  action?: KeyAction;
}

const CTRL_C = '\x03';
const ESC = '\x1b';

/**
 * Splits what the terminal sent into keys: single characters, or whole escape sequences
 * (arrows, function keys) so their bytes are not taken for letters.
 */
export function splitKeys(data: string): string[] {
  const keys: string[] = [];
  // eslint-disable-next-line no-control-regex
  const re = /\x1b\[[0-?]*[ -/]*[@-~]|\x1bO.|\x1b.?|[\s\S]/gu;
  for (const m of data.matchAll(re)) keys.push(m[0]);
  return keys;
}

/**
 * What `key` does in `mode`. `p` pause, `r` resume, `s` serialize, `a` asks whether to abort
 * (`y` confirms, anything else declines), `?` or `h` opens the help, which any key closes
 * (an action key also acts). Ctrl-C always interrupts.
 */
export function interpretKey(mode: KeyMode, key: string): KeyResult {
  if (key === CTRL_C) return { mode: 'normal', action: 'interrupt' };
  if (mode === 'confirm-abort') return key === 'y' || key === 'Y' ? { mode: 'normal', action: 'abort' } : { mode: 'normal' };
  if (mode === 'help' && (key === '?' || key === 'h' || key === 'q' || key === ESC)) return { mode: 'normal' };
  switch (key) {
    case 'p':
      return { mode: 'normal', action: 'pause' };
    case 'r':
      return { mode: 'normal', action: 'resume' };
    case 's':
      return { mode: 'normal', action: 'serialize' };
    case 'a':
      return { mode: 'confirm-abort' };
    case '?':
    case 'h':
      return { mode: 'help' };
    default:
      return { mode: 'normal' };
  }
}
