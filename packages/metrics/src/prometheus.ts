import type { RunMetrics } from './types';

type Labels = Record<string, string | number>;

/** One metric family: its samples, each a set of labels (besides `run`) and a value. */
interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  labels?: readonly string[];
  samples: ReadonlyArray<readonly [Labels, number]>;
}

/**
 * A run's metrics in the Prometheus text exposition format (version 0.0.4), e.g. for a node
 * exporter's textfile collector or a push gateway. Every sample carries a `run` label; task,
 * slot and agent samples add `task`, `slot` and `agent`. Written with prom-client on a registry
 * of its own, which escapes label values.
 */
export async function toPrometheus(m: RunMetrics): Promise<string> {
  // Loaded here, not at start-up: every guild command loads this plugin, few print Prometheus text.
  const { Counter, Gauge, Registry } = await import('prom-client');
  const registry = new Registry();
  registry.setDefaultLabels({ run: m.runId });
  for (const f of families(m)) {
    const options = { name: f.name, help: f.help, labelNames: [...(f.labels ?? [])], registers: [registry] };
    if (f.type === 'counter') {
      const metric = new Counter(options);
      for (const [labels, value] of f.samples) metric.inc(labels, value);
    } else {
      const metric = new Gauge(options);
      for (const [labels, value] of f.samples) metric.set(labels, value);
    }
  }
  return registry.metrics();
}

const one = (value: number): Family['samples'] => [[{}, value]];

/** One sample per item with a value (`undefined` leaves the item out). */
const per = <T>(items: readonly T[], labels: (item: T) => Labels, value: (item: T) => number | undefined): Family['samples'] =>
  items.flatMap((item) => {
    const v = value(item);
    return v === undefined ? [] : [[labels(item), v] as const];
  });

const gauge = (name: string, help: string, samples: Family['samples'], labels?: readonly string[]): Family => ({
  name,
  help,
  type: 'gauge',
  samples,
  ...(labels ? { labels } : {}),
});

const counter = (name: string, help: string, value: number): Family => ({ name, help, type: 'counter', samples: one(value) });

function families(m: RunMetrics): Family[] {
  const { estimated, measured } = m.bounds;
  const slot = (s: { slot: number }) => ({ slot: s.slot });
  const agent = (a: { agent: string }) => ({ agent: a.agent });
  const task = (t: { id: string }) => ({ task: t.id });
  const list: Family[] = [
    gauge('guild_run_info', 'Always 1; labels say how the run ended.', [[{ outcome: m.outcome }, 1]], ['outcome']),
    gauge('guild_run_wall_seconds', 'Seconds the run took, summed over its sessions.', one(m.wall)),
    gauge('guild_run_work_seconds', 'Seconds tasks ran, summed over every attempt.', one(m.work)),
    gauge('guild_run_speedup', 'Work / wall: how many tasks ran at once on average.', one(m.speedup)),
    gauge('guild_run_efficiency_ratio', 'Speedup / slots: the share of slot time used.', one(m.efficiency)),
    gauge('guild_run_slots', 'Slots for tasks of any priority.', one(m.slots)),
    gauge('guild_run_sessions', 'Drivers that ran the run (1 plus one per resume).', one(m.sessions)),
    gauge(
      'guild_run_critical_path_seconds',
      'Longest dependency chain, by estimates or by measured durations.',
      [
        [{ basis: 'estimated' }, estimated.criticalPath.length],
        [{ basis: 'measured' }, measured.criticalPath.length],
      ],
      ['basis'],
    ),
    gauge(
      'guild_run_lower_bound_seconds',
      'No schedule is shorter: max(critical path, work / slots, busiest exclusive resource).',
      [
        [{ basis: 'estimated' }, estimated.lowerBound],
        [{ basis: 'measured' }, measured.lowerBound],
      ],
      ['basis'],
    ),
    gauge(
      'guild_run_scheduler_overhead_seconds',
      'Time lost to guild: dispatch (task-seconds startable but not started), idle and finish (wall seconds), total.',
      per(['dispatch', 'idle', 'finish', 'total'] as const, (kind) => ({ kind }), (kind) => m.overhead[kind]),
      ['kind'],
    ),
    gauge(
      'guild_run_wait_seconds',
      'Seconds tasks were held back, summed over tasks, by cause.',
      per(['lock', 'agent', 'queue'] as const, (cause) => ({ cause }), (cause) => m.waits[cause]),
      ['cause'],
    ),
    counter('guild_run_conflicts_prevented_total', 'Starts held back by a lock or reservation of another task.', m.conflictsPrevented.count),
    counter('guild_run_attempts_total', 'Attempts started.', m.attempts),
    counter('guild_run_retries_total', 'Attempts granted by the retry policy.', m.retries),
    gauge('guild_run_tasks', 'Tasks by how they ended.', per(Object.entries(m.counts), ([state]) => ({ state }), ([, n]) => n), ['state']),
    gauge('guild_run_success_ratio', 'Succeeded tasks / all tasks.', one(m.successRate)),
    gauge('guild_slot_busy_seconds', 'Seconds the slot ran a task.', per(m.utilization.slots, slot, (s) => s.busy), ['slot']),
    gauge('guild_slot_utilization_ratio', 'Busy seconds / wall seconds of the slot.', per(m.utilization.slots, slot, (s) => s.utilization), ['slot']),
    gauge('guild_agent_busy_seconds', 'Seconds tasks of the runner (agent) ran.', per(m.utilization.agents, agent, (a) => a.busy), ['agent']),
    gauge("guild_agent_utilization_ratio", "The runner's busy seconds / (wall seconds * slots).", per(m.utilization.agents, agent, (a) => a.utilization), ['agent']),
    gauge(
      'guild_task_duration_seconds',
      'Seconds the task ran, summed over its attempts.',
      per(m.tasks, (t) => ({ task: t.id, runner: t.runner, state: t.state }), (t) => t.busy),
      ['task', 'runner', 'state'],
    ),
    gauge('guild_task_lock_wait_seconds', 'Seconds the task waited for locks or reservations of other tasks.', per(m.tasks, task, (t) => t.wait.lock), ['task']),
    gauge('guild_task_attempts', 'Attempts the task started.', per(m.tasks, task, (t) => t.attempts.length), ['task']),
    gauge('guild_task_exit_code', "Exit code of the task's last attempt.", per(m.tasks, task, (t) => t.exitCode), ['task']),
  ];
  if (m.makespanRatio !== null) list.push(gauge('guild_run_makespan_ratio', 'Wall / measured lower bound (1 is a perfect schedule).', one(m.makespanRatio)));
  if (m.conflicts) {
    list.push(
      gauge('guild_run_conflict_pairs', 'Pairs of tasks that conflict and are not ordered by dependencies.', one(m.conflicts.pairs)),
      gauge('guild_run_conflict_rate', 'Conflicting pairs / all pairs of tasks.', one(m.conflicts.rate)),
    );
  }
  return list;
}
