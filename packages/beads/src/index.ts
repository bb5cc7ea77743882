import { definePlugin } from '@guild/core';

/** The `guild:beads` plugin. */
export default definePlugin(() => ({ name: 'guild:beads', apiVersion: 1 }));
