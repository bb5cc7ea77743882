import { defineConfig } from 'tsup';
import { base } from '../../tsup.base';

// Split, so the monitor (Ink, React) is a chunk of its own, loaded only when a run shows it.
export default defineConfig({ ...base, entry: ['src/index.ts'], splitting: true });
