import { defineConfig } from 'tsup';
import { base } from '../../tsup.base';

// zod is bundled (one module instead of a hundred: it loads in a third of the time) and
// re-exported as `z`, which the other packages use, so a run loads it once.
export default defineConfig({ ...base, entry: ['src/index.ts'], noExternal: ['zod'] });
