// Benchmark 2, schedule quality: 50 generated DAGs (layered, fan-out/fan-in, chains with side
// branches, random; 100-400 tasks; long-tailed estimates; some shared files and resources).
// For each: guild's simulated makespan at -j 5 (LockTable strict) against the lower bound
// (planBounds), and against running the plan stage by stage as wave planners do.
//
//   node tools/bench/quality.mjs             # this benchmark alone
//   node tools/bench/quality.mjs --verbose   # one line per DAG
import { qualityCorpus } from './generate.mjs';
import { isMain, loadGuild, median, pct, printMachine, printTable, verdict } from './lib.mjs';

const CONCURRENCY = 5;
const TARGET_RATIO = 1.05;
const TARGET_GAIN = 0.1;
const ROOT = '/guild-bench-quality'; // never touched: simulations run nothing

export async function run({ write = console.log, verbose = process.argv.includes('--verbose') } = {}) {
  const { core, conflicts } = await loadGuild();
  const corpus = qualityCorpus({ count: 50, seed: 2024 });
  const sim = (plan) =>
    core.simulate(plan, { concurrency: CONCURRENCY, access: [new conflicts.LockTable({ mode: 'strict' })] });

  const results = [];
  const t0 = performance.now();
  for (const dag of corpus) {
    const plan = core.createPlan(dag.specs, { root: ROOT });
    const guild = await sim(plan);
    if (guild.summary.counts.succeeded !== plan.tasks.size) throw new Error(`${dag.name}: not every task ran`);
    const bounds = core.planBounds(plan, CONCURRENCY);
    const barrierBound = barrierAwareBound(core, plan, CONCURRENCY);
    // Stage by stage: each stage is its own plan (its tasks, no dependencies) and starts
    // when the previous stage has finished completely.
    let staged = 0;
    const stages = plan.graph.stages();
    for (const ids of stages) {
      const specs = ids.map((id) => {
        const { dependsOn: _deps, origin: _origin, ...rest } = plan.tasks.get(id).spec;
        return rest;
      });
      staged += (await sim(core.createPlan(specs, { root: ROOT }))).makespan;
    }
    results.push({
      name: dag.name,
      shape: dag.shape,
      tasks: plan.tasks.size,
      stages: stages.length,
      makespan: guild.makespan,
      lowerBound: bounds.lowerBound,
      ratio: guild.makespan / bounds.lowerBound,
      barrierRatio: guild.makespan / barrierBound,
      staged,
      gain: 1 - guild.makespan / staged,
      bound: boundKind(bounds, CONCURRENCY),
    });
  }
  const elapsed = performance.now() - t0;

  if (verbose) {
    printTable(
      ['dag', 'tasks', 'stages', 'guild', 'lower bound', 'bound by', 'ratio', 'barrier-aware', 'stage by stage', 'guild shorter by'],
      results.map((r) => [
        r.name,
        r.tasks,
        r.stages,
        `${r.makespan.toFixed(0)} s`,
        `${r.lowerBound.toFixed(0)} s`,
        r.bound,
        r.ratio.toFixed(3),
        r.barrierRatio.toFixed(3),
        `${r.staged.toFixed(0)} s`,
        pct(r.gain),
      ]),
      { align: 'lrrrrlrrrr', write },
    );
    write('');
  }

  const ratios = results.map((r) => r.ratio);
  const gains = results.map((r) => r.gain);
  const medRatio = median(ratios);
  const worst = results.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  const medGain = median(gains);
  const within = ratios.filter((x) => x <= TARGET_RATIO).length;
  const okRatio = medRatio <= TARGET_RATIO;
  const okGain = medGain >= TARGET_GAIN;

  const rows = [
    ['makespan / lower bound, median', medRatio.toFixed(3), `<= ${TARGET_RATIO}`, verdict(okRatio)],
    ['makespan / lower bound, worst', `${worst.ratio.toFixed(3)} (${worst.name})`, '', ''],
    [`DAGs within ${TARGET_RATIO} of the bound`, `${within} of ${results.length}`, '', ''],
    ['guild vs stage by stage, median', `${pct(medGain)} shorter`, `>= ${pct(TARGET_GAIN, 0)} shorter`, verdict(okGain)],
    ['guild vs stage by stage, worst', `${pct(Math.min(...gains))} shorter`, '', ''],
  ];
  for (const shape of [...new Set(results.map((r) => r.shape))]) {
    const of = results.filter((r) => r.shape === shape);
    rows.push([
      `(info) ${shape} (${of.length}): median ratio / gain`,
      `${median(of.map((r) => r.ratio)).toFixed(3)} / ${pct(median(of.map((r) => r.gain)))}`,
      '',
      '',
    ]);
  }
  const barrier = results.map((r) => r.barrierRatio);
  const worstBarrier = results.reduce((a, b) => (b.barrierRatio > a.barrierRatio ? b : a));
  rows.push([
    '(info) makespan / barrier-aware bound, median / worst',
    `${median(barrier).toFixed(3)} / ${worstBarrier.barrierRatio.toFixed(3)} (${worstBarrier.name})`,
    '',
    '',
  ]);
  rows.push(['(info) time for 50 DAGs + their stages', `${(elapsed / 1000).toFixed(1)} s`, '', '']);
  printTable(['figure', 'value', 'target', 'result'], rows, { align: 'lrll', write });
  return {
    name: 'quality',
    checks: [
      { name: `quality: median makespan / lower bound <= ${TARGET_RATIO}`, value: medRatio.toFixed(3), pass: okRatio },
      { name: `quality: median ${pct(TARGET_GAIN, 0)}+ shorter than stage by stage`, value: pct(medGain), pass: okGain },
    ],
  };
}

