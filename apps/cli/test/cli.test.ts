/** The binary itself: version and help. */
import { readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTestdirs, runGuild, testdir } from '@guild/test-utils';

afterAll(removeTestdirs);

describe.concurrent('guild', () => {
  it('--version prints the package version', async () => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = await runGuild(['--version'], { cwd: await testdir() });
    expect(r).toMatchObject({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('--help lists the commands and exits 0', async () => {
    const r = await runGuild(['--help'], { cwd: await testdir() });
    expect(r.code).toBe(0);
    for (const usage of [
      'plan [options] [file]',
      'run [options] [file]',
      'conflicts [options] [file]',
      'status [options] [run-id]',
      'runs [options]',
      'logs [options] <run-id> <task-id>',
      'pause [run-id]',
      'resume [run-id]',
      'serialize [run-id]',
      'abort [run-id]',
    ]) {
      expect(r.stdout).toContain(`\n  ${usage} `);
    }
  });

  it('run --help documents -j, --boost and --fail-fast', async () => {
    const r = await runGuild(['run', '--help'], { cwd: await testdir() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('-j, --concurrency <n>');
    expect(r.stdout).toContain('--boost <n>');
    expect(r.stdout).toContain('--fail-fast');
  });
});
