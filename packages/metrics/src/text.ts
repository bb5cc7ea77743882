import { boundParts, chain, countsText, duration, factor, percent, plural } from './format';
import type { RunMetrics, TaskMetrics } from './types';

/** A run's metrics as `guild metrics` prints them: a summary, then one line per task. */
export function metricsText(m: RunMetrics): string {
  const { measured, estimated } = m.bounds;
  const held = m.conflictsPrevented;
  const rows: Array<[string, string]> = [
    ['wall time', `${duration(m.wall)}${m.sessions > 1 ? ` over ${m.sessions} sessions` : ''}`],
    ['work', `${duration(m.work)} summed over ${plural(m.attempts, 'attempt')}`],
    ['speedup', `${factor(m.speedup)} · efficiency ${percent(m.efficiency)} of ${plural(m.slots, 'slot')}`],
    ['lower bound', `${duration(measured.lowerBound)} measured (${boundParts(measured, m.slots)}) · ${duration(estimated.lowerBound)} estimated`],
    ['makespan/bound', m.makespanRatio === null ? '-' : m.makespanRatio.toFixed(2)],
    ['critical path', `${duration(measured.criticalPath.length)} measured: ${chain(measured.criticalPath.ids)}`],
    [
      'overhead',
      `${duration(m.overhead.total)} (${percent(m.overhead.share)} of wall): idle ${duration(m.overhead.idle)}, finish ${duration(m.overhead.finish)}; startable tasks waited ${duration(m.overhead.dispatch)} in all`,
    ],
    ['waits', `lock ${duration(m.waits.lock)}, agent ${duration(m.waits.agent)}, queue ${duration(m.waits.queue)}`],
    [
      'conflicts',
      `${plural(held.count, 'start')} held back by a lock (${plural(held.tasks, 'task')})` +
        (m.conflicts ? `; ${m.conflicts.pairs} of ${plural(m.conflicts.possible, 'pair')} conflict (${percent(m.conflicts.rate)})` : ''),
    ],
    ['tasks', `${countsText(m) || 'none'} · success ${percent(m.successRate)} · ${plural(m.retries, 'retry', 'retries')}`],
    ['slots', m.utilization.slots.map((s) => `#${s.slot} ${percent(s.utilization)}`).join('  ')],
    ['agents', m.utilization.agents.map((a) => `${a.agent} ${percent(a.utilization)} (${duration(a.busy)})`).join('  ') || '-'],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = [
    `run ${m.runId}: ${m.outcome} · ${plural(m.tasks.length, 'task')} · ${plural(m.slots, 'slot')}${m.boost > m.slots ? ` (boost ${m.boost})` : ''}`,
    '',
    ...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`),
    '',
    ...table([
      ['TASK', 'STATE', 'ATTEMPTS', 'READY', 'START', 'END', 'RAN', 'LOCK WAIT', 'EXIT', 'NOTE'],
      ...m.tasks.map(taskRow),
    ]),
  ];
  return `${lines.join('\n')}\n`;
}

const at = (t: number | undefined) => (t === undefined ? '-' : duration(t));

function taskRow(t: TaskMetrics): string[] {
  const error = t.attempts.at(-1)?.error;
  return [
    t.id,
    t.state,
    String(t.attempts.length),
    at(t.ready),
    at(t.start),
    at(t.end),
    duration(t.busy),
    duration(t.wait.lock),
    t.exitCode === undefined ? '-' : String(t.exitCode),
    t.because ?? error ?? '',
  ];
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}
