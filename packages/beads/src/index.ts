import { definePlugin, type GuildPlugin } from '@guild/core';
import { BdClient } from './bd-client';
import { claimingRunner } from './claiming-runner';
import { fileCommand } from './file-command';
import { locateBd } from './locate-bd';
import { parseBeadsOptions, type BeadsOptions } from './options';
import { beadsSource } from './source';
import { BeadsTracker } from './tracker';

export { BdClient, BdError, type BdClientOptions } from './bd-client';
export {
  readyIssues,
  openIssues,
  showIssue,
  claimIssue,
  closeIssue,
  reopenIssue,
  commentOn,
  createIssue,
  type IssueFilters,
  type ClaimOutcome,
  type NewIssue,
} from './bd-commands';
export { BLOCKING_TYPES, type BdIssue, type BdShownIssue } from './bd-schema';
export { issueToSpec, type BeadsTaskMeta, type MappingOptions } from './mapping';
export { BeadsTracker, claimsIssue, type AttemptInfo, type TrackerOptions } from './tracker';
export { claimingRunner } from './claiming-runner';
export { beadsSource, type BeadsSourceOptions } from './source';
export { readIssuesJsonl, findBeadsDir } from './jsonl';
export type { BeadsOptions, ResolvedBeadsOptions } from './options';

/**
 * The `guild:beads` plugin: beads issues as tasks (`guild run beads`, `--from beads`, with
 * `--all-open` or `beads:all-open` for every open issue), claimed before they start, closed when
 * they succeed, reopened with a note when they fail; `guild beads file <title>` files new work
 * found on the way. Without `bd` on PATH it reads `.beads/issues.jsonl` and changes nothing.
 * Use as `plugins: ['@guild/beads']` or `plugins: [['@guild/beads', { labels: ['backend'] }]]`.
 *
 * @throws a `CONFIG_INVALID` GuildError, when the factory is called, for an unknown option or a
 *   bad value (naming it and what was expected)
 */
export default definePlugin((options: BeadsOptions = {}): GuildPlugin => {
  const opts = parseBeadsOptions(options);
  return {
    name: 'guild:beads',
    apiVersion: 1,
    setup(api) {
      let client: BdClient | null | undefined;
      // Located once, on first use: `guild status` and friends never look for bd.
      const bd = async (cwd = api.projectRoot): Promise<BdClient | undefined> => {
        if (client === undefined) {
          const bin = locateBd(opts.bd, api.root);
          client = bin === undefined ? null : new BdClient({ bin, cwd, lockRetries: opts.lockRetries });
        }
        return client ?? undefined;
      };
      const tracker = new BeadsTracker({ actor: opts.actor, projectRoot: api.projectRoot, logger: api.logger, bd: () => bd() });
      api.addSource(beadsSource({ options: opts, logger: api.logger, bd, tracker }));
      api.onEvent(tracker.onEvent);
      // Claims must come before a task starts, so they ride on the runners (see claimingRunner).
      api.wrapRunners((runner) => claimingRunner(runner, tracker));
      api.onRunEnd(() => tracker.releaseAll());
      api.addCommand(fileCommand({ bd: () => bd(), actor: opts.actor }));
    },
  };
});
