import path from 'node:path';
import { definePlugin, type GuildPlugin } from '@guild/core';
import { parseMarkdownOptions, type MarkdownOptions } from './options';
import { markdownSource } from './source';

export { extractPaths } from './extract-paths';
export { parseTaskList } from './task-list';
export type { TaskList, ListedTask, Phase } from './task-list';
export type { ListFormat } from './read-list';
export type { ListWarning } from './problems';
export { toTaskSpecs, buildPrompt } from './specs';
export type { SpecOptions, MarkdownMeta } from './specs';
export { markdownSource } from './source';
export type { MarkdownSource, MarkdownSourceOptions, MarkdownLoad } from './source';
export { tickTask } from './tick';
export type { TickResult } from './tick';
export type { MarkdownOptions } from './options';

/**
 * The `guild:markdown` plugin: registers the `markdown` task source, so `guild plan tasks.md`,
 * `guild run tasks.md` (and `--from tasks.md`) read spec-kit task lists and `[P:Group-x]`
 * checklists. Use as `plugins: ['@guild/markdown']` or with options, e.g.
 * `plugins: [['@guild/markdown', { updateSource: true }]]`.
 *
 * @throws a `CONFIG_INVALID` GuildError, when the factory is called, for an unknown option
 *   (naming it and the accepted ones), a value of the wrong type, or both `run` and `agent`
 */
export default definePlugin((options: MarkdownOptions = {}): GuildPlugin => {
  const parsed = parseMarkdownOptions(options, 'guild:markdown');
  return {
    name: 'guild:markdown',
    apiVersion: 1,
    setup(api) {
      const root = parsed.root === undefined ? api.projectRoot : path.resolve(api.root, parsed.root);
      api.addSource(markdownSource({ ...parsed, root }, api.logger));
    },
  };
});
