import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Where a command is: itself when it is a path (has a `/`), else the first executable of that
 * name in `searchPath` (PATH by default). Undefined when it is not installed.
 */
export function findCommand(command: string, searchPath: string = process.env.PATH ?? ''): string | undefined {
  if (command.includes('/')) return isExecutableFile(command) ? command : undefined;
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir === '') continue;
    const file = path.join(dir, command);
    if (isExecutableFile(file)) return file;
  }
  return undefined;
}

/**
 * The first line `<file> --version` prints (no shell; killed after `timeoutMs`), or undefined
 * when it prints nothing or fails.
 */
export function commandVersion(file: string, timeoutMs = 20_000): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(file, ['--version'], { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      const line = `${stdout}\n${error ? '' : stderr}`.split('\n').map((l) => l.trim()).find((l) => l !== '');
      resolve(line);
    });
  });
}
