import { Heap } from './heap.js';
import type { Clock } from './types.js';

/** Wall-clock time: `Date.now()` and `setTimeout`. */
export const realClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * Virtual time for simulations and tests: time stands still until {@link VirtualClock.runUntil}
 * advances it to the next timer, after letting every pending promise callback run. The same
 * scheduler code therefore produces a real run and a simulated one.
 */
export class VirtualClock implements Clock {
  private time: number;
  private seq = 0;
  private readonly timers = new Heap<Timer>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  after(ms: number, fn: () => void): () => void {
    const timer: Timer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /**
   * Fires every timer in time order, advancing the clock, until none is left; synchronous, for
   * code that reacts to timers with plain calls (a simulation with synchronous runners).
   */
  runAll(): void {
    for (let t = this.timers.pop(); t; t = this.timers.pop()) {
      if (t.cancelled) continue;
      this.time = t.at;
      t.fn();
    }
  }

  /**
   * Advances time, timer by timer, until `done` settles; returns its value. Throws if nothing
   * is left that could settle it (a stuck simulation), instead of hanging.
   */
  async runUntil<T>(done: Promise<T>): Promise<T> {
    let settled = false;
    const watched = done.finally(() => {
      settled = true;
    });
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (settled) return watched;
      let next = this.timers.pop();
      while (next?.cancelled) next = this.timers.pop();
      if (!next) throw new Error('simulation stuck: nothing is scheduled and the run has not finished');
      this.time = next.at;
      next.fn();
      // Fire everything due at the same instant before yielding, so equal-time events batch.
      while (this.timers.peek() && this.timers.peek()!.at === this.time) {
        const t = this.timers.pop()!;
        if (!t.cancelled) t.fn();
      }
    }
  }
}
