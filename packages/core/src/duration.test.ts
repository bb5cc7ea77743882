import { describe, expect, test } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  test.each([
    [90, 90],
    ['90', 90],
    ['500ms', 0.5],
    ['2s', 2],
    ['5m', 300],
    ['1h', 3600],
    ['1.5m', 90],
    ['1h30m', 5400],
    [' 2s ', 2],
  ])('%j is %d seconds', (input, seconds) => {
    expect(parseDuration(input)).toBe(seconds);
  });

  test.each(['', '5 minutes', 'abc', '2d', '-1s', 's', '1h 3x'])('%j is not a duration', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });

  test('negative and non-finite numbers are refused', () => {
    expect(parseDuration(-1)).toBeUndefined();
    expect(parseDuration(Number.NaN)).toBeUndefined();
    expect(parseDuration(Infinity)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  test.each([
    [0, '0s'],
    [0.25, '250ms'],
    [4.24, '4.2s'],
    [42, '42s'],
    [185, '3m05s'],
    [3720, '1h02m'],
  ])('%d seconds reads %s', (s, text) => {
    expect(formatDuration(s)).toBe(text);
  });
});
