import { definePlugin, type GuildPlugin } from '@guild/core';
import { parseTuiOptions, type TuiOptions } from './options.js';
import { tuiReporter } from './reporter.js';

export { tuiReporter } from './reporter.js';
export { parseTuiOptions } from './options.js';
export type { TuiOptions, ResolvedTuiOptions } from './options.js';

/**
 * The `guild:tui` plugin: adds the `tui` reporter, the live terminal monitor, which
 * `guild run` picks by default when stdout is a terminal (not in CI, `TERM` not `dumb`).
 * Use as `plugins: ['@guild/tui']` or `plugins: [['@guild/tui', { ascii: true }]]`.
 *
 * @throws a `CONFIG_INVALID` GuildError, when the factory is called, for an unknown option or
 *   a value of the wrong kind, naming it and the accepted options
 */
export default definePlugin((options: TuiOptions = {}): GuildPlugin => {
  const reporter = tuiReporter(parseTuiOptions(options, 'guild:tui'));
  return {
    name: 'guild:tui',
    apiVersion: 1,
    setup(api) {
      api.addReporter(reporter);
    },
  };
});
