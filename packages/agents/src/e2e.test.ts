import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FAKE_AGENTS, overlaps, readRecords, removeTestdirs, runGuild, testdir, writeFiles } from '@guild/test-utils';

/*
 * The built plugin in the built `guild` binary, with the fake agent CLIs as the profiles'
 * commands: `pnpm --filter @guild/agents build` (and the CLI's build) must have run.
 */

afterAll(removeTestdirs);

const PLUGIN = fileURLToPath(new URL('../dist/index.js', import.meta.url));

function config(records: string) {
  const env = { FAKE_AGENT_RECORD_DIR: records };
  return {
    concurrency: 4,
    retry: { base: 0.1, cap: 0.2 },
    plugins: [
      [
        PLUGIN,
        {
          profiles: {
            'claude-code': { command: FAKE_AGENTS.claude, env },
            codex: { command: FAKE_AGENTS.codex, env },
            gemini: { command: FAKE_AGENTS.gemini, env },
            release: { extends: 'claude-code', description: 'cuts the release' },
          },
          roles: { tests: 'codex', frontend: 'gemini' },
          neverTogether: [['release', '@writers']],
          // The rate-limited task's extra attempt waits this long (60 s by default).
          backoff: { cooldown: '1s' },
        },
      ],
    ],
  };
}

const PLAN = `
version: 1
tasks:
  - id: schema
    run: mkdir -p db && echo "create table users;" > db/schema.sql
    writes: [db/schema.sql]
  - id: api
    prompt: Implement POST /login in the API server
    writes: [src/api/login.ts]
    dependsOn: [schema]
    env: { FAKE_AGENT_WRITE: "src/api/login.ts:export const login = true;", FAKE_AGENT_DELAY_MS: "300" }
  - id: form
    title: Login form
    prompt: Build the login form React component
    acceptance: [submits on Enter]
    writes: [src/ui/login.tsx]
    env: { FAKE_AGENT_WRITE: "src/ui/login.tsx:export const Form = 1;", FAKE_AGENT_DELAY_MS: "300" }
  - id: cover
    prompt: Raise test coverage of the login flow
    retries: 1
    env: { FAKE_AGENT_MODE: "rate-limit,success", FAKE_AGENT_WRITE: "test/login.test.ts:test('ok');" }
  - id: release
    agent: release
    prompt: Write the changelog entry
    env: { FAKE_AGENT_WRITE: "CHANGELOG.md:## 1.1.0", FAKE_AGENT_DELAY_MS: "300" }
  - id: broken
    agent: claude-code
    prompt: "This one reports an error; $(touch pwned)"
    env: { FAKE_AGENT_MODE: error-result }
`;

describe('guild run with @guild/agents (built) and fake agent CLIs', () => {
  it('runs shell and agent tasks: detection, retries after a rate limit, never-together, the agent\'s own error', async () => {
    expect(existsSync(PLUGIN), `${PLUGIN} is missing: run pnpm --filter @guild/agents build`).toBe(true);
    const dir = await testdir({ 'plan.yaml': PLAN });
    const records = path.join(dir, 'records');
    await writeFiles(dir, { 'guild.config.json': JSON.stringify(config(records), null, 2) });
    const r = await runGuild(['run', 'plan.yaml', '--reporter', 'plain'], { cwd: dir, timeoutMs: 120_000 });
    const out = r.stdout;
    expect(r.code, `${out}\n${r.stderr}`).toBe(1);

    for (const [file, content] of [
      ['db/schema.sql', 'create table users;\n'],
      ['src/api/login.ts', 'export const login = true;'],
      ['src/ui/login.tsx', 'export const Form = 1;'],
      ['test/login.test.ts', "test('ok');"],
      ['CHANGELOG.md', '## 1.1.0'],
    ]) {
      expect(readFileSync(path.join(dir, file!), 'utf8')).toBe(content);
    }
    expect(existsSync(path.join(dir, 'pwned'))).toBe(false);

    expect(out).toMatch(/cover failed in .*codex is rate-limited: You've hit your usage limit/);
    expect(out).toMatch(/cover will retry \(attempt 2\) in 1.0s$/m);
    expect(out).toMatch(/cover succeeded/);
    expect(out).toMatch(/broken failed in .*\(exit 0\): claude-code: API Error: 500 .*Internal server error/);
    expect(out).toMatch(/summary: 5 succeeded, 1 failed/);

    // Detection sent the API task to claude-code (backend role) and the form to gemini (frontend role).
    const runId = /^guild run (\S+):/m.exec(out)![1]!;
    const logs = (id: string) => readFileSync(path.join(dir, '.guild', 'runs', runId, 'logs', `${id}.log`), 'utf8');
    expect(logs('api')).toMatch(/--- guild: attempt 1 at .*: claude-code: /);
    expect(logs('form')).toMatch(/--- guild: attempt 1 at .*: gemini: /);
    expect(logs('cover')).toMatch(/--- guild: attempt 2 at .*: codex: /);

    // The release agent never ran beside an agent that writes code.
    const recs = await readRecords(records);
    const release = recs.get('release')!;
    expect(release).toHaveLength(1);
    for (const [id, runs] of recs) {
      if (id === 'release') continue;
      for (const run of runs) expect(overlaps(release[0]!, run), `release overlapped ${id}`).toBe(false);
    }
  }, 180_000);

  it('guild agents --plan lists the profiles and which tasks each would take', async () => {
    const dir = await testdir({ 'plan.yaml': PLAN });
    await writeFiles(dir, { 'guild.config.json': JSON.stringify(config(path.join(dir, 'records'))) });
    const r = await runGuild(['agents', '--plan', 'plan.yaml', '--json'], { cwd: dir, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { profiles: Array<{ name: string; version: string | null; tasks: Array<{ id: string }> }> };
    const tasks = Object.fromEntries(out.profiles.map((p) => [p.name, p.tasks.map((t) => t.id)]));
    expect(tasks).toEqual({ 'claude-code': ['api', 'broken'], codex: ['cover'], gemini: ['form'], aider: [], release: ['release'] });
    expect(out.profiles.find((p) => p.name === 'codex')!.version).toBe('codex-cli 0.169.0');
  }, 120_000);

  it('bad plugin options stop the CLI with one clear message and exit code 2', async () => {
    const dir = await testdir({
      'plan.yaml': PLAN,
      'guild.config.json': JSON.stringify({ plugins: [[PLUGIN, { profiles: { x: { extends: 'claud-code' } } }]] }),
    });
    const r = await runGuild(['run', 'plan.yaml'], { cwd: dir, timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/option "profiles.x.extends" names no profile \(got "claud-code"\)/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
