import { definePlugin } from '@guild/core';

/** The `guild:markdown` plugin. */
export default definePlugin(() => ({ name: 'guild:markdown', apiVersion: 1 }));
