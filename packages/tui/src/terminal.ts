/**
 * The terminal around the monitor: keys in raw mode (with Ctrl-C handed to guild's own SIGINT
 * handling), and other writers to stderr routed above the live area.
 */

/**
 * Reads keys from `stdin` in raw mode and passes each chunk to `onData`. Ctrl-C then arrives
 * as a byte rather than a signal, so the caller must raise SIGINT itself. Returns a function
 * that gives the terminal back (cooked mode, stream paused and unreferenced, so it no longer
 * keeps the process alive); it also runs if the process exits first.
 */
export function readKeys(stdin: NodeJS.ReadStream, onData: (data: string) => void): () => void {
  const listener = (chunk: Buffer | string) => onData(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
  const restore = () => {
    process.off('exit', restore);
    stdin.off('data', listener);
    try {
      stdin.setRawMode(false);
    } catch {
      // the terminal is gone
    }
    stdin.pause();
    stdin.unref();
  };
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.on('data', listener);
  stdin.ref();
  stdin.resume();
  process.on('exit', restore);
  return restore;
}

/**
 * Sends what others write to `stream` (the CLI's Ctrl-C notice, plugin warnings) through
 * `write` instead, while `live()` says the monitor is drawing: Ink's stderr writer, which
 * clears the live area, writes, and draws it again, so no half frame is left behind. Writes
 * made from inside `write` go straight out. Returns the function that puts the stream back.
 */
export function routeWrites(stream: NodeJS.WriteStream, write: (data: string) => void, live: () => boolean): () => void {
  const original = stream.write;
  let inside = false;
  const routed = (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    if (inside || !live()) return Reflect.apply(original, stream, [chunk, ...rest]) as boolean;
    inside = true;
    try {
      write(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    } finally {
      inside = false;
    }
    const callback = rest.find((r): r is () => void => typeof r === 'function');
    callback?.();
    return true;
  };
  stream.write = routed as typeof stream.write;
  return () => {
    if (stream.write === routed) stream.write = original;
  };
}
