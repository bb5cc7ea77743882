#!/usr/bin/env node
// guild's benchmarks. `pnpm bench` runs them all; `pnpm bench scheduler|quality|process|eventlog`
// runs the ones named. Prints the machine, a figures table per benchmark with each target
// and PASS/MISS, and a summary. Exit code 0 unless a benchmark crashed (or, with --strict,
// a target was missed): CI runs them for the figures, it does not time them.
import { printMachine, printTable } from './lib.mjs';

const BENCHMARKS = {
  scheduler: {
    title: 'scheduler overhead',
    about:
      'parse + validate + plan + simulate a 100,000-task layered random DAG at -j 5 with the LockTable (strict), in a fresh child process',
    load: () => import('./scheduler.mjs'),
  },
  quality: {
    title: 'schedule quality',
    about: '50 generated DAGs at -j 5: makespan vs the lower bound, and vs running the plan stage by stage',
    load: () => import('./quality.mjs'),
  },
  process: {
    title: 'process overhead',
    about: '1,000 `true` tasks at -j 4 through the real CLI vs xargs -P 4, GNU parallel and a bare Node spawn loop',
    load: () => import('./process.mjs'),
  },
  eventlog: {
    title: 'event-log cost',
    about: 'the same 2,000-task plan of `true` tasks at -j 4 with the run store on vs an in-memory store',
    load: () => import('./eventlog.mjs'),
  },
};

const args = process.argv.slice(2);
const flags = new Set(args.filter((a) => a.startsWith('--')));
const names = args.filter((a) => !a.startsWith('--'));
const unknown = names.filter((n) => !(n in BENCHMARKS));
if (unknown.length > 0 || flags.has('--help')) {
  const stream = unknown.length > 0 ? process.stderr : process.stdout;
  if (unknown.length > 0) stream.write(`bench: unknown benchmark ${unknown.map((n) => `"${n}"`).join(', ')}\n`);
  stream.write(
    `usage: pnpm bench [${Object.keys(BENCHMARKS).join('|')} ...] [--verbose] [--profile] [--strict]\n` +
      '  --verbose  quality: one line per DAG\n' +
      '  --profile  process: also profile the CLI run\n' +
      '  --strict   exit 1 when a target is missed\n',
  );
  process.exit(unknown.length > 0 ? 2 : 0);
}
const selected = names.length > 0 ? [...new Set(names)] : Object.keys(BENCHMARKS);

console.log(`guild benchmarks · ${new Date().toISOString()} · node tools/bench/run.mjs ${args.join(' ')}`.trimEnd());
printMachine();

const checks = [];
let crashed = false;
for (const [i, name] of selected.entries()) {
  const b = BENCHMARKS[name];
  console.log(`\n== ${i + 1}. ${b.title} (${name}) ==`);
  console.log(`${b.about}`);
  const t0 = performance.now();
  try {
    const mod = await b.load();
    const result = await mod.run({ verbose: flags.has('--verbose'), profile: flags.has('--profile') });
    checks.push(...result.checks);
  } catch (e) {
    crashed = true;
    console.log(`ERROR: ${e instanceof Error ? e.message : String(e)}`);
    checks.push({ name: `${name}: crashed`, value: '', pass: false });
  }
  console.log(`(${name} took ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

console.log('\n== summary ==');
printTable(
  ['target', 'measured', 'result'],
  checks.map((c) => [c.name, c.value, c.pass === undefined ? 'SKIPPED' : c.pass ? 'PASS' : 'MISS']),
  { align: 'lrl' },
);
const missed = checks.filter((c) => c.pass === false).length;
const passed = checks.filter((c) => c.pass === true).length;
const skipped = checks.filter((c) => c.pass === undefined).length;
console.log(`\n${passed} passed, ${missed} missed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = crashed || (flags.has('--strict') && missed > 0) ? 1 : 0;
