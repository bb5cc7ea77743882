import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { PortPool, portEnv, type HeldPort } from './ports';

/** A port finder that offers `ports` in turn, as an OS reusing freed ports might. */
function offering(ports: number[]): { find: () => Promise<HeldPort>; closed: number[] } {
  const closed: number[] = [];
  let i = 0;
  return {
    closed,
    find: async () => {
      const port = ports[i++];
      if (port === undefined) throw new Error('no more ports to offer');
      return { port, close: async () => void closed.push(port) };
    },
  };
}

describe('PortPool', () => {
  it('skips ports given to a task still running, and offers them again once released', async () => {
    const os = offering([4000, 4000, 4001, 4000, 4002, 4000]);
    const pool = new PortPool(os.find);
    expect(await pool.take(1)).toEqual([4000]);
    expect(await pool.take(2)).toEqual([4001, 4002]); // 4000 is held by the first task
    pool.release([4000]);
    expect(await pool.take(1)).toEqual([4000]);
    // Every socket opened to find a port was closed again.
    expect(os.closed.sort()).toEqual([4000, 4000, 4000, 4000, 4001, 4002]);
  });

  it('gives up, taking nothing, when only taken ports are offered', async () => {
    const pool = new PortPool(offering([5000, ...Array<number>(300).fill(5000)]).find);
    expect(await pool.take(1)).toEqual([5000]);
    await expect(pool.take(1)).rejects.toThrow('could not find 1 free loopback ports not already given to a running task');
  });

  it('hands out real ports that can be bound on 127.0.0.1, distinct within a request', async () => {
    const ports = await new PortPool().take(3);
    expect(new Set(ports).size).toBe(3);
    for (const port of ports) {
      await new Promise<void>((resolve, reject) => {
        const server = net.createServer().once('error', reject);
        server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
      });
    }
  });
});

describe('portEnv', () => {
  it('exports GUILD_PORT (the first) and GUILD_PORT_1 ... GUILD_PORT_n', () => {
    expect(portEnv([4100, 4200])).toEqual({ GUILD_PORT: '4100', GUILD_PORT_1: '4100', GUILD_PORT_2: '4200' });
    expect(portEnv([])).toEqual({});
  });
});
