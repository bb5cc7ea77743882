import net from 'node:net';

/** How many ports the OS may hand back that are already given to a running task before giving up. */
const MAX_REJECTED = 200;

/** A port held open until {@link close}, so it cannot be handed out twice meanwhile. */
export interface HeldPort {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Hands out free loopback ports, each to one task at a time: a port stays taken until
 * {@link release}, so two tasks running at the same time never share one. Ports are found by
 * binding 127.0.0.1:0, and all of a request's sockets stay bound until it is complete, so one
 * request never gets the same port twice.
 */
export class PortPool {
  private readonly taken = new Set<number>();

  /** @param find holds a free port open (default: binds 127.0.0.1:0) */
  constructor(private readonly find: () => Promise<HeldPort> = bindLoopback) {}

  /**
   * `count` free ports, none of them taken by another task.
   *
   * @throws when the OS keeps offering only ports already taken, or cannot bind at all
   */
  async take(count: number): Promise<number[]> {
    const held: HeldPort[] = [];
    const ports: number[] = [];
    let rejected = 0;
    try {
      while (ports.length < count) {
        const next = await this.find();
        held.push(next);
        if (this.taken.has(next.port)) {
          if (++rejected > MAX_REJECTED) throw new Error(`could not find ${count} free loopback ports not already given to a running task`);
          continue;
        }
        this.taken.add(next.port);
        ports.push(next.port);
      }
    } catch (e) {
      this.release(ports);
      throw e;
    } finally {
      await Promise.all(held.map((h) => h.close()));
    }
    return ports;
  }

  /** Gives `ports` back once the task holding them has ended. */
  release(ports: readonly number[]): void {
    for (const port of ports) this.taken.delete(port);
  }
}

/** `GUILD_PORT` (the first), and `GUILD_PORT_1` ... `GUILD_PORT_<n>` for each port. */
export function portEnv(ports: readonly number[]): Record<string, string> {
  const env: Record<string, string> = {};
  if (ports.length > 0) env.GUILD_PORT = String(ports[0]);
  ports.forEach((port, i) => {
    env[`GUILD_PORT_${i + 1}`] = String(port);
  });
  return env;
}

function bindLoopback(): Promise<HeldPort> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () => new Promise((done) => server.close(() => done())),
      }),
    );
  });
}
