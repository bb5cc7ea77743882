import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPlan, readEventLog, runPlan, type CommandSpec, type Estimator, type RunEndContext, type SetupApi } from '@guild/core';
import { removeTestdirs, testdir } from '@guild/test-utils';
import metrics, { computeMetrics, historyFile, renderReport, toPrometheus } from './index';
import { reportData } from './report-data';
import { realRun } from './test-support';

afterAll(removeTestdirs);

/** The part of SetupApi the plugin uses; anything else it touches fails loudly. */
function fakeApi(projectRoot: string) {
  const got = {
    estimators: [] as Estimator[],
    runEnd: [] as Array<(run: RunEndContext) => void | Promise<void>>,
    commands: [] as CommandSpec[],
    warnings: [] as string[],
  };
  const target: Partial<SetupApi> = {
    projectRoot,
    logger: { info: () => {}, debug: () => {}, error: () => {}, warn: (m) => got.warnings.push(m) },
    addEstimator: (e) => got.estimators.push(e),
    onRunEnd: (hook) => got.runEnd.push(hook),
    addCommand: (c) => got.commands.push(c),
  };
  const api = new Proxy(target, {
    get(t, key) {
      if (key in t) return t[key as keyof SetupApi];
      throw new Error(`plugin used api.${String(key)}`);
    },
  }) as SetupApi;
  return { api, got };
}

async function setUp(projectRoot: string, options: Parameters<typeof metrics>[0] = {}) {
  const { api, got } = fakeApi(projectRoot);
  const plugin = metrics(options);
  await plugin.setup?.(api);
  return { plugin, got };
}

