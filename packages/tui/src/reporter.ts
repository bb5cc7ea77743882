import type { Reporter, ReporterFactory, RunEvent } from '@guild/core';
import type { ResolvedTuiOptions } from './options.js';

/**
 * The `tui` reporter factory: each run it reports gets a live monitor (see `createMonitor`).
 * The monitor (Ink and React) is loaded when a run starts, not when guild starts: most guild
 * commands never draw it. Events that arrive meanwhile are queued and replayed in order.
 */
export function tuiReporter(options: ResolvedTuiOptions): ReporterFactory {
  return {
    name: 'tui',
    interactive: true,
    create(ctx): Reporter {
      const queued: RunEvent[] = [];
      let monitor: Reporter | undefined;
      const ready = import('./monitor.js').then(({ createMonitor }) => {
        monitor = createMonitor(ctx, options);
        for (const e of queued) monitor.onEvent(e);
        queued.length = 0;
      });
      return {
        onEvent: (e) => (monitor ? monitor.onEvent(e) : queued.push(e)),
        close: async (summary) => {
          await ready;
          await monitor!.close(summary);
        },
      };
    },
  };
}
