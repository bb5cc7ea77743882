import { definePlugin } from '@guild/core';

/** The `guild:agents` plugin. */
export default definePlugin(() => ({ name: 'guild:agents', apiVersion: 1 }));