const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe('guild:metrics plugin', () => {
  it('registers an estimator, a run-end hook and the metrics and report commands', async () => {
    const { plugin, got } = await setUp(await testdir());
    expect(plugin).toMatchObject({ name: 'guild:metrics', apiVersion: 1 });
    expect(got.estimators).toHaveLength(1);
    expect(got.runEnd).toHaveLength(1);
    expect(got.commands.map((c) => c.name)).toEqual(['metrics [run-id]', 'report [run-id]']);
    expect(got.commands[0]!.options!.map((o) => o.flags)).toEqual(['--json', '--format <format>']);
    expect(got.commands[1]!.options!.map((o) => o.flags)).toEqual(['-o, --out <file>']);
  });

  it('adds the metrics to summary.json, writes report.html and learns durations when a run ends', async () => {
    const dir = await testdir();
    const run = await realRun(dir);
    const { got } = await setUp(dir);
    await got.runEnd[0]!(run);

    const summary = JSON.parse(readFileSync(path.join(run.runDir, 'summary.json'), 'utf8'));
    const { metrics: written, ...core } = summary;
    expect(core).toEqual(roundTrip(run.summary));
    const { events } = readEventLog(path.join(run.runDir, 'events.jsonl'));
    const expected = computeMetrics({ events, plan: run.plan, runId: run.runId, conflicts: run.conflicts(), slots: 2, boost: 2 });
    expect(written).toEqual(roundTrip(expected));
    expect(written).toMatchObject({ outcome: 'failed', attempts: 3, counts: { succeeded: 2, failed: 1, skipped: 1 } });
    expect(written.conflictsPrevented.holds).toEqual([expect.objectContaining({ task: 'db-b', on: [{ kind: 'lock', key: 'resource:db', by: 'db-a' }] })]);
    expect(written.conflicts).toEqual({ pairs: 1, possible: 6, rate: 1 / 6 });

    const report = readFileSync(path.join(run.runDir, 'report.html'), 'utf8');
    expect(report).toContain(`<title>guild run ${run.runId}</title>`);
    expect(report).toContain(' · plan.yaml</p>');
    const data = /<script type="application\/json" id="guild-data">(.*?)<\/script>/s.exec(report)![1]!;
    expect(JSON.parse(data)).toEqual(reportData(expected));

    // A new session of guild estimates from what this run learned.
    const next = await setUp(dir);
    const estimate = next.got.estimators[0]!;
    for (const r of run.summary.tasks) {
      const spec = run.plan.tasks.get(r.id)!.spec;
      if (r.state === 'succeeded') expect(estimate(spec)).toBe(Math.round(r.endedAt! - r.startedAt!) / 1000);
      else expect(estimate(spec)).toBeUndefined();
    }
    const plan = createPlan(
      [...run.plan.tasks.values()].map((t) => t.spec),
      { root: dir, history: estimate },
    );
    expect([...plan.tasks.values()].filter((t) => t.estimateFrom === 'history').map((t) => t.id)).toEqual(['db-a', 'db-b']);
    expect(next.got.warnings).toEqual([]);
  });

  it('can leave out the report and the history', async () => {
    const dir = await testdir();
    const run = await realRun(dir);
    const { got } = await setUp(dir, { report: false, history: false });
    expect(got.estimators).toEqual([]);
    await got.runEnd[0]!(run);
    expect(JSON.parse(readFileSync(path.join(run.runDir, 'summary.json'), 'utf8')).metrics.runId).toBe(run.runId);
    expect(existsSync(path.join(run.runDir, 'report.html'))).toBe(false);
    expect(existsSync(historyFile(dir))).toBe(false);
  });

  it('warns once about an unreadable history and starts a new one', async () => {
    const dir = await testdir({ '.guild/history.json': 'not json' });
    const run = await realRun(dir);
    const { got } = await setUp(dir);
    expect(got.estimators[0]!(run.plan.tasks.get('db-a')!.spec)).toBeUndefined();
    await got.runEnd[0]!(run);
    expect(got.warnings).toHaveLength(1);
    expect(got.warnings[0]).toMatch(/history\.json is unreadable \(.+\); starting a new duration history$/);
    expect(Object.keys(JSON.parse(readFileSync(historyFile(dir), 'utf8')).tasks).sort()).toEqual(['db-a', 'db-b']);
  });

  it('keeps the summary when the conflict report fails, saying so', async () => {
    const dir = await testdir();
    const run = await realRun(dir);
    const { got } = await setUp(dir);
    await got.runEnd[0]!({
      ...run,
      conflicts: () => {
        throw new Error('index broke');
      },
    });
    expect(JSON.parse(readFileSync(path.join(run.runDir, 'summary.json'), 'utf8')).metrics.conflicts).toBeNull();
    expect(got.warnings).toEqual(["the conflict report failed (index broke); the run's metrics leave the conflict rate out"]);
  });

  it('leaves a run kept in memory only alone, saying so', async () => {
    const dir = await testdir();
    const plan = createPlan([{ id: 'a', run: 'true' }], { root: dir });
    const { summary, runId, runDir } = await runPlan(plan, { concurrency: 1, projectRoot: dir, store: false });
    const { got } = await setUp(dir);
    await got.runEnd[0]!({ runId, runDir, projectRoot: dir, plan, summary, conflicts: () => [], slots: 1, boost: 1 });
    expect(got.warnings).toEqual([`run ${runId} has no event log (${path.join(runDir, 'events.jsonl')}); no metrics, report or history for it`]);
    expect(readdirSync(runDir)).toEqual(['logs']);
    expect(existsSync(historyFile(dir))).toBe(false);
  });

  it('rejects bad options, naming them and the accepted ones', () => {
    const accepted = 'accepted options: report (true or false), history (true or false), historyDepth (a whole number of at least 1), historyLimit (a whole number of at least 1)';
    expect(() => metrics({ reprot: false } as never)).toThrow(`guild:metrics: unknown option "reprot"; ${accepted}`);
    expect(() => metrics({ historyDepth: 0 })).toThrow('guild:metrics: option "historyDepth" must be a whole number of at least 1 (got 0)');
    expect(() => metrics({ report: 'yes' } as never)).toThrow('guild:metrics: option "report" must be true or false (got "yes")');
    expect(() => metrics([] as never)).toThrow(`guild:metrics: options must be an object such as { report: false } (got an array); ${accepted}`);
    expect(() => metrics({ historyLimit: 1.5 })).toThrow(expect.objectContaining({ name: 'GuildError', code: 'CONFIG_INVALID' }));
    expect(metrics(undefined).name).toBe('guild:metrics');
  });

  it('exports the library API', async () => {
    const run = await realRun(await testdir());
    const m = computeMetrics({ events: readEventLog(path.join(run.runDir, 'events.jsonl')).events, plan: run.plan });
    expect(await toPrometheus(m)).toContain(`guild_run_attempts_total{run="${run.runId}"} 3`);
    expect(renderReport(m)).toMatch(/^<!doctype html>/);
  });
});
