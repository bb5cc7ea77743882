/**
 * Configuration end to end: every config format is found and honoured (seen in the run
 * header's slot count), the search stops at the project root, `-j` wins over config, and
 * plugins named by relative path load, get their options and receive run events.
 */
import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTestdirs, runGuild, testdir, writeFiles } from '@guild/test-utils';

afterAll(removeTestdirs);

const plan = 'tasks:\n  - id: a\n    run: "true"\n';

/** The slot figures of the run header: `N slots (+M for priority 0)`. */
function slotsOf(stdout: string): { slots: number; extra: number } {
  const m = /^guild run \S+: \d+ tasks?, (\d+) slots?(?: \(\+(\d+) for priority 0\))?,/m.exec(stdout);
  if (!m) throw new Error(`no run header in:\n${stdout}`);
  return { slots: Number(m[1]), extra: Number(m[2] ?? 0) };
}

async function slotsWith(files: Record<string, string>, opts: { cwd?: string; args?: string[]; env?: Record<string, string> } = {}) {
  const dir = await testdir(files);
  const cwd = path.join(dir, opts.cwd ?? '.');
  const r = await runGuild(['run', 'plan.yaml', ...(opts.args ?? [])], { cwd, env: opts.env });
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return { ...slotsOf(r.stdout), dir, result: r };
}

/**
 * A preload that makes the `typescript` package impossible to load, by `require` or `import`,
 * so a test can show the CLI loads `.ts` configs without it.
 */
const BLOCK_TYPESCRIPT = `
const Module = require('node:module');
const blocked = (s) => s === 'typescript' || s.startsWith('typescript/');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (blocked(request)) throw Object.assign(new Error('typescript is blocked in this test'), { code: 'MODULE_NOT_FOUND' });
  return resolve.call(this, request, ...rest);
};
Module.register('data:text/javascript,' + encodeURIComponent(
  "export async function resolve(s, c, next) { if (s === 'typescript' || s.startsWith('typescript/')) throw new Error('typescript is blocked in this test'); return next(s, c); }"
));
`;

