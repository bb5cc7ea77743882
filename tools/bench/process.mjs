// Benchmark 3, process overhead: 1,000 `true` tasks at -j 4 through the real CLI, against
// `xargs -P 4`, GNU parallel (when installed) and a bare Node spawn loop, all run from this
// one process on the same machine; each the median of 5 runs, interleaved (BENCH_RUNS=n).
//
//   node tools/bench/process.mjs             # this benchmark alone
//   node tools/bench/process.mjs --profile   # also profile the CLI run (node --cpu-prof)
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  REPO_ROOT,
  isMain,
  median,
  mib,
  ms,
  printMachine,
  printTable,
  runProcess,
  tempDir,
  verdict,
} from './lib.mjs';

const TASKS = 1000;
const JOBS = 4;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CLI = path.join(REPO_ROOT, 'apps', 'cli', 'dist', 'bin.js');
const CORE = path.join(REPO_ROOT, 'packages', 'core', 'dist', 'index.js');

/** The reference: Node itself spawning `true`, JOBS at a time, nothing else. */
const NODE_LOOP = `
const { spawn } = require('node:child_process');
const total = ${TASKS}, jobs = ${JOBS};
let started = 0;
const next = () => {
  if (started >= total) return;
  started++;
  spawn('true', [], { stdio: 'ignore' }).once('exit', next);
};
for (let i = 0; i < jobs; i++) next();
`;

/**
 * guild's way of starting tasks alone: Node starting TASKS 'true' tasks, JOBS at a time,
 * through core's shell runner and its launcher, with no scheduler, event log, reporter or
 * plugins. Prints the time from the first start to the last exit (the floor of a guild run's
 * tasks phase) as JSON.
 */
const launcherLoop = (coreUrl, logDir) => `
const { createShellRunner } = await import(${JSON.stringify(coreUrl)});
const runner = createShellRunner();
const env = { ...process.env };
const total = ${TASKS}, jobs = ${JOBS};
let started = 0, done = 0, failed;
const t0 = performance.now();
await new Promise((resolve) => {
  const next = () => {
    if (started >= total) return;
    const id = 't' + started++;
    const ctx = { attempt: 1, workdir: process.cwd(), env, logFile: ${JSON.stringify(logDir)} + '/' + id + '.log' };
    runner.start({ id, run: 'true' }, ctx).done.then((r) => {
      if (r.outcome !== 'succeeded') failed ??= id + ': ' + JSON.stringify(r);
      if (++done === total) resolve(); else next();
    });
  };
  for (let i = 0; i < jobs; i++) next();
});
if (failed) { console.error('task ' + failed); process.exit(1); }
console.log(JSON.stringify({ loopMs: performance.now() - t0 }));
process.exit(0);
`;

/** The times of a guild run's first and last events (run.started, run.finished), epoch ms. */
function runSpan(dir) {
  const runs = path.join(dir, '.guild', 'runs');
  const [id] = readdirSync(runs);
  const lines = readFileSync(path.join(runs, id, 'events.jsonl'), 'utf8').trim().split('\n');
  const first = JSON.parse(lines[0]);
  const last = JSON.parse(lines.at(-1));
  if (first.type !== 'run.started' || last.type !== 'run.finished') throw new Error(`unexpected event log in ${runs}/${id}`);
  return { started: first.at, finished: last.at };
}

/**
 * How long one child_process.spawn() call blocks the main thread (libuv forks on the event
 * loop thread, and fork copies the page tables of everything resident), with `extraMb` more
 * resident memory. Prints µs per call and the RSS.
 */
const SPAWN_COST = `
const { spawn } = require('node:child_process');
const extraMb = Number(process.argv[1]);
const keep = [];
for (let i = 0; i < extraMb; i++) keep.push(Buffer.alloc(1 << 20, 1));
const n = 200;
let blocked = 0, started = 0, done = 0;
const next = () => {
  if (started >= n) return;
  started++;
  const t = performance.now();
  const c = spawn('true', [], { stdio: 'ignore' });
  blocked += performance.now() - t;
  c.once('exit', () => (++done === n ? console.log(JSON.stringify({ us: (blocked / n) * 1000, rssMb: process.memoryUsage().rss / 2 ** 20 })) : next()));
};
for (let i = 0; i < 4; i++) next();
`;

