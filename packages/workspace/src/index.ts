import { definePlugin } from '@guild/core';

/** The `guild:workspace` plugin. */
export default definePlugin(() => ({ name: 'guild:workspace', apiVersion: 1 }));
