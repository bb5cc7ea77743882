import path from 'node:path';
import { readEventLog, summaryLine, type Reporter, type ReporterContext, type RunSummary, type Seconds } from '@guild/core';
import { render, type Instance } from 'ink';
import { createElement } from 'react';
import { estimateRemaining } from './eta.js';
import { pickGlyphs, type Glyphs } from './glyphs.js';
import { interpretKey, splitKeys, type KeyAction, type KeyMode } from './keys.js';
import { headerLine, layoutFrame, type Line, type Usage } from './layout.js';
import { LogTails } from './log-tail.js';
import type { ResolvedTuiOptions } from './options.js';
import { GroupSampler } from './proc-sample.js';
import { applyEvent, createMonitorState, type MonitorState, type PrintedLine } from './state.js';
import { readKeys, routeWrites } from './terminal.js';
import { textWidth } from './text.js';
import { MonitorView } from './view.js';

/** A frame's identity: its text and styles, so an unchanged frame is not drawn again. */
const frameKey = (lines: readonly Line[]) => lines.map((l) => l.map((s) => `${s.style ?? ''}\u0001${s.text}`).join('\u0002')).join('\n');

/**
 * The live monitor for one run (see the package README): an Ink app drawn on `ctx.stdout`,
 * redrawn at most `maxFps` times a second and only when something changed, with keys from
 * `ctx.stdin` when it is a terminal. `env` decides Unicode or ASCII and colour (`NO_COLOR`).
 */
export function createMonitor(ctx: ReporterContext, options: ResolvedTuiOptions, env: NodeJS.ProcessEnv = process.env): Reporter {
  return new Monitor(ctx, options, env);
}

class Monitor implements Reporter {
  private readonly state: MonitorState;
  private readonly glyphs: Glyphs;
  private readonly color: boolean;
  private readonly tails: LogTails;
  private readonly sampler = GroupSampler.supported() ? new GroupSampler() : undefined;
  private ink: Instance;
  private readonly timer: NodeJS.Timeout;
  private readonly stopKeys: (() => void) | undefined;
  private stopRouting: (() => void) | undefined;
  /** The current Ink instance's stderr writer. */
  private writeStderr: ((data: string) => void) | undefined;
  private mode: KeyMode = 'normal';
  private usage: Usage | undefined;
  private eta: Seconds | undefined;
  private second = -1;
  /** The first printed line the current Ink instance has in its `<Static>`. */
  private printedFrom = 0;
  private printedCount = -1;
  private printed: readonly PrintedLine[] = [];
  private drawn: { key: string; height: number; columns: number } = { key: '', height: 0, columns: 0 };
  private dirty = true;
  private closed = false;

  constructor(
    private readonly ctx: ReporterContext,
    options: ResolvedTuiOptions,
    env: NodeJS.ProcessEnv,
  ) {
    this.state = createMonitorState(ctx);
    if (ctx.resumed) this.replayEarlierSessions();
    this.glyphs = pickGlyphs(options.ascii, env);
    this.color = env.NO_COLOR === undefined || env.NO_COLOR === '';
    this.tails = new LogTails(ctx.logDir);
    // Before Ink's own listener, so a shrink is handled here before Ink redraws the old frame.
    ctx.stdout.on('resize', this.onResize);
    this.stopKeys = ctx.stdin?.isTTY ? readKeys(ctx.stdin, (data) => this.onKeys(data)) : undefined;
    this.ink = this.mount();
    this.timer = setInterval(() => this.tick(), Math.round(1000 / options.maxFps));
    this.timer.unref();
  }

  onEvent(event: Parameters<Reporter['onEvent']>[0]): void {
    applyEvent(this.state, event);
    this.dirty = true;
  }