/** Whether GNU parallel (not moreutils' parallel) is on the PATH, and its version line. */
function gnuParallel() {
  try {
    const v = execFileSync('parallel', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const first = v.split('\n')[0];
    return /GNU parallel/.test(first) ? { installed: true, version: first } : { installed: false, why: 'not GNU parallel' };
  } catch {
    return { installed: false, why: 'not installed' };
  }
}

export async function run({ write = console.log, profile = process.argv.includes('--profile') } = {}) {
  if (!readdirSync(path.dirname(CLI)).includes('bin.js')) {
    throw new Error(`${CLI} is missing; run "pnpm build" at the repo root first`);
  }
  const { dir, cleanup } = await tempDir('process');
  const devnull = openSync('/dev/null', 'w');
  try {
    const plan = ['version: 1', 'tasks:'];
    for (let i = 0; i < TASKS; i++) plan.push(`  - id: t${String(i).padStart(4, '0')}`, '    run: "true"');
    await writeFile(path.join(dir, 'plan.yaml'), `${plan.join('\n')}\n`);
    await writeFile(path.join(dir, 'one.yaml'), 'version: 1\ntasks:\n  - id: t0\n    run: "true"\n');
    await mkdir(path.join(dir, 'llogs'), { recursive: true });
    const par = gnuParallel();

    const contenders = [
      { key: 'guild', label: `guild run plan.yaml -j ${JOBS}`, cmd: process.execPath, args: [CLI, 'run', 'plan.yaml', '-j', String(JOBS)], guild: true },
      { key: 'xargs', label: `seq ${TASKS} | xargs -P ${JOBS} -I{} true`, cmd: '/bin/sh', args: ['-c', `seq ${TASKS} | xargs -P ${JOBS} -I{} true`] },
      par.installed
        ? { key: 'parallel', label: `seq ${TASKS} | parallel -j ${JOBS} true`, cmd: '/bin/sh', args: ['-c', `seq ${TASKS} | parallel -j ${JOBS} true`] }
        : undefined,
      { key: 'node', label: `bare Node spawn loop (${JOBS} at a time)`, cmd: process.execPath, args: ['-e', NODE_LOOP] },
      {
        key: 'xargs-sh-log',
        label: `(info) xargs -P ${JOBS}, sh -c + a log file per task`,
        cmd: '/bin/sh',
        // What guild's shell runner does per task: /bin/sh -c, output appended to a fresh log file.
        args: ['-c', `mkdir -p xlogs && seq ${TASKS} | xargs -P ${JOBS} -I{} /bin/sh -c 'exec >>xlogs/t{}.log 2>&1 </dev/null; true'`],
        guild: true,
      },
      {
        key: 'guild-perl',
        label: `(info) guild run -j ${JOBS}, perl launcher`,
        cmd: process.execPath,
        args: [CLI, 'run', 'plan.yaml', '-j', String(JOBS)],
        env: { ...process.env, GUILD_LAUNCHER: 'perl' },
        guild: true,
      },
      {
        key: 'launcher',
        label: `(info) Node + guild's launcher alone, no scheduler`,
        cmd: process.execPath,
        args: ['--input-type=module', '-e', launcherLoop(pathToFileURL(CORE).href, path.join(dir, 'llogs'))],
        guild: true,
        loop: true,
      },
      { key: 'guild1', label: '(info) guild run, 1 task: fixed cost', cmd: process.execPath, args: [CLI, 'run', 'one.yaml', '-j', String(JOBS)], guild: true },
      { key: 'node0', label: '(info) node -e 0: Node startup', cmd: process.execPath, args: ['-e', '0'] },
      // Node reads the whole file NODE_EXTRA_CA_CERTS names at every start: on some machines it
      // is set for all processes, and every Node command above pays for it.
      process.env.NODE_EXTRA_CA_CERTS
        ? {
            key: 'node0-ca',
            label: '(info) node -e 0 without NODE_EXTRA_CA_CERTS',
            cmd: process.execPath,
            args: ['-e', '0'],
            env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_EXTRA_CA_CERTS')),
          }
        : undefined,
    ].filter(Boolean);

    const times = new Map(contenders.map((c) => [c.key, []]));
    const rss = new Map(contenders.map((c) => [c.key, []]));
    // guild's runs in phases (from its event log), and the launcher loop's own time.
    const phases = { startup: [], tasks: [], end: [] };
    const loopMs = [];
    for (let round = 0; round < RUNS; round++) {
      for (const c of contenders) {
        if (c.guild) {
          await rm(path.join(dir, '.guild'), { recursive: true, force: true });
          await rm(path.join(dir, 'xlogs'), { recursive: true, force: true });
        }
        const r = await runProcess(c.cmd, c.args, { cwd: dir, env: c.env, stdout: c.loop ? 'pipe' : devnull, timeoutMs: 300_000, sampleRss: true });
        if (r.timedOut || r.code !== 0) {
          throw new Error(`${c.label} failed (exit ${r.code}${r.timedOut ? ', timed out' : ''}): ${r.stderr.slice(0, 2000)}`);
        }
        times.get(c.key).push(r.wallMs);
        if (r.peakRssKb !== undefined) rss.get(c.key).push(r.peakRssKb * 1024);
        if (c.key === 'guild') {
          const span = runSpan(dir);
          phases.startup.push(span.started - r.spawnedAt);
          phases.tasks.push(span.finished - span.started);
          phases.end.push(r.exitedAt - span.finished);
        }
        if (c.loop) loopMs.push(JSON.parse(r.stdout.trim().split('\n').at(-1)).loopMs);
      }
    }
    const med = (k) => median(times.get(k) ?? []);
    const xargs = med('xargs');
    const guild = med('guild');
    const rows = contenders.map((c) => {
      const m = med(c.key);
      const perTask = c.key === 'guild1' || c.key.startsWith('node0') ? '' : `${((m * 1000) / TASKS).toFixed(0)} µs`;
      // Peak RSS only means something for the Node processes (for the pipelines it is the shell's).
      const peak = c.cmd === process.execPath && rss.get(c.key).length > 0 ? mib(median(rss.get(c.key))) : '';
      return [c.label, ms(m), perTask, `${(m / xargs).toFixed(2)}x`, peak, times.get(c.key).map((t) => Math.round(t)).join(' ')];
    });
    if (!par.installed) rows.splice(2, 0, [`seq ${TASKS} | parallel -j ${JOBS} true`, `GNU parallel ${par.why}: skipped`, '', '', '', '']);
    printTable(['command', `median of ${RUNS}`, 'wall/task', 'vs xargs', 'peak RSS', 'runs (ms)'], rows, { align: 'lrrrrl', write });
    write('');

    const okXargs = guild <= 2 * xargs;
    const parallelMs = med('parallel');
    const okParallel = par.installed ? parallelMs / guild >= 3 : undefined;
    const perTaskGuild = (guild - med('guild1')) / (TASKS - 1);
    const perTaskNode = (med('node') - med('node0')) / TASKS;
    const spawnCost = [];
    for (const extra of [0, 100]) {
      const r = await runProcess(process.execPath, ['-e', SPAWN_COST, String(extra)], { cwd: dir });
      spawnCost.push(JSON.parse(r.stdout.trim()));
    }
    printTable(
      ['figure', 'value', 'target', 'result'],
      [
        ['guild wall / xargs wall', `${(guild / xargs).toFixed(2)}x`, '<= 2x', verdict(okXargs)],
        par.installed
          ? ['GNU parallel wall / guild wall', `${(parallelMs / guild).toFixed(2)}x`, '>= 3x', verdict(okParallel)]
          : ['GNU parallel wall / guild wall', `GNU parallel ${par.why}`, '>= 3x', 'SKIPPED'],
        ['(info) bare Node loop / xargs', `${(med('node') / xargs).toFixed(2)}x`, '', ''],
        ['(info) guild per task, fixed cost removed', `${(perTaskGuild * 1000).toFixed(0)} µs`, '', ''],
        ['(info) bare Node loop per task, startup removed', `${(perTaskNode * 1000).toFixed(0)} µs`, '', ''],
        ['(info) guild fixed cost (1-task run)', ms(med('guild1')), '', ''],
        ...(par.installed
          ? [
              [
                '(info) 3x GNU parallel needs guild at',
                `${ms(parallelMs / 3)} or less: ${(parallelMs / 3 / xargs).toFixed(2)}x xargs (GNU parallel is ${(parallelMs / xargs).toFixed(2)}x xargs here)`,
                '',
                '',
              ],
            ]
          : []),
        [
          '(info) one spawn() call blocks the main thread',
          spawnCost.map((c) => `${c.us.toFixed(0)} µs at ${c.rssMb.toFixed(0)} MB RSS`).join(', '),
          '',
          '',
        ],
      ],
      { align: 'lrll', write },
    );
    if (par.installed) write(`  (${par.version})`);
    write('');
    // Where guild's wall time goes: start-up and run end are spent before the first task and
    // after the last one; the tasks phase is bounded below by starting tasks alone.
    printTable(
      ['guild run plan.yaml, phase (from its event log)', `median of ${RUNS}`, 'runs (ms)'],
      [
        ['start-up: process start to run.started (Node, modules, config, plan)', ms(median(phases.startup)), phases.startup.map(Math.round).join(' ')],
        ['tasks: run.started to run.finished', ms(median(phases.tasks)), phases.tasks.map(Math.round).join(' ')],
        ['run end: run.finished to exit (metrics, summary, report, history)', ms(median(phases.end)), phases.end.map(Math.round).join(' ')],
        [
          "(info) the same tasks through guild's launcher alone, first start to last exit",
          ms(median(loopMs)),
          loopMs.map(Math.round).join(' '),
        ],
      ],
      { align: 'lrl', write },
    );
    if (process.env.NODE_EXTRA_CA_CERTS) {
      write(
        `  NODE_EXTRA_CA_CERTS is set (${process.env.NODE_EXTRA_CA_CERTS}): every Node start reads that file, ` +
          `${ms(med('node0') - med('node0-ca'))} here; guild and the bare Node loop were timed with it, as this machine runs them.`,
      );
    }

    if (profile || !okXargs) {
      write('');
      write(`profile of one guild run (node --cpu-prof), main-thread time by function:`);
      await rm(path.join(dir, '.guild'), { recursive: true, force: true });
      const profDir = path.join(dir, 'prof');
      const r = await runProcess(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, CLI, 'run', 'plan.yaml', '-j', String(JOBS)], {
        cwd: dir,
        stdout: devnull,
      });
      if (r.code !== 0) throw new Error(`profiled guild run failed: ${r.stderr}`);
      const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
      const s = summarizeProfile(JSON.parse(readFileSync(path.join(profDir, file), 'utf8')));
      write(
        `  wall ${ms(r.wallMs)}; sampled ${ms(s.total)}, idle ${ms(s.idle)}. (Profiling enlarges the heap, and spawn() ` +
          'slows down with resident memory, so this run is slower than the timed ones.)',
      );
      printTable(
        ['function (self time)', 'ms', 'per task'],
        s.self.slice(0, 10).map(([k, t]) => [k, t.toFixed(0), `${((t * 1000) / TASKS).toFixed(0)} µs`]),
        { align: 'lrr', write },
      );
      // The per-task path: the scheduler's dispatch/finish, the runner's spawn and log file, the
      // run store's durable log, the reporter.
      const wanted = [
        'dispatch ',
        'finish ',
        'spawn node:child_process',
        'openSync node:fs',
        'writeSync node:fs',
        'closeSync node:fs',
        'fdatasyncSync node:fs',
        'readFileSync node:fs',
        'listener ',
        'emit ',
      ];
      const incl = s.inclusive.filter(([k]) => wanted.some((w) => k.startsWith(w)));
      write('');
      printTable(
        ['function (inclusive time)', 'ms', 'per task'],
        incl.slice(0, 10).map(([k, t]) => [k, t.toFixed(0), `${((t * 1000) / TASKS).toFixed(0)} µs`]),
        { align: 'lrr', write },
      );
    }

    return {
      name: 'process',
      checks: [
        { name: 'process: guild within 2x of xargs -P 4', value: `${(guild / xargs).toFixed(2)}x`, pass: okXargs },
        par.installed
          ? { name: 'process: guild at least 3x faster than GNU parallel', value: `${(parallelMs / guild).toFixed(2)}x`, pass: okParallel }
          : { name: 'process: guild at least 3x faster than GNU parallel', value: `GNU parallel ${par.why}`, pass: undefined },
      ],
    };
  } finally {
    closeSync(devnull);
    await cleanup();
  }
}

