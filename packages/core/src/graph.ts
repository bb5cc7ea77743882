import type { PlanGraph, Seconds } from './types.js';

/**
 * The dependency graph over dense integer indexes, so plans of 100,000 tasks stay cheap.
 * Built by {@link buildGraph}; cycles must have been ruled out by {@link findCycle} first.
 */
class IndexedGraph implements PlanGraph {
  readonly order: readonly string[];
  private readonly index = new Map<string, number>();
  private readonly position: Int32Array;
  private readonly bottom: Float64Array;
  private readonly depth: Int32Array;
  private readonly visitMark: Int32Array;
  private visitGeneration = 0;

  constructor(
    private readonly ids: readonly string[],
    private readonly preds: readonly number[][],
    private readonly succs: readonly number[][],
    estimates: readonly Seconds[],
  ) {
    const n = ids.length;
    ids.forEach((id, i) => this.index.set(id, i));
    const topo = topologicalOrder(preds, succs);
    this.order = topo.map((i) => ids[i]!);
    this.position = new Int32Array(n);
    topo.forEach((v, pos) => (this.position[v] = pos));
    this.bottom = new Float64Array(n);
    for (let k = n - 1; k >= 0; k--) {
      const v = topo[k]!;
      let best = 0;
      for (const s of succs[v]!) if (this.bottom[s]! > best) best = this.bottom[s]!;
      this.bottom[v] = estimates[v]! + best;
    }
    this.depth = new Int32Array(n);
    for (const v of topo) {
      let d = 0;
      for (const p of preds[v]!) if (this.depth[p]! + 1 > d) d = this.depth[p]! + 1;
      this.depth[v] = d;
    }
    this.visitMark = new Int32Array(n);
  }

  private at(id: string): number {
    const i = this.index.get(id);
    if (i === undefined) throw new Error(`unknown task id: ${id}`);
    return i;
  }

  predecessors(id: string): readonly string[] {
    return this.preds[this.at(id)]!.map((i) => this.ids[i]!);
  }

  successors(id: string): readonly string[] {
    return this.succs[this.at(id)]!.map((i) => this.ids[i]!);
  }

  /** Number of direct dependents, without allocating. */
  successorCount(id: string): number {
    return this.succs[this.at(id)]!.length;
  }

  bottomLevel(id: string): Seconds {
    return this.bottom[this.at(id)]!;
  }

  criticalPath(): { length: Seconds; ids: string[] } {
    let v = -1;
    for (let i = 0; i < this.ids.length; i++) {
      if (this.preds[i]!.length === 0 && (v < 0 || this.bottom[i]! > this.bottom[v]!)) v = i;
    }
    if (v < 0) return { length: 0, ids: [] };
    const length = this.bottom[v]!;
    const path: string[] = [];
    while (v >= 0) {
      path.push(this.ids[v]!);
      let next = -1;
      for (const s of this.succs[v]!) if (next < 0 || this.bottom[s]! > this.bottom[next]!) next = s;
      v = next;
    }
    return { length, ids: path };
  }

  stages(): string[][] {
    const stages: string[][] = [];
    for (const id of this.order) {
      const d = this.depth[this.index.get(id)!]!;
      (stages[d] ??= []).push(id);
    }
    return stages;
  }

  /** Stage number of a task (0 for tasks without dependencies). */
  stageOf(id: string): number {
    return this.depth[this.at(id)]!;
  }

