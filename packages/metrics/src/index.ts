import { definePlugin } from '@guild/core';

/** The `guild:metrics` plugin. */
export default definePlugin(() => ({ name: 'guild:metrics', apiVersion: 1 }));
