#!/usr/bin/env node
import { main } from './cli.js';

// Without a listener, EPIPE (the reader of our output went away, as in `guild run | head`)
// would crash guild with a stack trace while its tasks still run. Output is dropped instead.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`guild: internal error (please report it): ${String(error)}\n`);
    process.exitCode = 70;
  },
);
