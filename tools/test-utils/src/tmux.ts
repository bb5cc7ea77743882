/**
 * A real terminal for tests: a tmux server on a private socket running one command in one
 * pane, whose screen a test reads (`capture-pane`), types into, and resizes.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

let sessions = 0;

/** Options for {@link TmuxSession.start}. */
export interface TmuxOptions {
  /** A shell command line, run with `/bin/sh -c` in `cwd`. Prefix `exec` to make it the pane's process. */
  command: string;
  cwd: string;
  /** Columns (default 120). */
  width?: number;
  /** Rows (default 30). */
  height?: number;
}

/** How much of the pane {@link TmuxSession.capture} returns, and how. */
export interface CaptureOptions {
  /** Keep colours and attributes as escape sequences (`capture-pane -e`). */
  escapes?: boolean;
  /** Include the scrollback above the visible screen. */
  history?: boolean;
}

/**
 * One tmux server with one session. The pane stays after its command exits (`remain-on-exit`),
 * so the last screen can still be read; {@link kill} ends the server and everything in it.
 */
export class TmuxSession {
  /** The server's socket file, removed by {@link kill}. */
  private socketPath = '';

  private constructor(readonly socket: string) {}

  /** Starts a detached server and session running `options.command`. Throws if tmux cannot start. */
  static start(options: TmuxOptions): TmuxSession {
    const socket = `guild-test-${process.pid}-${++sessions}-${Date.now().toString(36)}`;
    const session = new TmuxSession(socket);
    const size = ['-x', String(options.width ?? 120), '-y', String(options.height ?? 30)];
    // Options are set before the session exists, so even a command that exits at once leaves its pane.
    session.tmux(
      'start-server', ';',
      'set-option', '-g', 'remain-on-exit', 'on', ';',
      'new-session', '-d', '-s', 'main', ...size, '-c', options.cwd, '/bin/sh', '-c', options.command,
    );
    session.socketPath = session.format('#{socket_path}');
    return session;
  }

  /** Runs a tmux command on this server and returns its output. */
  tmux(...args: string[]): string {
    const env = { ...process.env };
    delete env.TMUX;
    return execFileSync('tmux', ['-u', '-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8', env });
  }

  /** The pane's screen (and, with `history`, its scrollback) as text, one line per row. */
  capture(options: CaptureOptions = {}): string {
    return this.tmux('capture-pane', '-p', '-t', 'main', ...(options.escapes ? ['-e'] : []), ...(options.history ? ['-S', '-'] : []));
  }

  /**
   * Polls the screen until `check` accepts it and returns that screen. Rejects after
   * `timeoutMs` (default 20 s) naming `what` and showing the last screen.
   */
  async waitFor(
    what: string,
    check: (screen: string) => boolean,
    options: CaptureOptions & { timeoutMs?: number } = {},
  ): Promise<string> {
    const deadline = Date.now() + (options.timeoutMs ?? 20_000);
    for (;;) {
      const screen = this.capture(options);
      if (check(screen)) return screen;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}; the pane shows:\n${screen}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Sends keys by tmux name (`C-c`, `Enter`, `Escape`) or as single characters (`p`). */
  sendKeys(...keys: string[]): void {
    this.tmux('send-keys', '-t', 'main', ...keys);
  }

  /** Resizes the window (and its one pane). */
  resize(width: number, height: number): void {
    this.tmux('resize-window', '-t', 'main', '-x', String(width), '-y', String(height));
  }

  /** A tmux format for the pane, e.g. `#{pane_pid}`, `#{cursor_flag}`, `#{pane_dead_status}`. */
  format(format: string): string {
    return this.tmux('display-message', '-p', '-t', 'main', format).trim();
  }

  /** The pid of the pane's process (the command itself when it was started with `exec`). */
  panePid(): number {
    return Number(this.format('#{pane_pid}'));
  }

  /** The exit status of the pane's command, or `undefined` while it runs. */
  exitStatus(): number | undefined {
    return this.format('#{pane_dead}') === '1' ? Number(this.format('#{pane_dead_status}')) : undefined;
  }

  /** Ends the server and everything running in it, and removes its socket. Safe to call more than once. */
  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
    if (this.socketPath) rmSync(this.socketPath, { force: true });
  }
}
