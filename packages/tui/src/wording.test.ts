import { describe, expect, it } from 'vitest';
import { formatElapsed } from './wording';

describe('formatElapsed', () => {
  it('ticks in whole seconds', () => {
    expect(formatElapsed(41.9)).toBe('41s');
    expect(formatElapsed(72)).toBe('1m12s');
    expect(formatElapsed(7500)).toBe('2h05m');
  });
});
