import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { listRuns, runPaths } from '@guild/core';
import { removeTestdirs, runGuild, testdir } from '@guild/test-utils';

afterAll(removeTestdirs);

/** The built plugin, as a config names it (CI builds before testing). */
const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));

const PLAN = `version: 1
tasks:
  - id: migrate
    run: sleep 0.3
    resources: [db]
  - id: seed
    run: "true"
    resources: [db]
  - id: lint
    run: exit 3
  - id: docs
    run: "true"
    dependsOn: [lint]
`;

describe('guild with the built metrics plugin', () => {
  it('writes the metrics and report at run end, and answers guild metrics, report and plan', async () => {
    expect(existsSync(DIST), `${DIST} is missing; build it with pnpm --filter @guild/metrics build`).toBe(true);
    const cwd = await testdir({ 'plan.yaml': PLAN, 'guild.config.json': JSON.stringify({ plugins: [DIST] }) });

    const run = await runGuild(['run', 'plan.yaml', '-j', '2', '--reporter', 'plain'], { cwd });
    expect(run.code, run.stderr).toBe(1);
    const [runId] = listRuns(cwd);
    const paths = runPaths(cwd, runId!);
    const summary = JSON.parse(readFileSync(paths.summary, 'utf8'));
    expect(summary).toMatchObject({ runId, outcome: 'failed', metrics: { runId, outcome: 'failed', slots: 2, attempts: 3 } });
    expect(summary.metrics.conflicts).toEqual({ pairs: 1, possible: 6, rate: 1 / 6 });
    expect(summary.metrics.conflictsPrevented.holds[0]).toMatchObject({ task: 'seed', on: [{ key: 'resource:db', by: 'migrate' }] });
    expect(readFileSync(path.join(paths.dir, 'report.html'), 'utf8')).toContain(`<title>guild run ${runId}</title>`);

    const prom = await runGuild(['metrics', '--format', 'prometheus'], { cwd });
    expect(prom.code, prom.stderr).toBe(0);
    expect(prom.stdout).toContain(`guild_run_tasks{state="failed",run="${runId}"} 1\n`);
    expect(prom.stdout).toContain(`guild_task_exit_code{task="lint",run="${runId}"} 3\n`);

    const text = await runGuild(['metrics', runId!.slice(0, 12).toLowerCase()], { cwd });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^run ${runId}: failed · 4 tasks · 2 slots`));

    const both = await runGuild(['metrics', '--json', '--format', 'prometheus'], { cwd });
    expect(both).toMatchObject({ code: 2, stderr: 'guild: guild metrics takes --json or --format <format>, not both; --json is --format json\n' });
    const unknown = await runGuild(['report', 'NOPE'], { cwd });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(`guild: no run "NOPE" in ${path.join(cwd, '.guild', 'runs')}; "guild runs" lists them\n`);

    const report = await runGuild(['report', '--out', 'out/report.html'], { cwd });
    expect(report).toMatchObject({ code: 0, stdout: `report: ${path.join(cwd, 'out', 'report.html')}\n` });

    const plan = await runGuild(['plan', 'plan.yaml'], { cwd });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('estimates: 2 from history, 2 default');
  }, 90_000);
});