  async close(summary: RunSummary): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.ctx.stdout.off('resize', this.onResize);
    this.stopKeys?.();
    this.stopRouting?.();
    // The last frame: the run's figures and the summary, below every printed line.
    const final: Line[] = [
      headerLine({ state: this.state, now: Date.now(), columns: this.columns(), glyphs: this.glyphs, eta: undefined }),
      [{ text: summaryLine(summary, this.glyphs.sep), style: 'bold' }],
    ];
    this.ink.rerender(this.element(final, true));
    const exited = this.ink.waitUntilExit();
    this.ink.unmount();
    await exited;
  }

  private mount(): Instance {
    const frame = this.frame();
    this.drawn = { key: frameKey(frame), height: frame.length, columns: this.columns() };
    return render(this.element(frame), {
      stdout: this.ctx.stdout,
      ...(this.ctx.stdin ? { stdin: this.ctx.stdin } : {}),
      // Ctrl-C belongs to guild: it stops the run gracefully, and only then does the monitor close.
      exitOnCtrlC: false,
    });
  }

  /**
   * A narrower terminal re-wraps the live area's lines (most terminals reflow), so erasing the
   * old frame line by line would leave pieces of it behind; a shorter one cannot hold it. Then
   * the screen is cleared and drawn afresh by a new Ink instance: the printed lines that fit
   * above the frame, and the frame.
   */
  private readonly onResize = () => {
    if (this.closed) return;
    const rows = this.ctx.stdout.rows || 24;
    if (this.columns() < this.drawn.columns || this.drawn.height >= rows) {
      this.writeStderr = undefined;
      this.ink.unmount();
      this.ctx.stdout.write('\x1b[H\x1b[2J');
      this.printedFrom = this.lastPrintedThatFit(rows - Math.min(rows - 1, this.frame().length) - 1);
      this.printedCount = -1;
      this.ink = this.mount();
      return;
    }
    this.dirty = true;
    this.draw();
  };

  /** The index of the first printed line such that it and all after it fit in `rows` rows. */
  private lastPrintedThatFit(rows: number): number {
    const columns = this.columns();
    let used = 0;
    let i = this.state.lines.length;
    while (i > this.printedFrom) {
      const line = this.state.lines[i - 1]!;
      used += Math.max(1, Math.ceil((textWidth(line.text) + 2) / columns));
      if (used > rows) break;
      i--;
    }
    return i;
  }

  private columns(): number {
    return this.ctx.stdout.columns || 80;
  }

  /** Runs at the frame rate: follows logs, and once a second samples usage and the ETA. */
  private tick(): void {
    const now = Date.now();
    const running = [...this.state.active].filter((id) => this.state.tasks.get(id)!.state === 'running');
    if (this.tails.poll(running, now)) this.dirty = true;
    const second = Math.floor((now - (this.state.startedAt ?? now)) / 1000);
    if (second !== this.second) {
      this.second = second;
      this.sampleUsage(running, now);
      this.eta = estimateRemaining(this.state, now);
      this.dirty = true;
    }
    this.draw();
  }

  private sampleUsage(running: readonly string[], now: number): void {
    const groups = new Set<number>();
    for (const id of running) {
      const pid = this.state.tasks.get(id)!.pid;
      if (pid !== undefined) groups.add(pid);
    }
    this.usage = this.sampler && groups.size > 0 ? this.sampler.sample(groups, now) : undefined;
  }

  private frame(): Line[] {
    return layoutFrame({
      state: this.state,
      now: Date.now(),
      columns: this.columns(),
      rows: this.ctx.stdout.rows || 24,
      glyphs: this.glyphs,
      tails: this.tails.tails,
      usage: this.usage,
      eta: this.eta,
      mode: this.mode,
      keys: this.stopKeys !== undefined,
    });
  }

  private draw(): void {
    if (!this.dirty || this.closed) return;
    this.dirty = false;
    const frame = this.frame();
    const key = frameKey(frame);
    if (key === this.drawn.key && this.printedCount === this.state.lines.length) return;
    this.drawn = { key, height: frame.length, columns: this.columns() };
    this.ink.rerender(this.element(frame));
  }

  private element(frame: readonly Line[], wrap = false) {
    // Ink's <Static> prints the lines it has not seen; it notices new ones by a new array.
    if (this.printedCount !== this.state.lines.length) {
      this.printed = this.state.lines.slice(this.printedFrom);
      this.printedCount = this.state.lines.length;
    }
    return createElement(MonitorView, {
      printed: this.printed,
      frame,
      wrap,
      glyphs: this.glyphs,
      color: this.color,
      onStderr: this.onStderr,
    });
  }

  private readonly onStderr = (write: (data: string) => void) => {
    this.writeStderr = write;
    if (this.stopRouting || this.closed || !process.stderr.isTTY) return;
    const writer = () => (this.closed ? undefined : this.writeStderr);
    this.stopRouting = routeWrites(process.stderr, (data) => writer()?.(data), () => writer() !== undefined);
  };

  private onKeys(data: string): void {
    for (const key of splitKeys(data)) {
      const result = interpretKey(this.mode, key);
      this.mode = result.mode;
      if (result.action) this.act(result.action);
    }
    this.dirty = true;
    this.draw();
  }

  private act(action: KeyAction): void {
    const control = this.ctx.control;
    switch (action) {
      case 'pause':
        return control.pause();
      case 'resume':
        return control.resume();
      case 'serialize':
        return control.serialize();
      case 'abort':
        return control.abort(this.state.aborting ? 'now' : 'graceful');
      case 'interrupt':
        // Raw mode turned Ctrl-C into a byte; raise the signal guild's own handler waits for.
        process.kill(process.pid, 'SIGINT');
        return;
    }
  }

  /** A resumed run: what earlier sessions finished counts as done. */
  private replayEarlierSessions(): void {
    try {
      for (const e of readEventLog(path.join(this.ctx.runDir, 'events.jsonl')).events) applyEvent(this.state, e, true);
    } catch {
      // A damaged log: the run itself reports it; the monitor starts from nothing.
    }
  }
}
