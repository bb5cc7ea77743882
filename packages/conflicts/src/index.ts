import { definePlugin, type GuildPlugin } from '@guild/core';
import { LockTable } from './lock-table';
import { parseConflictsOptions, type ConflictsOptions } from './options';

export { LockTable, accessesConflict } from './lock-table';
export type { LockTableOptions } from './lock-table';
export { conflictReport } from './report';
export { ProjectLeases } from './project-lease';
export type { ConflictsOptions, LockMode } from './options';
export type { PathAccess, ResourceAccess } from './paths';

/**
 * The `guild:conflicts` plugin: registers a path- and resource-aware {@link LockTable} as an
 * access control, so the scheduler never starts two tasks whose declared reads and writes
 * (or named resources) conflict. Use as `plugins: ['@guild/conflicts']` or
 * `plugins: [['@guild/conflicts', { mode: 'advisory' }]]`.
 *
 * @throws a `CONFIG_INVALID` GuildError, when the factory is called, for an unknown option
 *   (naming it and the accepted ones) or a mode other than `strict` or `advisory`
 */
export default definePlugin((options: ConflictsOptions = {}): GuildPlugin => {
  const parsed = parseConflictsOptions(options, 'guild:conflicts');
  return {
    name: 'guild:conflicts',
    apiVersion: 1,
    setup(api) {
      api.addAccessControl(new LockTable(parsed));
    },
  };
});
