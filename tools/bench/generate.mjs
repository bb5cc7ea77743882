// Plan generators for the benchmarks. Every generator is seeded, so the same seed gives the
// same plan on every machine. They return plain task specs (what a plan file's `tasks:` holds).
import { prng } from './lib.mjs';

/**
 * The scheduler-overhead plan: a layered random DAG. `tasks` tasks in `layers` equal layers;
 * every task past the first layer depends on 1-5 (about 3) tasks of earlier layers, mostly
 * the previous few (how far back is geometric); each task writes one file drawn uniformly
 * from `files` files, so about tasks/files writers share each file; estimates are random
 * with a long tail (1 s to 10 min).
 */
export function layeredPlan({ tasks = 100_000, layers = 100, files = 10_000, seed = 1 } = {}) {
  const r = prng(seed);
  const perLayer = Math.ceil(tasks / layers);
  const specs = [];
  let deps = 0;
  for (let i = 0; i < tasks; i++) {
    const layer = Math.floor(i / perLayer);
    const spec = { id: `t${i}`, run: 'true', estimate: Math.max(1, Math.round(Math.exp(Math.log(30) + r.normal()))) };
    if (layer > 0) {
      const want = r.int(1, 5);
      const set = new Set();
      for (let k = 0; k < want; k++) {
        const back = 1 + r.geometric(0.5); // 1 layer back half the time, 2 a quarter, ...
        const l = Math.max(0, layer - back);
        set.add(`t${l * perLayer + r.int(0, perLayer - 1)}`);
      }
      spec.dependsOn = [...set];
      deps += set.size;
    }
    const f = r.int(0, files - 1);
    spec.writes = [`src/m${f % 100}/f${f}.ts`];
    specs.push(spec);
  }
  return { specs, stats: { tasks, layers, files, meanDeps: deps / tasks } };
}

/** A long-tailed estimate in seconds: log-normal, median 20 s, about 1 in 100 over 4 minutes. */
function estimate(r) {
  const s = Math.exp(Math.log(20) + 1.1 * r.normal());
  return Math.min(3600, Math.max(0.5, Math.round(s * 10) / 10));
}

const SHARED_FILES = ['package.json', 'src/index.ts', 'pnpm-lock.yaml', 'src/routes.ts'];

/**
 * Gives every task its own file, and a few of them shared files and named resources, so
 * the scheduler has real conflicts to respect: 8% also write one of 4 shared files, 5% need
 * the exclusive resource `db`, 3% the port `port-3000`, 4% read `config/` which 2% write into.
 */
function addAccesses(specs, shape, r) {
  for (const spec of specs) {
    spec.writes = [`src/${shape}/${spec.id}.ts`];
    const roll = r();
    if (roll < 0.08) spec.writes.push(r.pick(SHARED_FILES));
    else if (roll < 0.1) spec.writes.push(`config/${spec.id}.json`);
    else if (roll < 0.14) spec.reads = ['config'];
    const res = r();
    if (res < 0.05) spec.resources = ['db'];
    else if (res < 0.08) spec.resources = ['port-3000'];
  }
  return specs;
}

const task = (id, r, dependsOn = []) => ({
  id,
  run: 'true',
  estimate: estimate(r),
  ...(dependsOn.length > 0 ? { dependsOn: [...new Set(dependsOn)] } : {}),
});

/** Layers of random width; each task depends on 1-3 tasks of the previous one or two layers. */
function layered(n, r) {
  const layerCount = r.int(4, 12);
  const layers = Array.from({ length: layerCount }, () => []);
  const specs = [];
  for (let i = 0; i < n; i++) {
    // Every layer gets at least one task; the rest land at random.
    const l = i < layerCount ? i : r.int(0, layerCount - 1);
    layers[l].push(`L${i}`);
  }
  layers.forEach((ids, l) => {
    for (const id of ids) {
      const deps = [];
      if (l > 0) {
        const k = r.int(1, 3);
        for (let j = 0; j < k; j++) {
          const from = l >= 2 && r() < 0.3 ? layers[l - 2] : layers[l - 1];
          deps.push(r.pick(from));
        }
      }
      specs.push(task(id, r, deps));
    }
  });
  return specs;
}

/** Fan-out / fan-in: a hub fans out to 5-40 branches (1-3 tasks long) that join into the next hub. */
function fanOutIn(n, r) {
  const specs = [];
  let hub = 'F0';
  specs.push(task(hub, r));
  let i = 1;
  while (i < n) {
    const width = Math.min(r.int(5, 40), n - i);
    const ends = [];
    for (let b = 0; b < width && i < n; b++) {
      let prev = hub;
      const len = r.int(1, 3);
      for (let k = 0; k < len && i < n; k++) {
        const id = `F${i++}`;
        specs.push(task(id, r, [prev]));
        prev = id;
      }
      ends.push(prev);
    }
    if (i >= n) break;
    hub = `F${i++}`;
    specs.push(task(hub, r, ends));
  }
  return specs;
}

/** 2-6 long chains; a third of the chain links grow a side branch of 1-4 tasks, half of which rejoin the chain. */
function chains(n, r) {
  const specs = [];
  const count = r.int(2, 6);
  const heads = Array.from({ length: count }, () => undefined);
  const pendingJoin = Array.from({ length: count }, () => []);
  let i = 0;
  while (i < n) {
    const c = r.int(0, count - 1);
    const id = `C${i++}`;
    const deps = heads[c] ? [heads[c], ...pendingJoin[c]] : [...pendingJoin[c]];
    pendingJoin[c] = [];
    specs.push(task(id, r, deps));
    heads[c] = id;
    if (r() < 0.33) {
      let prev = id;
      const len = r.int(1, 4);
      for (let k = 0; k < len && i < n; k++) {
        const b = `C${i++}`;
        specs.push(task(b, r, [prev]));
        prev = b;
      }
      if (prev !== id && r() < 0.5) pendingJoin[c].push(prev);
    }
  }
  return specs;
}

/** Random DAG: each task depends on 0-3 tasks chosen uniformly among those declared before it. */
function random(n, r) {
  const specs = [];
  for (let i = 0; i < n; i++) {
    const deps = [];
    if (i > 0) {
      const k = r.int(0, 3);
      for (let j = 0; j < k; j++) deps.push(`R${r.int(0, i - 1)}`);
    }
    specs.push(task(`R${i}`, r, deps));
  }
  return specs;
}

export const SHAPES = { layered, 'fan-out/fan-in': fanOutIn, 'chains+branches': chains, random };

/**
 * The schedule-quality corpus: `count` DAGs of 100-400 tasks, cycling through the shapes,
 * each with its own seed derived from `seed`.
 */
export function qualityCorpus({ count = 50, seed = 2024 } = {}) {
  const names = Object.keys(SHAPES);
  const out = [];
  for (let k = 0; k < count; k++) {
    const r = prng(seed * 1000 + k);
    const shape = names[k % names.length];
    const n = r.int(100, 400);
    const specs = addAccesses(SHAPES[shape](n, r), shape.replace(/[^a-z]+/g, '-'), r);
    out.push({ name: `${shape} #${Math.floor(k / names.length) + 1}`, shape, specs });
  }
  return out;
}
