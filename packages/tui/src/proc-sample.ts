import { closeSync, openSync, readFileSync, readSync, readdirSync } from 'node:fs';
import type { Usage } from './layout.js';

/**
 * Memory and CPU of process groups, from /proc (Linux only): every process whose process group
 * is one of the running tasks' (a task's pid leads its group) counts, whatever its parent.
 */

/** What one process contributes, from `/proc/<pid>/stat`. */
export interface ProcStat {
  pid: number;
  pgrp: number;
  /** utime + stime, clock ticks. */
  ticks: number;
  /** Resident set size, pages. */
  rssPages: number;
}

/**
 * Parses `/proc/<pid>/stat`. The command name (field 2) may hold spaces and parentheses, so the
 * fields are counted from the last `)`. Returns `undefined` for text it cannot read.
 */
export function parseStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number.parseInt(text, 10);
  // Fields 3 (state) onwards; utime and stime are fields 14 and 15, rss field 24.
  const f = text.slice(close + 2).split(' ');
  const pgrp = Number(f[2]);
  const ticks = Number(f[11]) + Number(f[12]);
  const rssPages = Number(f[21]);
  if (![pid, pgrp, ticks, rssPages].every(Number.isFinite)) return undefined;
  return { pid, pgrp, ticks, rssPages };
}

/** Enough for any `/proc/<pid>/stat` line (52 numbers and a command name of at most 64 bytes). */
const STAT_BYTES = 1024;
const statBuffer = Buffer.alloc(STAT_BYTES);

/** Reads `/proc/<pid>/stat` into the shared buffer: one open, read and close, nothing allocated but the text. */
function readStat(pid: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(`/proc/${pid}/stat`, 'r');
    const n = readSync(fd, statBuffer, 0, STAT_BYTES, 0);
    return statBuffer.toString('latin1', 0, n);
  } catch {
    return undefined; // gone since the listing
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Every readable process in /proc whose group is in `groups`. */
export function processesIn(groups: ReadonlySet<number>): ProcStat[] {
  const out: ProcStat[] = [];
  if (groups.size === 0) return out;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    const c = entry.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const text = readStat(entry);
    const stat = text === undefined ? undefined : parseStat(text);
    if (stat && groups.has(stat.pgrp)) out.push(stat);
  }
  return out;
}

/**
 * The page size, from this process's own resident size as /proc gives it twice: in pages
 * (`statm`) and in kB (`status`). Node does not expose `sysconf`; 4096 if the files are unreadable.
 */
export function pageSize(): number {
  try {
    const pages = Number(readFileSync('/proc/self/statm', 'latin1').split(' ')[1]);
    const kb = Number(/VmRSS:\s*(\d+)/.exec(readFileSync('/proc/self/status', 'latin1'))?.[1]);
    if (pages > 0 && kb > 0) return 2 ** Math.round(Math.log2((kb * 1024) / pages));
  } catch {
    // not Linux, or /proc hidden
  }
  return 4096;
}

/**
 * Linux reports CPU times in USER_HZ ticks, which the kernel fixes at 100 per second for
 * every program on every current architecture (`getconf CLK_TCK`).
 */
export const TICKS_PER_SECOND = 100;

/**
 * Samples the memory and CPU of process groups over time. CPU is the ticks the groups' processes
 * used since the previous sample over the wall time between them, per process (a process that
 * appeared in between counts in full; one that ended in between is lost).
 */
export class GroupSampler {
  private last?: { at: number; ticks: Map<number, number> };
  private readonly page = pageSize();

  /** Whether /proc can be read here (Linux). */
  static supported(): boolean {
    return process.platform === 'linux';
  }

  /** Memory and CPU of the processes in `groups` now (`cpu` from the second sample on). */
  sample(groups: ReadonlySet<number>, now: number): Usage {
    const procs = processesIn(groups);
    const ticks = new Map(procs.map((p) => [p.pid, p.ticks]));
    let cpu: number | undefined;
    if (this.last && now > this.last.at) {
      let used = 0;
      for (const [pid, t] of ticks) used += Math.max(0, t - (this.last.ticks.get(pid) ?? 0));
      cpu = (used / TICKS_PER_SECOND / ((now - this.last.at) / 1000)) * 100;
    }
    this.last = { at: now, ticks };
    return { rss: procs.reduce((sum, p) => sum + p.rssPages, 0) * this.page, cpu };
  }
}