/** Self and inclusive time per function of a .cpuprofile, in ms, largest first. */
export function summarizeProfile(p) {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (n) => {
    const f = n.callFrame;
    const where = f.url ? `${f.url.replace(/^file:\/\//, '').split('/').slice(-2).join('/')}:${f.lineNumber + 1}` : '';
    return `${f.functionName || '(anonymous)'} ${where}`.trim();
  };
  const self = new Map();
  const inclusive = new Map();
  let total = 0;
  let idle = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = (p.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const node = byId.get(p.samples[i]);
    const k = name(node);
    if (k.startsWith('(idle)')) idle += dt;
    self.set(k, (self.get(k) ?? 0) + dt);
    const seen = new Set();
    for (let id = node.id; id !== undefined; id = parent.get(id)) {
      const kk = name(byId.get(id));
      if (seen.has(kk)) continue;
      seen.add(kk);
      inclusive.set(kk, (inclusive.get(kk) ?? 0) + dt);
    }
  }
  const sorted = (m) => [...m].sort((a, b) => b[1] - a[1]);
  return { total, idle, self: sorted(self).filter(([k]) => !k.startsWith('(idle)')), inclusive: sorted(inclusive) };
}

if (isMain(import.meta.url)) {
  printMachine();
  console.log('\n== process overhead ==');
  await run();
}