  orderedPairs(pairs: ReadonlyArray<readonly [string, string]>): Uint8Array {
    // Bit-parallel reachability: the later task (in topological order) of every pair gets a
    // bit, 32 to a batch; one reverse-topological sweep per batch computes, for each task in the
    // batch's span, the mask of batch targets it reaches. Typed arrays only, no walk per pair.
    const n = this.ids.length;
    const m = pairs.length;
    const earlier = new Int32Array(m);
    const later = new Int32Array(m);
    for (let i = 0; i < m; i++) {
      const x = this.position[this.at(pairs[i]![0])]!;
      const y = this.position[this.at(pairs[i]![1])]!;
      earlier[i] = Math.min(x, y);
      later[i] = Math.max(x, y);
    }
    // successors by topological position, as compressed rows
    const byPos = new Int32Array(n);
    for (let v = 0; v < n; v++) byPos[this.position[v]!] = v;
    const rowStart = new Int32Array(n + 1);
    for (let k = 0; k < n; k++) rowStart[k + 1] = rowStart[k]! + this.succs[byPos[k]!]!.length;
    const adj = new Int32Array(rowStart[n]!);
    for (let k = 0; k < n; k++) {
      let o = rowStart[k]!;
      for (const s of this.succs[byPos[k]!]!) adj[o++] = this.position[s]!;
    }
    const isTarget = new Uint8Array(n);
    for (let i = 0; i < m; i++) isTarget[later[i]!] = 1;
    const batchOf = new Int32Array(n).fill(-1);
    const bit = new Int32Array(n);
    const lastOfBatch: number[] = [];
    let t = 0;
    for (let k = 0; k < n; k++) {
      if (!isTarget[k]) continue;
      batchOf[k] = t >> 5;
      bit[k] = 1 << (t & 31);
      lastOfBatch[t >> 5] = k;
      t++;
    }
    const batches = lastOfBatch.length;
    const start = new Int32Array(batches + 1);
    for (let i = 0; i < m; i++) start[batchOf[later[i]!]! + 1]!++;
    for (let b = 0; b < batches; b++) start[b + 1] = start[b + 1]! + start[b]!;
    const queue = new Int32Array(m);
    const fill = start.slice();
    for (let i = 0; i < m; i++) queue[fill[batchOf[later[i]!]!]!++] = i;
    const mask = new Int32Array(n);
    const out = new Uint8Array(m);
    for (let b = 0; b < batches; b++) {
      const hi = lastOfBatch[b]!;
      let lo = hi;
      for (let j = start[b]!; j < start[b + 1]!; j++) lo = Math.min(lo, earlier[queue[j]!]!);
      for (let k = hi; k >= lo; k--) {
        let r = 0;
        for (let e = rowStart[k]!, end = rowStart[k + 1]!; e < end; e++) {
          const s = adj[e]!;
          if (s <= hi) {
            r |= mask[s]!;
            if (batchOf[s] === b) r |= bit[s]!;
          }
        }
        mask[k] = r;
      }
      for (let j = start[b]!; j < start[b + 1]!; j++) {
        const i = queue[j]!;
        out[i] = (mask[earlier[i]!]! & bit[later[i]!]!) !== 0 ? 1 : 0;
      }
    }
    return out;
  }

  reaches(from: string, to: string): boolean {
    const a = this.at(from);
    const b = this.at(to);
    if (a === b) return false;
    const limit = this.position[b]!;
    if (this.position[a]! >= limit) return false;
    // A depth-first walk that never goes past `to` in topological order: anything later cannot lead to it.
    const gen = ++this.visitGeneration;
    const stack = [a];
    while (stack.length > 0) {
      const v = stack.pop()!;
      for (const s of this.succs[v]!) {
        if (s === b) return true;
        if (this.visitMark[s] !== gen && this.position[s]! < limit) {
          this.visitMark[s] = gen;
          stack.push(s);
        }
      }
    }
    return false;
  }
}

/** Kahn's algorithm; ties keep declaration order within each wave. */
function topologicalOrder(preds: readonly number[][], succs: readonly number[][]): number[] {
  const n = preds.length;
  const remaining = new Int32Array(n);
  const order: number[] = [];
  for (let i = 0; i < n; i++) {
    remaining[i] = preds[i]!.length;
    if (remaining[i] === 0) order.push(i);
  }
  for (let k = 0; k < order.length; k++) {
    for (const s of succs[order[k]!]!) if (--remaining[s]! === 0) order.push(s);
  }
  return order;
}

/**
 * Finds a dependency cycle, if any, as a list of indexes `[a, b, c]` meaning a depends on b,
 * b on c, c on a. Iterative, so deep chains cannot overflow the stack.
 */
export function findCycle(preds: readonly number[][]): number[] | undefined {
  const n = preds.length;
  const state = new Uint8Array(n); // 0 new, 1 on the current path, 2 done
  for (let root = 0; root < n; root++) {
    if (state[root] !== 0) continue;
    const stack: number[] = [root];
    const cursor: number[] = [0];
    state[root] = 1;
    while (stack.length > 0) {
      const v = stack[stack.length - 1]!;
      const k = cursor[cursor.length - 1]!;
      const deps = preds[v]!;
      if (k < deps.length) {
        cursor[cursor.length - 1] = k + 1;
        const w = deps[k]!;
        if (state[w] === 1) {
          const start = stack.indexOf(w);
          return stack.slice(start);
        }
        if (state[w] === 0) {
          state[w] = 1;
          stack.push(w);
          cursor.push(0);
        }
      } else {
        state[v] = 2;
        stack.pop();
        cursor.pop();
      }
    }
  }
  return undefined;
}

/**
 * Builds the plan graph. `deps[i]` lists the indexes task i depends on; the graph must be
 * acyclic (check with {@link findCycle}).
 */
export function buildGraph(ids: readonly string[], deps: readonly number[][], estimates: readonly Seconds[]) {
  const succs: number[][] = ids.map(() => []);
  deps.forEach((ds, i) => {
    for (const d of ds) succs[d]!.push(i);
  });
  return new IndexedGraph(ids, deps, succs, estimates);
}

/** The graph type {@link buildGraph} returns: a {@link PlanGraph} with a few cheap extras. */
export type Graph = ReturnType<typeof buildGraph>;
