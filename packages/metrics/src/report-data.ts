import type { RunMetrics } from './types';

/**
 * What the report's script draws, in compact rows so a 1,000-task run stays small. Times are
 * run-time seconds rounded to the millisecond; task fields refer to tasks by index.
 */
export interface ReportData {
  wall: number;
  slots: number;
  lanes: number;
  /** id, title, runner, state, start (null if it never ran), ran seconds, lock wait, exit code, note. */
  tasks: Array<[string, string, string, string, number | null, number, number, number | null, string | null]>;
  /** task, attempt, slot (0 if unknown), start, end, outcome, exit code, error. */
  attempts: Array<[number, number, number, number, number, string, number | null, string | null]>;
  /** task, the attempt that followed (0 if none), from, to, kind, what held it back. */
  waits: Array<[number, number, number, number, 'lock' | 'agent', string]>;
}

const ms = (t: number): number => Math.round(t * 1000) / 1000;

/** The rows of {@link ReportData} for a run's metrics. */
export function reportData(m: RunMetrics): ReportData {
  const data: ReportData = { wall: ms(m.wall), slots: m.slots, lanes: m.lanes, tasks: [], attempts: [], waits: [] };
  m.tasks.forEach((t, i) => {
    const last = t.attempts.at(-1);
    data.tasks.push([
      t.id,
      t.title,
      t.runner,
      t.state,
      t.start === undefined ? null : ms(t.start),
      ms(t.busy),
      ms(t.wait.lock),
      t.exitCode ?? null,
      t.because ?? last?.error ?? null,
    ]);
    for (const a of t.attempts) {
      data.attempts.push([i, a.attempt, a.slot ?? 0, ms(a.start), ms(a.end), a.outcome, a.exitCode ?? null, a.error ?? null]);
    }
    for (const w of t.waits) {
      const next = t.attempts.find((a) => a.start >= w.to);
      data.waits.push([i, next?.attempt ?? 0, ms(w.from), ms(w.to), w.kind, w.on.join('; ')]);
    }
  });
  return data;
}
