/**
 * A plan mixing shell and agent tasks, run by the `guild` binary with its bundled plugins in a
 * git repository, in both isolation modes. The agent CLIs are the fake ones from test-utils
 * (they speak the real CLIs' output formats and edit files as asked).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FAKE_AGENTS, GIT_TEST_ENV, git, gitRepo, removeTestdirs, runGuild } from '@guild/test-utils';

afterAll(removeTestdirs);

const CONFIG = JSON.stringify({
  plugins: [
    [
      '@guild/agents',
      {
        profiles: { 'claude-code': { command: FAKE_AGENTS.claude }, codex: { command: FAKE_AGENTS.codex } },
        roles: { frontend: 'codex' },
      },
    ],
  ],
});

const PLAN = `
version: 1
tasks:
  - id: setup
    run: mkdir -p build && echo ready > build/setup.txt
    writes: [build/setup.txt]
  - id: api
    title: Login API
    prompt: Implement the login API endpoint.
    writes: [src/api.ts]
    dependsOn: [setup]
    env: { FAKE_AGENT_WRITE: "src/api.ts:export const login = 1;" }
  - id: form
    title: Login form
    prompt: Build the login form React component.
    writes: [src/form.tsx]
    dependsOn: [setup]
    env: { FAKE_AGENT_WRITE: "src/form.tsx:export const Form = 2;" }
  - id: check
    run: cat src/api.ts src/form.tsx > build/check.txt
    reads: [src]
    writes: [build/check.txt]
    dependsOn: [api, form]
`;

async function repo(): Promise<string> {
  return gitRepo({ 'guild.config.json': CONFIG, 'plan.yaml': PLAN, '.gitignore': '.guild/\n', 'src/app.ts': '// app\n' });
}

describe.concurrent('a plan of shell and agent tasks', () => {
  for (const isolation of ['shared', 'worktree'] as const) {
    it(`runs with --isolation ${isolation}: agents detected, work in the project at the end`, async () => {
      const dir = await repo();
      const r = await runGuild(['run', 'plan.yaml', '--isolation', isolation, '--reporter', 'plain'], {
        cwd: dir,
        env: GIT_TEST_ENV,
        timeoutMs: 120_000,
      });
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/summary: 4 succeeded/);
      // The agents wrote their files, and the last shell task saw both.
      expect(readFileSync(path.join(dir, 'build/check.txt'), 'utf8')).toBe('export const login = 1;export const Form = 2;');
      const summary = JSON.parse(readFileSync(path.join(dir, '.guild/runs', /guild run (\S+):/.exec(r.stdout)![1]!, 'summary.json'), 'utf8')) as {
        metrics: { tasks: Array<{ id: string; runner: string }> };
      };
      const runners = Object.fromEntries(summary.metrics.tasks.map((t) => [t.id, t.runner]));
      expect(runners).toMatchObject({ setup: 'shell', check: 'shell' });
      expect(runners.api).not.toBe('shell');
      expect(runners.form).not.toBe('shell');
      if (isolation === 'worktree') {
        // Each writing task landed as its own commit, and main was fast-forwarded to the result.
        const log = git(dir, 'log', '--format=%s', 'main');
        for (const id of ['setup', 'api', 'form', 'check']) expect(log).toContain(`guild: ${id} (run `);
        expect(git(dir, 'status', '--porcelain')).toBe('');
      } else {
        expect(git(dir, 'log', '--format=%s', 'main').trim().split('\n')).toEqual(['initial']);
      }
    }, 150_000);
  }
});
