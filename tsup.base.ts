import type { Options } from 'tsup';

/**
 * The one build configuration every package spreads. Packages add only their entry points,
 * so replacing the bundler later touches this file and nothing else.
 */
export const base: Options = {
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: false,
  treeshake: true,
};
