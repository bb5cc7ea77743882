import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { GuildError } from '@guild/core';

const executable = (file: string): boolean => {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
};

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
    if (executable(file)) return file;
    throw new GuildError('CONFIG_INVALID', `guild:beads: option "bd" is ${JSON.stringify(option)}, but ${file} is not an executable file`);
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir !== '' && executable(path.join(dir, wanted))) return path.join(dir, wanted);
  }
  if (option === undefined) return undefined;
  throw new GuildError('CONFIG_INVALID', `guild:beads: option "bd" is ${JSON.stringify(option)}, which is not a command on PATH; give its path or install beads`);
}
