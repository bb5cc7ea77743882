// Benchmark 1, scheduler overhead: parse, validate, plan and simulate a generated
// 100,000-task plan (layered random DAG, about 3 dependencies a task, writes drawn from
// 10,000 files) at -j 5 with the conflicts plugin's LockTable as access control (strict).
// Each measurement runs in a fresh child process so its peak memory is its own.
//
//   node tools/bench/scheduler.mjs            # this benchmark alone
//   BENCH_RUNS=3 node tools/bench/scheduler.mjs
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { layeredPlan } from './generate.mjs';
import {
  isMain,
  loadGuild,
  median,
  mib,
  ms,
  peakRss,
  printMachine,
  printTable,
  runNodeChild,
  sec,
  tempDir,
  verdict,
} from './lib.mjs';

const SELF = fileURLToPath(import.meta.url);
const TASKS = 100_000;
const CONCURRENCY = 5;
const TARGET_TOTAL_MS = 3000;
const TARGET_RSS = 500 * 2 ** 20;
/** Extra runs are skipped when one run takes longer than this (the median would not change the verdict). */
const SLOW_RUN_MS = 15_000;

// ---------------------------------------------------------------------------------------
// Child side: one measurement, printed as one JSON line.

async function child(mode, file) {
  const t0 = performance.now();
  const { core, conflicts } = await loadGuild();
  const tImport = performance.now();
  const parsed = await core.readPlanFile(file);
  const tParse = performance.now();
  const plan = core.createPlan(parsed.specs, { root: parsed.root, file: parsed.file });
  const tPlan = performance.now();
  const out = {
    importMs: tImport - t0,
    parseMs: tParse - tImport,
    planMs: tPlan - tParse,
    tasks: plan.tasks.size,
  };
  if (mode === 'measure') {
    const sim = await core.simulate(plan, {
      concurrency: CONCURRENCY,
      access: [new conflicts.LockTable({ mode: 'strict' })],
    });
    const tSim = performance.now();
    Object.assign(out, {
      simMs: tSim - tPlan,
      totalMs: tSim - tImport,
      makespan: sim.makespan,
      succeeded: sim.summary.counts.succeeded,
      lowerBound: core.planBounds(plan, CONCURRENCY).lowerBound,
    });
  } else if (mode === 'conflicts') {
    const c = conflicts.conflictReport(plan);
    Object.assign(out, { conflictsMs: performance.now() - tPlan, pairs: c.length });
  }
  out.peakRss = peakRss();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

// ---------------------------------------------------------------------------------------
// Parent side.

export async function run({ write = console.log } = {}) {
  const { dir, cleanup } = await tempDir('scheduler');
  try {
    const { specs, stats } = layeredPlan({ tasks: TASKS, layers: 100, files: 10_000, seed: 1 });
    const jsonFile = path.join(dir, 'plan.json');
    const yamlFile = path.join(dir, 'plan.yaml');
    const json = JSON.stringify({ version: 1, tasks: specs });
    await writeFile(jsonFile, json);
    await writeFile(yamlFile, toYaml(specs));
    write(
      `plan: ${stats.tasks.toLocaleString('en-US')} tasks, ${stats.layers} layers, ${stats.meanDeps.toFixed(2)} dependencies a task, ` +
        `writes drawn from ${stats.files.toLocaleString('en-US')} files; plan.json ${(json.length / 2 ** 20).toFixed(1)} MB`,
    );

    const wanted = Number(process.env.BENCH_RUNS ?? 3);
    const runs = [];
    for (let i = 0; i < wanted; i++) {
      const r = await runNodeChild(SELF, ['--child', 'measure', jsonFile], { timeoutMs: 600_000 });
      if (r.timedOut) throw new Error('the scheduler measurement did not finish within 10 minutes');
      if (r.succeeded !== TASKS) throw new Error(`simulation ran ${r.succeeded} of ${TASKS} tasks`);
      runs.push(r);
      if (r.totalMs > SLOW_RUN_MS) break;
    }
    const pick = (k) => median(runs.map((r) => r[k]));
    const total = pick('totalMs');
    const rss = pick('peakRss');

    // Informational: the same plan as YAML, and the conflict report.
    const yamlTimeout = Number(process.env.BENCH_YAML_TIMEOUT_S ?? 180) * 1000;
    const yaml = await runNodeChild(SELF, ['--child', 'parse', yamlFile], { timeoutMs: yamlTimeout });
    const confTimeout = Number(process.env.BENCH_CONFLICTS_TIMEOUT_S ?? 300) * 1000;
    const conf = await runNodeChild(SELF, ['--child', 'conflicts', jsonFile], { timeoutMs: confTimeout });

    const okTime = total < TARGET_TOTAL_MS;
    const okRss = rss < TARGET_RSS;
    const runNote =
      runs.length === wanted ? `median of ${runs.length} runs` : `${runs.length} run; the rest skipped, it took over ${SLOW_RUN_MS / 1000} s`;
    const rows = [
      ['parse + validate (readPlanFile, JSON)', ms(pick('parseMs')), '', ''],
      ['plan (createPlan: normalise, graph)', ms(pick('planMs')), '', ''],
      [`simulate -j ${CONCURRENCY}, LockTable strict`, ms(pick('simMs')), '', ''],
      [`total (${runNote})`, sec(total / 1000), `< ${TARGET_TOTAL_MS / 1000} s`, verdict(okTime)],
      ['peak RSS (VmHWM of the child)', mib(rss), `< ${TARGET_RSS / 2 ** 20} MB`, verdict(okRss)],
      ['(info) module import, not in total', ms(pick('importMs')), '', ''],
      [
        '(info) simulated makespan / lower bound',
        `${Math.round(runs[0].makespan).toLocaleString('en-US')} s / ${Math.round(runs[0].lowerBound).toLocaleString('en-US')} s`,
        '',
        '',
      ],
      [
        '(info) same plan as YAML: parse + validate',
        yaml.timedOut ? `> ${yamlTimeout / 1000} s (stopped)` : `${ms(yaml.parseMs)}, peak RSS ${mib(yaml.peakRss)}`,
        '',
        '',
      ],
      [
        '(info) conflict report (conflictReport)',
        conf.timedOut
          ? `> ${confTimeout / 1000} s (stopped)`
          : `${ms(conf.conflictsMs)}, ${conf.pairs.toLocaleString('en-US')} pairs, peak RSS ${mib(conf.peakRss)}`,
        '',
        '',
      ],
    ];
    printTable(['figure', 'value', 'target', 'result'], rows, { align: 'lrll', write });
    if (runs.length > 1) {
      write(`  runs (total): ${runs.map((r) => sec(r.totalMs / 1000)).join(', ')}`);
    }
    return {
      name: 'scheduler',
      checks: [
        { name: `scheduler: 100k-task plan+simulate under ${TARGET_TOTAL_MS / 1000} s`, value: sec(total / 1000), pass: okTime },
        { name: `scheduler: peak RSS under ${TARGET_RSS / 2 ** 20} MB`, value: mib(rss), pass: okRss },
      ],
    };
  } finally {
    await cleanup();
  }
}

/** The plan as YAML, in the style a person would write (flow lists for short lists). */
function toYaml(specs) {
  const lines = ['version: 1', 'tasks:'];
  for (const s of specs) {
    lines.push(`  - id: ${s.id}`, `    run: "${s.run}"`, `    estimate: ${s.estimate}`);
    if (s.dependsOn) lines.push(`    dependsOn: [${s.dependsOn.join(', ')}]`);
    lines.push(`    writes: [${s.writes.join(', ')}]`);
  }
  return `${lines.join('\n')}\n`;
}

if (isMain(import.meta.url)) {
  if (process.argv[2] === '--child') {
    await child(process.argv[3], process.argv[4]);
  } else {
    printMachine();
    console.log('\n== scheduler overhead ==');
    await run();
  }
}