describe.concurrent('config', () => {
  it('takes concurrency from guild.config.json', async () => {
    expect((await slotsWith({ 'plan.yaml': plan, 'guild.config.json': '{ "concurrency": 3 }' })).slots).toBe(3);
  });

  it('takes concurrency and boost from .guildrc.yaml', async () => {
    const r = await slotsWith({ 'plan.yaml': plan, '.guildrc.yaml': 'concurrency: 4\nboost: 6\n' });
    expect(r).toMatchObject({ slots: 4, extra: 2 });
  });

  it('takes concurrency from the "guild" field of package.json', async () => {
    const pkg = JSON.stringify({ name: 'x', private: true, guild: { concurrency: 6 } });
    expect((await slotsWith({ 'plan.yaml': plan, 'package.json': pkg })).slots).toBe(6);
  });

  it('loads guild.config.ts with esbuild, without the typescript package', async () => {
    const files = {
      'plan.yaml': plan,
      'block-typescript.cjs': BLOCK_TYPESCRIPT,
      'lib/base.mjs': 'export const base = 6;\n',
      'guild.config.ts': [
        "import type { UserConfig } from '@guild/core';",
        "import { base } from './lib/base.mjs';",
        'interface Extra { more: number }',
        'const extra: Extra = { more: 1 };',
        'const config: UserConfig = { concurrency: base + extra.more };',
        'export default config satisfies UserConfig;',
        '',
      ].join('\n'),
    };
    const dir = await testdir(files);
    const env = { NODE_OPTIONS: `--require ${path.join(dir, 'block-typescript.cjs')}` };
    // The block works: typescript (installed in this repo) cannot be loaded either way.
    const probe = spawnSync(
      process.execPath,
      ['-e', "try { require('typescript'); process.exit(3) } catch {} import('typescript').then(() => process.exit(4), () => process.exit(0))"],
      { cwd: process.cwd(), env: { ...process.env, ...env }, encoding: 'utf8' },
    );
    expect(probe.status, probe.stderr).toBe(0);

    const r = await runGuild(['run', 'plan.yaml'], { cwd: dir, env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(slotsOf(r.stdout).slots).toBe(7);
    // The temporary compiled config beside it is gone.
    expect((await readdir(dir)).filter((f) => f.endsWith('.mjs'))).toEqual([]);
  });

  it('lets -j override the config', async () => {
    const r = await slotsWith({ 'plan.yaml': plan, 'guild.config.json': '{ "concurrency": 3 }' }, { args: ['-j', '2'] });
    expect(r.slots).toBe(2);
  });

  it('uses the file given with --config instead of searching', async () => {
    const r = await slotsWith(
      { 'plan.yaml': plan, 'guild.config.json': '{ "concurrency": 3 }', 'conf/ci.yaml': 'concurrency: 9\n' },
      { args: ['--config', 'conf/ci.yaml'] },
    );
    expect(r.slots).toBe(9);
  });

  it('finds config in a parent folder up to the project root', async () => {
    const r = await slotsWith(
      {
        'package.json': '{ "name": "proj", "private": true }',
        'guild.config.json': '{ "concurrency": 3 }',
        'sub/deeper/plan.yaml': plan,
      },
      { cwd: 'sub/deeper' },
    );
    expect(r.slots).toBe(3);
  });

  it('does not look above the project root', async () => {
    const r = await slotsWith(
      {
        'guild.config.json': '{ "concurrency": 9 }',
        'proj/package.json': '{ "name": "proj", "private": true }',
        'proj/sub/plan.yaml': plan,
      },
      { cwd: 'proj/sub' },
    );
    expect(r.slots).toBe(5); // the default
  });

  it('in a repository, the root is the repository\'s, not the nearest package.json', async () => {
    const r = await slotsWith(
      {
        'repo/.git/HEAD': 'ref: refs/heads/main\n',
        'repo/guild.config.json': '{ "concurrency": 3 }',
        'repo/packages/web/package.json': '{ "name": "web", "private": true }',
        'repo/packages/web/plan.yaml': plan,
      },
      { cwd: 'repo/packages/web' },
    );
    expect(r.slots).toBe(3);
  });

  it('a .git folder also marks the project root', async () => {
    const r = await slotsWith(
      { 'guild.config.json': '{ "concurrency": 9 }', 'repo/.git/HEAD': 'ref: refs/heads/main\n', 'repo/plan.yaml': plan },
      { cwd: 'repo' },
    );
    expect(r.slots).toBe(5);
  });
});

/** A plugin that records its options and every event it is sent, beside itself. */
const MY_PLUGIN = `
import { appendFileSync, writeFileSync } from 'node:fs';
export default function myPlugin(options) {
  return {
    name: 'my-plugin',
    apiVersion: 1,
    setup(api) {
      writeFileSync(new URL('./options.json', import.meta.url), JSON.stringify(options ?? null));
      api.onEvent((e) => appendFileSync(new URL('./events.txt', import.meta.url), e.type + (e.id ? ' ' + e.id : '') + '\\n'));
    },
    teardown() {
      appendFileSync(new URL('./events.txt', import.meta.url), 'teardown\\n');
    },
  };
}
`;

describe('retry back-off from config', () => {
  it('uses retry.base / factor / cap from the config file', async () => {
    const dir = await testdir({
      'guild.config.json': '{ "retry": { "base": 0.05, "factor": 1, "cap": 0.05 } }',
      'plan.yaml':
        'tasks:\n  - id: flaky\n    retries: 3\n    run: n=$(cat n 2>/dev/null || echo 0); echo $((n+1)) > n; test $n -ge 2\n',
    });
    const r = await runGuild(['run', 'plan.yaml'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const delays = [...r.stdout.matchAll(/flaky will retry \(attempt \d\) in (\d+)ms/g)].map((m) => Number(m[1]));
    expect(delays).toHaveLength(2);
    for (const d of delays) expect(d).toBeLessThanOrEqual(50);
  });

  it('refuses a retry setting it does not know', async () => {
    const dir = await testdir({ 'guild.config.json': '{ "retry": { "bse": 1 } }', 'plan.yaml': plan });
    const r = await runGuild(['plan', 'plan.yaml'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('guild.config.json');
    expect(r.stderr).toContain('bse');
  });
});

describe.concurrent('plugins from config', () => {
  it('loads "./my-plugin.mjs" from the config file\'s folder and sends it the run\'s events', async () => {
    const dir = await testdir({
      'package.json': '{ "name": "proj", "private": true }',
      'guild.config.json': '{ "plugins": ["./my-plugin.mjs"] }',
      'my-plugin.mjs': MY_PLUGIN,
      // Run from a subfolder: the plugin path is relative to the config, not the current folder.
      'plans/plan.yaml': 'tasks:\n  - id: a\n    run: "true"\n  - id: b\n    run: "true"\n    dependsOn: [a]\n',
    });
    const r = await runGuild(['run', 'plan.yaml'], { cwd: path.join(dir, 'plans') });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await readFile(path.join(dir, 'options.json'), 'utf8')).toBe('null');
    const events = (await readFile(path.join(dir, 'events.txt'), 'utf8')).trimEnd().split('\n');
    expect(events[0]).toBe('run.started');
    expect(events).toEqual(expect.arrayContaining(['task.started a', 'task.finished a', 'task.started b', 'task.finished b']));
    expect(events.indexOf('task.finished a')).toBeLessThan(events.indexOf('task.started b'));
    expect(events.slice(-2)).toEqual(['run.finished', 'teardown']);
  });

  it('adds the commands a plugin registers, with their options, and returns their exit code', async () => {
    const dir = await testdir({
      '.guildrc.json': '{ "plugins": ["./hello-plugin.mjs"] }',
      'hello-plugin.mjs': `
        export default () => ({
          name: 'hello-plugin',
          apiVersion: 1,
          setup(api) {
            api.addCommand({
              name: 'hello <who>',
              description: 'greets',
              options: [{ flags: '--loud', description: 'shout' }],
              action: (args, opts) => {
                process.stdout.write((opts.loud ? 'HELLO ' : 'hello ') + args[0] + '\\n');
                return 3;
              },
            });
          },
        });
      `,
    });
    const r = await runGuild(['hello', 'world', '--loud'], { cwd: dir });
    expect(r.stdout).toBe('HELLO world\n');
    expect(r.code).toBe(3);
    const help = await runGuild(['--help'], { cwd: dir });
    expect(help.code).toBe(0);
    // The help lists plugins' commands too, saying where they come from ...
    expect(help.stdout).toMatch(/\n {2}hello .*\(from /);
    // ... and a config that does not load never breaks it.
    await writeFiles(dir, { '.guildrc.json': '{ "concurrency": "many" }' });
    const broken = await runGuild(['--help'], { cwd: dir });
    expect(broken.code).toBe(0);
    expect(broken.stdout).toContain('\n  run [options] [file]');
    expect(broken.stdout).not.toContain('hello');
  });

  it('passes the options of ["./my-plugin.mjs", { ... }] to the factory', async () => {
    const dir = await testdir({
      '.guildrc.json': '{ "plugins": [["./my-plugin.mjs", { "opt": 1, "name": "x" }]] }',
      'my-plugin.mjs': MY_PLUGIN,
      'plan.yaml': plan,
    });
    const r = await runGuild(['plan', 'plan.yaml'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(await readFile(path.join(dir, 'options.json'), 'utf8'))).toEqual({ opt: 1, name: 'x' });
  });

  it('accepts a plugin object straight from a guild.config.mjs', async () => {
    const dir = await testdir({
      'guild.config.mjs': `import myPlugin from './my-plugin.mjs';\nexport default { concurrency: 2, plugins: [myPlugin({ from: 'mjs' })] };\n`,
      'my-plugin.mjs': MY_PLUGIN,
      'plan.yaml': plan,
    });
    const r = await runGuild(['run', 'plan.yaml'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(slotsOf(r.stdout).slots).toBe(2);
    expect(JSON.parse(await readFile(path.join(dir, 'options.json'), 'utf8'))).toEqual({ from: 'mjs' });
    expect(await readFile(path.join(dir, 'events.txt'), 'utf8')).toContain('task.finished a\n');
  });
});
