import { readFileSync, readdirSync } from 'node:fs';

/**
 * Facts about processes from /proc (Linux). Liveness is read from the state letter, because on
 * machines whose pid 1 never reaps orphans a killed process lingers as a zombie and
 * `kill(pid, 0)` still says it exists.
 */

/** The `/proc/<pid>/stat` fields after the command name, or undefined if there is no such process. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Blocks the thread for `ms` without spinning. */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Whether the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const f = statFields(pid);
  if (f) return f[0] !== 'Z' && f[0] !== 'X';
  if (process.platform === 'linux') return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), which
 * together with the pid identifies a process even after its pid is reused.
 */
export function startTimeOf(pid: number): number | undefined {
  const f = statFields(pid);
  return f ? Number(f[19]) : undefined;
}

/** Whether `pid` is still the very process that had `startTime` (not a reuse of its pid). */
export function isSameProcess(pid: number, startTime: number | undefined): boolean {
  if (!isAlive(pid)) return false;
  return startTime === undefined || startTimeOf(pid) === startTime;
}

/** Live processes whose environment has `name=value`, e.g. every process of a run. */
export function processesWithEnv(name: string, value: string): number[] {
  const needle = Buffer.from(`${name}=${value}\0`);
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${pid}/environ`);
      if (env.indexOf(needle) === 0 || env.indexOf(Buffer.concat([Buffer.from('\0'), needle])) >= 0) {
        if (isAlive(pid)) out.push(pid);
      }
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/** Sends `signal` to a process group; false if the group no longer exists. */
export function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}
