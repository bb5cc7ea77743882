import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { GuildError } from './errors.js';
import type { Scheduler } from './scheduler.js';

/** What another process may ask a running driver to do. */
export type ControlAction = 'pause' | 'resume' | 'serialize' | 'abort' | 'ping';

/** The driver's answer. */
export interface ControlReply {
  ok: boolean;
  action: ControlAction;
  pid: number;
  error?: string;
}

/**
 * The control socket of a run: `control.sock` in the run folder, or, when that path is too
 * long for a unix socket (about 100 bytes), a socket in the temp folder named after it.
 */
export function controlSocketPath(runDir: string): string {
  const inRun = path.join(runDir, 'control.sock');
  if (Buffer.byteLength(inRun) < 100) return inRun;
  const hash = createHash('sha256').update(path.resolve(runDir)).digest('hex').slice(0, 20);
  return path.join(os.tmpdir(), `guild-${hash}.sock`);
}

const ACTIONS: ReadonlySet<string> = new Set(['pause', 'resume', 'serialize', 'abort', 'ping']);

/**
 * Serves a run's control socket: one JSON line in (`{"action":"pause"}`), one JSON line out.
 * Returns a function that closes it and removes the socket file.
 */
export async function serveControl(
  runDir: string,
  scheduler: Scheduler,
  onAction?: (action: ControlAction) => void,
): Promise<() => void> {
  const file = controlSocketPath(runDir);
  rmSync(file, { force: true }); // a socket left by a crashed driver
  const server = net.createServer((socket) => {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('error', () => {});
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const nl = buffer.indexOf('\n');
      if (nl < 0) return;
      let reply: ControlReply;
      try {
        const { action } = JSON.parse(buffer.slice(0, nl)) as { action?: string };
        if (!action || !ACTIONS.has(action)) throw new Error(`unknown action ${JSON.stringify(action)}`);
        const a = action as ControlAction;
        if (a === 'pause') scheduler.pause();
        else if (a === 'resume') scheduler.resume();
        else if (a === 'serialize') scheduler.serialize();
        else if (a === 'abort') scheduler.abort('graceful');
        onAction?.(a);
        reply = { ok: true, action: a, pid: process.pid };
      } catch (e) {
        reply = { ok: false, action: 'ping', pid: process.pid, error: (e as Error).message };
      }
      socket.end(`${JSON.stringify(reply)}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(file, () => resolve());
  });
  // Not unref'd: a paused run with nothing running must keep its driver alive. drive() closes it.
  return () => {
    server.close();
    rmSync(file, { force: true });
  };
}

/**
 * Asks a run's driver to do something. Throws a {@link GuildError} when no driver listens
 * (the run finished or crashed).
 */
export function sendControl(runDir: string, action: ControlAction, timeoutMs = 5000): Promise<ControlReply> {
  const file = controlSocketPath(runDir);
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(file);
    let buffer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new GuildError('RUN_NOT_RUNNING', `the driver of ${path.basename(runDir)} did not answer within ${timeoutMs}ms`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify({ action })}\n`));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
    });
    socket.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(buffer) as ControlReply);
      } catch {
        reject(new GuildError('RUN_NOT_RUNNING', `the driver of ${path.basename(runDir)} sent a reply guild cannot read`));
      }
    });
    socket.on('error', () => {
      clearTimeout(timer);
      reject(
        new GuildError(
          'RUN_NOT_RUNNING',
          `run ${path.basename(runDir)} is not running (nothing listens on its control socket); see "guild status ${path.basename(runDir)}"`,
        ),
      );
    });
  });
}
