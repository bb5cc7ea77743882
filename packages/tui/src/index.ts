import { definePlugin } from '@guild/core';

/** The `guild:tui` plugin. */
export default definePlugin(() => ({ name: 'guild:tui', apiVersion: 1 }));
