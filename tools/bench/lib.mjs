// Shared helpers for guild's benchmarks: machine description, tables, seeded randomness,
// child processes, statistics. Plain Node ESM, no build step.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** tools/bench */
export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
/** The monorepo root. */
export const REPO_ROOT = path.resolve(BENCH_DIR, '..', '..');

/** Whether `metaUrl` is the script node was started with (for files that are both a module and a CLI). */
export function isMain(metaUrl) {
  return process.argv[1] !== undefined && metaUrl === pathToFileURL(path.resolve(process.argv[1])).href;
}

/** CPU model, cores, RAM, Node version, OS, and the load when the benchmark started. */
export function machine() {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const m = /^model name\s*:\s*(.+)$/m.exec(info);
    if (m) cpu = m[1].trim();
  } catch {
    // not Linux: os.cpus() is the best we have
  }
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  const load = os.loadavg();
  return {
    cpu,
    cores,
    ramGiB: os.totalmem() / 2 ** 30,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    load,
  };
}

export function printMachine(m = machine(), write = console.log) {
  write(`machine: ${m.cpu} · ${m.cores} cores · ${m.ramGiB.toFixed(1)} GiB RAM · Node ${m.node} · ${m.os}`);
  const busy = m.load[0] > m.cores * 0.5;
  write(
    `load average at start: ${m.load.map((x) => x.toFixed(2)).join(' ')}` +
      (busy ? `  (WARNING: the machine is busy; timings are inflated and noisy)` : ''),
  );
}

/**
 * Prints a table. `rows` are arrays of cells; `align` is a string of `l`/`r` per column.
 */
export function printTable(header, rows, { align, write = console.log } = {}) {
  const all = [header, ...rows].map((r) => r.map((c) => (c === undefined || c === null ? '' : String(c))));
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const fmt = (r) =>
    r
      .map((c, i) => ((align?.[i] ?? 'l') === 'r' ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  write(`  ${fmt(all[0])}`);
  write(`  ${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const r of all.slice(1)) write(`  ${fmt(r)}`);
}

/** mulberry32: a small, fast, seeded PRNG returning floats in [0, 1). */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Object.assign(next, {
    /** Integer in [lo, hi]. */
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    /** Standard normal (Box-Muller). */
    normal: () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
    /** Geometric count of failures before the first success with probability p. */
    geometric: (p) => Math.floor(Math.log(1 - next()) / Math.log(1 - p)),
    pick: (list) => list[Math.floor(next() * list.length)],
  });
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const ms = (x) => (Number.isFinite(x) ? `${Math.round(x).toLocaleString('en-US')} ms` : String(x));
export const sec = (x, digits = 2) => (Number.isFinite(x) ? `${x.toFixed(digits)} s` : String(x));
export const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
export const pct = (x, digits = 1) => `${(x * 100).toFixed(digits)}%`;
export const verdict = (ok) => (ok ? 'PASS' : 'MISS');

/** A fresh temp folder; removed by the returned `cleanup`. */
export async function tempDir(prefix) {
  const dir = await mkdtemp(path.join(os.tmpdir(), `guild-bench-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Runs `command args` and resolves with its exit code, wall time (ms, measured here from
 * spawn until its output closed), `spawnedAt` and `exitedAt` (epoch ms, to line up with the
 * times in a run's event log), stdout and stderr. `timeoutMs` kills the process group and
 * marks it timed out.
 */
export function runProcess(command, args, { cwd, env, stdout = 'pipe', stdin = 'ignore', timeoutMs, sampleRss = false } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const spawnedAt = Date.now();
    let exitedAt;
    const child = spawn(command, args, {
      cwd,
      env: env ?? process.env,
      stdio: [stdin, stdout, 'pipe'],
      detached: true,
    });
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    let timedOut = false;
    // The child's peak RSS (VmHWM), sampled from /proc while it runs (Linux only).
    let peakRssKb;
    const sample = () => {
      try {
        const m = /^VmHWM:\s*(\d+)\s*kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakRssKb = Math.max(peakRssKb ?? 0, Number(m[1]));
      } catch {
        // gone already
      }
    };
    const sampler = sampleRss ? setInterval(sample, 20) : undefined;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            try {
              process.kill(-child.pid, 'SIGKILL');
            } catch {
              // already gone
            }
          }, timeoutMs);
    child.once('error', reject);
    child.once('exit', () => {
      exitedAt = Date.now();
      if (sampler) clearInterval(sampler);
    });
    child.once('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, timedOut, wallMs: performance.now() - t0, spawnedAt, exitedAt, stdout: out, stderr: err, peakRssKb });
    });
  });
}

/**
 * Runs a benchmark script in a fresh Node process (so its memory is measured alone) and
 * returns the JSON object it printed on its last stdout line.
 */
export async function runNodeChild(script, args, { timeoutMs, nodeArgs = [] } = {}) {
  const r = await runProcess(process.execPath, [...nodeArgs, script, ...args], { cwd: REPO_ROOT, timeoutMs });
  if (r.timedOut) return { timedOut: true, wallMs: r.wallMs };
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return { ...JSON.parse(last), wallMs: r.wallMs };
  } catch {
    throw new Error(`${path.basename(script)} ${args.join(' ')} failed (exit ${r.code}):\n${r.stderr || r.stdout}`);
  }
}

/** Peak resident set size of this process so far, in bytes (VmHWM, else resourceUsage). */
export function peakRss() {
  try {
    const m = /^VmHWM:\s*(\d+)\s*kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

/** Imports the built packages, with a clear message when `pnpm build` has not been run. */
export async function loadGuild() {
  try {
    const core = await import('@guild/core');
    const conflicts = await import('@guild/conflicts');
    return { core, conflicts };
  } catch (e) {
    throw new Error(
      `cannot import the built @guild/core / @guild/conflicts (${e.message}); run "pnpm build" at the repo root first`,
    );
  }
}
