import { describe, expect, test } from 'vitest';
import { randomPlan, planOf } from './test-plans.js';

describe('plan graph', () => {
  //   a(2) -> b(3) -> d(1)
  //   a(2) -> c(5) -> d(1)
  //   e(4)
  const plan = planOf([
    { id: 'a', estimate: 2 },
    { id: 'b', estimate: 3, dependsOn: ['a'] },
    { id: 'c', estimate: 5, dependsOn: ['a'] },
    { id: 'd', estimate: 1, dependsOn: ['b', 'c'] },
    { id: 'e', estimate: 4 },
  ]);
  const g = plan.graph;

  test('bottom levels are the longest remaining chain including the task', () => {
    expect(['a', 'b', 'c', 'd', 'e'].map((id) => g.bottomLevel(id))).toEqual([8, 4, 6, 1, 4]);
  });

  test('critical path', () => {
    expect(g.criticalPath()).toEqual({ length: 8, ids: ['a', 'c', 'd'] });
  });

  test('stages group tasks by the length of their longest dependency chain', () => {
    expect(g.stages()).toEqual([['a', 'e'], ['b', 'c'], ['d']]);
  });

  test('successors and predecessors', () => {
    expect(g.successors('a')).toEqual(['b', 'c']);
    expect(g.predecessors('d')).toEqual(['b', 'c']);
  });

  test('reaches follows dependencies transitively and only forwards', () => {
    expect(g.reaches('a', 'd')).toBe(true);
    expect(g.reaches('d', 'a')).toBe(false);
    expect(g.reaches('b', 'c')).toBe(false);
    expect(g.reaches('e', 'd')).toBe(false);
    expect(g.reaches('a', 'a')).toBe(false);
  });

  test('on random plans the order is topological and reaches agrees with a plain search', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const p = randomPlan(seed);
      const pos = new Map(p.graph.order.map((id, i) => [id, i]));
      expect(pos.size).toBe(p.tasks.size);
      for (const t of p.tasks.values()) for (const d of t.dependsOn) expect(pos.get(d)!).toBeLessThan(pos.get(t.id)!);
      const ids = [...p.tasks.keys()];
      const plainReach = (from: string, to: string): boolean => {
        const seen = new Set<string>();
        const stack = [...p.graph.successors(from)];
        while (stack.length) {
          const v = stack.pop()!;
          if (v === to) return true;
          if (!seen.has(v)) {
            seen.add(v);
            stack.push(...p.graph.successors(v));
          }
        }
        return false;
      };
      const pairs: Array<[string, string]> = [];
      for (let k = 0; k < 200; k++) {
        const a = ids[(k * 7 + seed) % ids.length]!;
        const b = ids[(k * 13 + seed * 3) % ids.length]!;
        expect(p.graph.reaches(a, b)).toBe(plainReach(a, b));
        pairs.push([a, b]);
      }
      // the bulk answer agrees with the plain search in both directions
      const bulk = p.graph.orderedPairs(pairs);
      pairs.forEach(([a, b], i) => {
        expect(bulk[i], `${a} ${b}`).toBe(a !== b && (plainReach(a, b) || plainReach(b, a)) ? 1 : 0);
      });
    }
  });
});
