import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '@guild/test-utils';
import { GroupSampler, pageSize, parseStat, processesIn } from './proc-sample';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

/** A shell in its own process group (like a task) that starts a sleeping child, then spins. */
function spinningGroup(): ChildProcess {
  const child = spawn('/bin/sh', ['-c', 'sleep 60 & while :; do :; done'], { detached: true, stdio: 'ignore' });
  children.push(child);
  return child;
}

describe('parseStat', () => {
  it('reads pgrp, CPU ticks and RSS even when the command name has spaces and parentheses', () => {
    const fields = ['S', '1', '4242', '4242', '0', '-1', '4194560', '0', '0', '0', '0', '150', '25', '0', '0', '20', '0', '1', '0', '777', '1000000', '321'];
    expect(parseStat(`4243 (my (odd) cmd) ${fields.join(' ')} 0 0 0\n`)).toEqual({ pid: 4243, pgrp: 4242, ticks: 175, rssPages: 321 });
    expect(parseStat('garbage')).toBeUndefined();
  });
});

describe('/proc sampling', () => {
  it('finds every process of a group, and only those', async () => {
    const child = spinningGroup();
    const procs = await waitFor('the group to have its two processes', () => {
      const found = processesIn(new Set([child.pid!]));
      return found.length === 2 ? found : undefined;
    });
    expect(procs.every((p) => p.pgrp === child.pid)).toBe(true);
    expect(procs.map((p) => p.pid)).toContain(child.pid);
    expect(processesIn(new Set([process.pid])).map((p) => p.pid)).not.toContain(child.pid);
    expect(processesIn(new Set())).toEqual([]);
  });

  it('measures the memory and CPU of a spinning group', async () => {
    const child = spinningGroup();
    const groups = new Set([child.pid!]);
    const sampler = new GroupSampler();
    await waitFor('the group to start', () => processesIn(groups).length === 2);
    // The shell's memory as the sampler counts it (/proc/<pid>/stat; /proc/<pid>/status's
    // VmRSS is summed exactly and can be larger on recent kernels), read before the sample
    // because a shell that has just started still grows; the kernel's counters are approximate
    // (per-CPU batches), hence the margin.
    const shellBefore = parseStat(readFileSync(`/proc/${child.pid!}/stat`, 'utf8'))!.rssPages * pageSize();
    const first = sampler.sample(groups, Date.now());
    expect(first.cpu).toBeUndefined();
    expect(first.rss).toBeGreaterThanOrEqual(shellBefore * 0.9);
    // Spinning for ~1.5 s uses well over a tenth of a core even on a busy machine.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const second = sampler.sample(groups, Date.now());
    expect(second.cpu).toBeGreaterThan(10);
    expect(second.cpu).toBeLessThan(100 * 64);
  });

  it('reports no CPU for a group that only sleeps', async () => {
    const child = spawn('/bin/sh', ['-c', 'exec sleep 60'], { detached: true, stdio: 'ignore' });
    children.push(child);
    const groups = new Set([child.pid!]);
    await waitFor('the sleeper to start', () => processesIn(groups).length === 1);
    const sampler = new GroupSampler();
    sampler.sample(groups, Date.now());
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sampler.sample(groups, Date.now()).cpu).toBeLessThan(5);
  });

  it('knows the page size', () => {
    expect(pageSize()).toBe(Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' })));
  });
});
