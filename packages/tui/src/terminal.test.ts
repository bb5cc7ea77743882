import { describe, expect, it } from 'vitest';
import { routeWrites } from './terminal';

/** A stand-in for process.stderr that records what reaches the real stream. */
function fakeStream() {
  const out: string[] = [];
  const stream = {
    write(chunk: string | Uint8Array, ...rest: unknown[]) {
      out.push(String(chunk));
      const cb = rest.find((r): r is () => void => typeof r === 'function');
      cb?.();
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  return { stream, out };
}

describe('routeWrites', () => {
  it('sends writes through the monitor while it is live, and straight out otherwise', () => {
    const { stream, out } = fakeStream();
    const routed: string[] = [];
    let live = true;
    const restore = routeWrites(stream, (data) => routed.push(data), () => live);
    let called = 0;
    stream.write('guild: Ctrl-C: stopping\n', () => called++);
    stream.write(Buffer.from('bytes too\n'));
    expect(routed).toEqual(['guild: Ctrl-C: stopping\n', 'bytes too\n']);
    expect(out).toEqual([]);
    expect(called).toBe(1);
    live = false;
    stream.write('after\n');
    expect(out).toEqual(['after\n']);
    restore();
    live = true;
    stream.write('restored\n');
    expect(out).toEqual(['after\n', 'restored\n']);
    expect(routed).toHaveLength(2);
  });

  it('lets the monitor itself write to the stream it routes', () => {
    const { stream, out } = fakeStream();
    const restore = routeWrites(stream, (data) => stream.write(`[above the frame] ${data}`), () => true);
    stream.write('warning\n');
    expect(out).toEqual(['[above the frame] warning\n']);
    restore();
  });
});
