// Benchmark 4, event-log cost: the same 2,000-task plan of `true` tasks run with the run store
// on (plan.json, events.jsonl with its group-committed fdatasyncs, state.json snapshots) and
// with an in-memory store (`store: false`: events only in memory, logs still written), both
// through core's runPlan in this process, interleaved, median of 3 runs each.
//
//   node tools/bench/eventlog.mjs
import { isMain, loadGuild, median, ms, pct, printMachine, printTable, tempDir, verdict } from './lib.mjs';

const TASKS = 2000;
const JOBS = 4;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

/** Runs the benchmark; returns its checks for the summary. */
export async function run() {
  const { core } = await loadGuild();
  const specs = Array.from({ length: TASKS }, (_, i) => ({ id: `t${i}`, run: 'true' }));
  const times = { store: [], memory: [] };
  for (let r = 0; r < RUNS; r++) {
    for (const mode of ['memory', 'store']) {
      const { dir, cleanup } = await tempDir(`eventlog-${mode}`);
      const plan = core.createPlan(specs, { root: dir });
      const t0 = performance.now();
      const { summary } = await core.runPlan(plan, { concurrency: JOBS, store: mode === 'store', projectRoot: dir });
      times[mode].push(performance.now() - t0);
      if (summary.counts.succeeded !== TASKS) throw new Error(`${mode}: only ${summary.counts.succeeded} of ${TASKS} succeeded`);
      await cleanup();
    }
  }
  const store = median(times.store);
  const memory = median(times.memory);
  const overhead = (store - memory) / store;
  printTable(
    ['run store', 'median of 3', 'per task', 'runs (ms)'],
    [
      ['on (events.jsonl, state.json)', ms(store), `${((store / TASKS) * 1000).toFixed(0)} µs`, times.store.map((t) => Math.round(t)).join(' ')],
      ['in memory', ms(memory), `${((memory / TASKS) * 1000).toFixed(0)} µs`, times.memory.map((t) => Math.round(t)).join(' ')],
    ],
    { align: 'lrrr' },
  );
  const perTask = ((store - memory) / TASKS) * 1000;
  printTable(
    ['figure', 'value', 'target', 'result'],
    [
      ['run store overhead per task', `${perTask.toFixed(0)} µs`, '', ''],
      ['run store overhead, share of wall time', pct(overhead), '< 10%', verdict(overhead < 0.1)],
    ],
    { align: 'lrrl' },
  );
  return { checks: [{ name: 'eventlog: run store under 10% of wall time', value: pct(overhead), pass: overhead < 0.1 }] };
}

if (isMain(import.meta.url)) {
  printMachine();
  await run();
}

