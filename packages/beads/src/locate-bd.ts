import path from 'node:path';
import { GuildError, findCommand, isExecutableFile } from '@guild/core';

/**
 * The `bd` executable to use: the `bd` option (a path, relative to `configRoot`, or a command
 * name looked up on PATH), else `bd` on PATH. Returns `undefined` when no option was given and
 * there is no `bd` on PATH (guild then reads `.beads/issues.jsonl`). Throws a `CONFIG_INVALID`
 * GuildError when the option names something that is not there.
 */
export function locateBd(option: string | undefined, configRoot: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const wanted = option ?? 'bd';
  if (wanted.includes('/')) {
    const file = path.resolve(configRoot, wanted);
    if (isExecutableFile(file)) return file;
    throw new GuildError('CONFIG_INVALID', `guild:beads: option "bd" is ${JSON.stringify(option)}, but ${file} is not an executable file`);
  }
  const found = findCommand(wanted, env.PATH ?? '');
  if (found !== undefined || option === undefined) return found;
  throw new GuildError('CONFIG_INVALID', `guild:beads: option "bd" is ${JSON.stringify(option)}, which is not a command on PATH; give its path or install beads`);
}