/**
 * A tighter lower bound for DAGs with barriers. A barrier is a task every other task either
 * depends on or is depended on by (transitively): it runs alone, so any schedule's makespan is
 * at least the sum, over the segments between barriers, of each segment's own planBounds,
 * plus the barriers' estimates. Equal to planBounds when there is no barrier.
 */
function barrierAwareBound(core, plan, slots) {
  const order = plan.graph.order;
  const n = order.length;
  const pos = new Map(order.map((id, i) => [id, i]));
  const words = Math.ceil(n / 32);
  const anc = order.map(() => new Uint32Array(words));
  const desc = order.map(() => new Uint32Array(words));
  for (let i = 0; i < n; i++) {
    for (const p of plan.graph.predecessors(order[i])) {
      const j = pos.get(p);
      for (let w = 0; w < words; w++) anc[i][w] |= anc[j][w];
      anc[i][j >> 5] |= 1 << (j & 31);
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    for (const s of plan.graph.successors(order[i])) {
      const j = pos.get(s);
      for (let w = 0; w < words; w++) desc[i][w] |= desc[j][w];
      desc[i][j >> 5] |= 1 << (j & 31);
    }
  }
  const popcount = (a) => a.reduce((c, x) => c + (x.toString(2).match(/1/g)?.length ?? 0), 0);
  const isBarrier = order.map((_, i) => popcount(anc[i]) + popcount(desc[i]) === n - 1);
  let bound = 0;
  let segment = [];
  const flush = () => {
    if (segment.length === 0) return;
    const inside = new Set(segment);
    const specs = segment.map((id) => {
      const { dependsOn, origin: _origin, ...rest } = plan.tasks.get(id).spec;
      const deps = (dependsOn ?? []).filter((d) => inside.has(d));
      return deps.length > 0 ? { ...rest, dependsOn: deps } : rest;
    });
    bound += core.planBounds(core.createPlan(specs, { root: plan.root }), slots).lowerBound;
    segment = [];
  };
  order.forEach((id, i) => {
    if (isBarrier[i]) {
      flush();
      bound += plan.tasks.get(id).estimate;
    } else {
      segment.push(id);
    }
  });
  flush();
  return Math.max(bound, core.planBounds(plan, slots).lowerBound);
}

/** Which term of the lower bound is the largest. */
function boundKind(b, slots) {
  const terms = [
    ['critical path', b.criticalPath.length],
    ['work/slots', b.work / slots],
    [`resource ${b.busiestResource?.name ?? ''}`, b.busiestResource?.work ?? 0],
  ];
  return terms.reduce((a, t) => (t[1] > a[1] ? t : a))[0];
}

if (isMain(import.meta.url)) {
  printMachine();
  console.log('\n== schedule quality ==');
  await run();
}
