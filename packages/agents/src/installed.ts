import { execFile } from 'node:child_process';

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
