import { createPlan } from './plan.js';
import { seededRandom } from './simulate.js';
import type { Plan, TaskSpec } from './types.js';

/** Builds a plan from terse specs for tests; `run` defaults to `true`. */
export function planOf(specs: Array<Partial<TaskSpec> & { id: string }>, root = '/tmp/guild-test-root'): Plan {
  return createPlan(
    specs.map((s) => ({ run: 'true', ...s })),
    { root },
  );
}

/**
 * A random layered DAG with random estimates, priorities, and exclusive/shared resources that
 * stand in for conflicts. Deterministic for a seed.
 */
export function randomPlan(seed: number, opts: { tasks?: number; resources?: number } = {}): Plan {
  const rnd = seededRandom(seed);
  const n = opts.tasks ?? 10 + Math.floor(rnd() * 60);
  const resources = opts.resources ?? 1 + Math.floor(rnd() * 6);
  const specs: TaskSpec[] = [];
  for (let i = 0; i < n; i++) {
    const deps = new Set<string>();
    if (i > 0) {
      const k = Math.floor(rnd() * 4);
      for (let j = 0; j < k; j++) deps.add(`t${Math.floor(rnd() * i)}`);
    }
    const res: string[] = [];
    if (rnd() < 0.5) {
      const r = `r${Math.floor(rnd() * resources)}`;
      res.push(rnd() < 0.3 ? `${r}:shared` : r);
    }
    specs.push({
      id: `t${i}`,
      run: 'true',
      dependsOn: [...deps],
      resources: res,
      estimate: 1 + Math.floor(rnd() * 20),
      priority: Math.floor(rnd() * 5) as 0 | 1 | 2 | 3 | 4,
    });
  }
  return createPlan(specs, { root: '/tmp/guild-test-root' });
}
