import { describe, expect, it } from 'vitest';
import { computeMetrics } from './compute';
import { toPrometheus } from './prometheus';
import { handRun, simulatedRun } from './test-support';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"/y;
const VALUE = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]Inf|NaN)$/;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Reads the text exposition format strictly: every line is a HELP, a TYPE or a sample of the
 * family they announced; names and label names use the allowed characters; label values are
 * quoted with only \\, \" and \n escaped; every family is announced once. Throws on anything else.
 */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const types = new Map<string, string>();
  const helped = new Set<string>();
  const samples: Sample[] = [];
  let family: string | undefined;
  expect(text.endsWith('\n')).toBe(true);
  for (const [i, line] of text.split('\n').entries()) {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    if (line === '') continue;
    const help = /^# HELP (\S+) (.*)$/.exec(line);
    if (help) {
      expect(help[1], where).toMatch(NAME);
      expect(helped.has(help[1]!), `${where} announces ${help[1]} again`).toBe(false);
      expect(help[2], where).not.toMatch(/\n/);
      helped.add(help[1]!);
      family = help[1];
      continue;
    }
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      expect(type[1], `${where} follows the HELP of ${family}`).toBe(family);
      types.set(type[1]!, type[2]!);
      continue;
    }
    const m = /^([^{\s]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    expect(m, `${where} is not a sample`).not.toBeNull();
    const [, name, labelText = '', value] = m!;
    expect(name, where).toMatch(NAME);
    expect(name, `${where} belongs to the family announced before it`).toBe(family);
    expect(types.has(name!), `${where} has a TYPE line`).toBe(true);
    expect(value, where).toMatch(VALUE);
    const labels: Record<string, string> = {};
    LABEL.lastIndex = 0;
    while (LABEL.lastIndex < labelText.length) {
      const at = LABEL.lastIndex;
      const l = LABEL.exec(labelText);
      expect(l, `${where}: bad label at ${labelText.slice(at)}`).not.toBeNull();
      labels[l![1]!] = l![2]!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
      if (labelText[LABEL.lastIndex] === ',') LABEL.lastIndex++;
    }
    samples.push({ name: name!, labels, value: Number(value) });
  }
  return { samples, types };
}

describe('toPrometheus', () => {
  it('writes valid text exposition carrying the run metrics', async () => {
    const run = await handRun();
    const m = computeMetrics({ events: run.events, plan: run.plan, conflicts: run.conflicts });
    const { samples, types } = parseExposition(await toPrometheus(m));
    const value = (name: string, labels: Record<string, string> = {}) =>
      samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).map((s) => s.value);

    expect(samples.every((s) => s.labels.run === m.runId)).toBe(true);
    expect(value('guild_run_wall_seconds')).toEqual([m.wall]);
    expect(value('guild_run_work_seconds')).toEqual([m.work]);
    expect(value('guild_run_speedup')).toEqual([m.speedup]);
    expect(value('guild_run_efficiency_ratio')).toEqual([m.efficiency]);
    expect(value('guild_run_lower_bound_seconds', { basis: 'measured' })).toEqual([m.bounds.measured.lowerBound]);
    expect(value('guild_run_lower_bound_seconds', { basis: 'estimated' })).toEqual([m.bounds.estimated.lowerBound]);
    expect(value('guild_run_makespan_ratio')).toEqual([m.makespanRatio]);
    expect(value('guild_run_conflicts_prevented_total')).toEqual([m.conflictsPrevented.count]);
    expect(value('guild_run_conflict_rate')).toEqual([m.conflicts!.rate]);
    expect(value('guild_run_retries_total')).toEqual([m.retries]);
    expect(value('guild_run_success_ratio')).toEqual([m.successRate]);
    expect(value('guild_run_tasks', { state: 'skipped' })).toEqual([m.counts.skipped]);
    expect(value('guild_run_info', { outcome: m.outcome })).toEqual([1]);
    expect(value('guild_slot_utilization_ratio')).toEqual(m.utilization.slots.map((s) => s.utilization));
    expect(value('guild_agent_busy_seconds', { agent: 'shell' })).toEqual([m.work]);
    for (const t of m.tasks) {
      expect(value('guild_task_duration_seconds', { task: t.id, runner: t.runner, state: t.state })).toEqual([t.busy]);
      expect(value('guild_task_lock_wait_seconds', { task: t.id })).toEqual([t.wait.lock]);
      expect(value('guild_task_attempts', { task: t.id })).toEqual([t.attempts.length]);
      expect(value('guild_task_exit_code', { task: t.id })).toEqual(t.exitCode === undefined ? [] : [t.exitCode]);
    }
    expect(types.get('guild_run_retries_total')).toBe('counter');
    expect(types.get('guild_run_wall_seconds')).toBe('gauge');
  });

  it('escapes quotes, backslashes and newlines in label values', async () => {
    const id = 'say "hi" \\ to\nall';
    const run = await simulatedRun([{ id, estimate: 1 }], 1);
    const text = await toPrometheus(computeMetrics({ events: run.events, plan: run.plan }));
    expect(text).toContain('guild_task_lock_wait_seconds{task="say \\"hi\\" \\\\ to\\nall",run="simulation"} 0\n');
    const { samples } = parseExposition(text);
    expect(samples.filter((s) => s.name === 'guild_task_attempts').map((s) => s.labels.task)).toEqual([id]);
  });

  it('is checked by a reader that refuses malformed text', () => {
    const ok = '# HELP a_b x\n# TYPE a_b gauge\na_b{t="q\\"x"} 1\n';
    expect(parseExposition(ok).samples).toEqual([{ name: 'a_b', labels: { t: 'q"x' }, value: 1 }]);
    for (const bad of [
      '# HELP a_b x\n# TYPE a_b gauge\na_b{t="q"x"} 1\n',
      '# HELP a_b x\n# TYPE a_b gauge\na-b 1\n',
      '# HELP a_b x\na_b 1\n',
      '# HELP a_b x\n# TYPE a_b gauge\na_b one\n',
      '# HELP a_b x\n# TYPE a_b gauge\nc_d 1\n',
    ]) {
      expect(() => parseExposition(bad), bad).toThrow();
    }
  });

  it('leaves out what a run read back without a conflict report cannot say', async () => {
    const run = await handRun();
    const { samples } = parseExposition(await toPrometheus(computeMetrics({ events: [], plan: run.plan })));
    const names = new Set(samples.map((s) => s.name));
    expect(names.has('guild_run_conflict_rate')).toBe(false);
    expect(names.has('guild_run_makespan_ratio')).toBe(false);
    expect(names.has('guild_run_wall_seconds')).toBe(true);
  });
});
